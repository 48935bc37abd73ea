import { Dialog, Notification, showDialog } from '@jupyterlab/apputils';
import { Contents } from '@jupyterlab/services';
import { ReactWidget } from '@jupyterlab/ui-components';
import React from 'react';

import { errorText } from '../api/client';
import { validateManifest } from '../api/library';
import type { AssetType, Problem } from '../api/types';
import { manifestType } from '../domain/assets';
import { Muted, ProblemList } from './common';

/** A dialog listing the problems of one manifest. */
export function showProblems(path: string, problems: Problem[]): Promise<unknown> {
  const body = ReactWidget.create(
    <div className="dtaas-manifest-problems-body">
      <Muted>{path}</Muted>
      <div className="dtaas-manifest-problems">
        <ProblemList problems={problems} />
      </div>
    </div>
  );
  return showDialog({
    title: `Problems in ${path.split('/').pop()}`,
    body,
    buttons: [Dialog.okButton({ label: 'Close' })]
  });
}

/**
 * Check every dt.yaml and asset.yaml saved in Lab against the library's schema and
 * say what is wrong. The contents service sees saves from every editor and from
 * "Save As", which a single widget tracker would not.
 */
export function trackManifestSaves(contents: Contents.IManager): void {
  // One notification per file: a new save replaces the last one's.
  const shown = new Map<string, string>();
  const latest = new Map<string, number>();
  let counter = 0;

  contents.fileChanged.connect((_, change) => {
    const path = change.newValue?.path;
    const type = path ? manifestType(path) : null;
    if (change.type === 'save' && path && type) {
      const seq = ++counter;
      latest.set(path, seq);
      void check(path, type, seq);
    }
  });

  async function check(path: string, type: AssetType, seq: number): Promise<void> {
    const file = path.split('/').pop() ?? path;
    let problems: Problem[];
    try {
      // The save answer has no text; the file as saved is read back.
      const saved = await contents.get(path, { type: 'file', format: 'text', content: true });
      problems = (await validateManifest(type, String(saved.content ?? ''), file)).problems ?? [];
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
