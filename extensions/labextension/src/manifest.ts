import { Dialog, Notification, showDialog } from '@jupyterlab/apputils';
import { Contents } from '@jupyterlab/services';
import { Widget } from '@lumino/widgets';

import { AssetType } from './api';
import { errorText, h } from './dom';
import { IProblem, problemText, validateManifest } from './libraryapi';

const ASSET_TYPES: readonly string[] = ['digital_twins', 'functions', 'models', 'tools', 'data'];

/**
 * The asset type a saved manifest describes, or null if the file is not a
 * manifest. An asset.yaml says its type by the folder it lies in:
 * `<type>/<name>/asset.yaml`.
 */
export function manifestType(path: string): AssetType | null {
  const parts = path.split('/');
  const file = parts[parts.length - 1];
  if (file === 'dt.yaml') {
    return 'digital_twins';
  }
  if (file === 'asset.yaml' && parts.length >= 3) {
    const type = parts[parts.length - 3];
    return ASSET_TYPES.includes(type) ? (type as AssetType) : null;
  }
  return null;
}

/** A dialog listing the problems of one manifest. */
export function showProblems(path: string, problems: IProblem[]): Promise<unknown> {
  const body = new Widget({
    node: h('div', { className: 'dtaas-manifest-problems-body' }, [
      h('div', { className: 'dtaas-muted', text: path }),
      h(
        'ul',
        { className: 'dtaas-manifest-problems' },
        problems.map(p =>
          h('li', {
            text: problemText(p),
            attrs: { 'data-line': String(p.line ?? ''), 'data-field': p.field }
          })
        )
      )
    ])
  });
  return showDialog({
    title: `Problems in ${path.split('/').pop()}`,
    body,
    buttons: [Dialog.okButton({ label: 'Close' })]
  });
}

/**
 * Check every dt.yaml and asset.yaml saved in Lab against the library's
 * schema and say what is wrong. The contents service sees saves from every
 * editor and from "Save As", which a single widget tracker would not.
 */
export function trackManifestSaves(contents: Contents.IManager): void {
  // One notification per file: a new save replaces the last one's.
  const shown = new Map<string, string>();
  const latest = new Map<string, number>();
  let counter = 0;

  contents.fileChanged.connect((_, change) => {
    const model = change.newValue;
    if (change.type !== 'save' || !model?.path) {
      return;
    }
    const path = model.path;
    const type = manifestType(path);
    if (!type) {
      return;
    }
    const seq = ++counter;
    latest.set(path, seq);
    void check(path, type, seq);
  });

  async function check(path: string, type: AssetType, seq: number): Promise<void> {
    const file = path.split('/').pop() ?? path;
    let problems: IProblem[];
    try {
      // The save answer has no text; the file as saved is read back.
      const saved = await contents.get(path, { type: 'file', format: 'text', content: true });
      const result = await validateManifest(type, String(saved.content ?? ''), file);
      problems = result.problems ?? [];
    } catch (reason) {
      if (latest.get(path) === seq) {
        notify(path, () =>
          Notification.error(`Cannot check ${file}: ${errorText(reason)}`, { autoClose: 5000 })
        );
      }
      return;
    }
    if (latest.get(path) !== seq) {
      return;
    }
    if (problems.length === 0) {
      notify(path, () => Notification.success(`Manifest is valid: ${file}`, { autoClose: 3000 }));
      return;
    }
    const count = `${problems.length} problem${problems.length === 1 ? '' : 's'}`;
    notify(path, () =>
      Notification.warning(`${file}: ${count} in the manifest`, {
        autoClose: false,
        actions: [
          {
            label: 'Show',
            caption: 'List the problems',
            callback: () => void showProblems(path, problems)
          }
        ]
      })
    );
  }

  function notify(path: string, show: () => string): void {
    const previous = shown.get(path);
    if (previous) {
      Notification.dismiss(previous);
    }
    shown.set(path, show());
  }
}
