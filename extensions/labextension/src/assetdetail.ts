import { IRenderMimeRegistry, RenderMimeRegistry } from '@jupyterlab/rendermime';
import { Contents } from '@jupyterlab/services';
import { Widget } from '@lumino/widgets';

import { button, formatTime, h } from './dom';
import {
  assetRef,
  IAssetDetail,
  IFileEntry,
  ILibraryAsset,
  IUse,
  problemText,
  scopeLabel
} from './libraryapi';

/** Names an asset well enough to fetch its detail. */
export interface IAssetKey {
  scope: string;
  type: string;
  name: string;
  title?: string;
}

export interface IDetailActions {
  /** Open a workspace-relative file in Lab. */
  open: (path: string) => void;
  /** Show a workspace-relative path in the file browser. */
  goTo: (path: string) => void;
  /** Show another asset's detail. */
  show: (asset: IAssetKey) => void;
  /** Put the asset on the pick list of the next new digital twin. */
  pick: (asset: IAssetDetail) => void;
  isPicked: (ref: string) => boolean;
  /** Filter the library by a tag. */
  filterTag: (tag: string) => void;
  /** Open the configure view; only for digital twins the run engine knows. */
  configure?: (dt: IAssetDetail) => void;
}

export const TYPE_LABELS: Record<string, string> = {
  digital_twins: 'Digital twin',
  functions: 'Function',
  models: 'Model',
  tools: 'Tool',
  data: 'Data'
};

/** "512 B", "1.5 kB", "3.2 MB". */
export function formatSize(bytes: number): string {
  if (!isFinite(bytes) || bytes < 0) {
    return '';
  }
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}

export function formatModified(epochSeconds: number): string {
  return epochSeconds ? formatTime(new Date(epochSeconds * 1000).toISOString()) : '';
}

export function tagChip(tag: string, onClick: (tag: string) => void): HTMLElement {
  const chip = h('button', {
    className: 'dtaas-tag',
    text: tag,
    attrs: { type: 'button', 'data-tag': tag, title: `Show assets tagged ${tag}` }
  });
  chip.addEventListener('click', event => {
    // A tag on a card is not also a click on the card.
    event.stopPropagation();
    onClick(tag);
  });
  return chip;
}

function section(title: string, className: string, children: Node[]): HTMLElement {
  return h('section', { className: `dtaas-detail-section ${className}-section` }, [
    h('h4', { className: 'dtaas-section-title', text: title }),
    ...children
  ]);
}

/** A row that acts as a link to another asset. */
function assetLink(asset: ILibraryAsset, actions: IDetailActions): HTMLElement {
  const link = h('a', {
    className: 'dtaas-asset-link',
    text: asset.title || asset.name,
    attrs: { href: '#', title: assetRef(asset) }
  });
  link.addEventListener('click', event => {
    event.preventDefault();
    actions.show(asset);
  });
  return link;
}

function useItem(use: IUse, actions: IDetailActions): HTMLElement {
  if (use.missing || !use.asset) {
    return h('li', { className: 'dtaas-missing', attrs: { 'data-ref': use.ref } }, [
      h('code', { text: use.ref }),
      h('span', { className: 'dtaas-missing-note', text: ' missing' })
    ]);
  }
  return h('li', { attrs: { 'data-ref': use.ref } }, [
    assetLink(use.asset, actions),
    h('code', { className: 'dtaas-ref', text: use.ref })
  ]);
}

function fileItem(asset: IAssetDetail, file: IFileEntry, actions: IDetailActions): HTMLElement {
  const depth = file.path.split('/').length - 1;
  // A single-file asset lists itself; its path is the asset's own.
  const single = asset.files.length === 1 && file.path === asset.path.split('/').pop();
  const full = single ? asset.path : `${asset.path}/${file.path}`;
  const name = file.path.split('/').pop() ?? file.path;
  const link = h('a', {
    className: 'dtaas-file-link',
    text: file.type === 'directory' ? `${name}/` : name,
    attrs: { href: '#', title: full }
  });
  link.addEventListener('click', event => {
    event.preventDefault();
    if (file.type === 'directory') {
      actions.goTo(full);
    } else {
      actions.open(full);
    }
  });
  return h(
    'li',
    {
      className: `dtaas-file dtaas-file-${file.type}`,
      attrs: { 'data-path': file.path, style: `padding-left: ${depth * 12}px` }
    },
    [
      link,
      ...(file.type === 'file'
        ? [h('span', { className: 'dtaas-file-size', text: formatSize(file.size) })]
        : [])
    ]
  );
}

/**
 * The detail of one library asset: what it is, its README, files, problems and
 * relations, with the actions that apply to it.
 */
export class AssetDetailView {
  constructor(
    readonly asset: IAssetDetail,
    private readonly _actions: IDetailActions
  ) {
    this.node = this._build();
    this.updatePicked();
  }

  readonly node: HTMLElement;

  /** Render the README with Lab's sanitizing markdown renderer. */
  async renderReadme(rendermime: IRenderMimeRegistry, contents: Contents.IManager): Promise<void> {
    const box = this.node.querySelector<HTMLElement>('.dtaas-readme');
    if (!box || !this.asset.readme) {
      return;
    }
    // Relative links and images resolve against the README's own folder.
    const resolver = new RenderMimeRegistry.UrlResolver({
      path: `${this.asset.path}/README.md`,
      contents
    });
    const registry = rendermime.clone({ resolver });
    const renderer = registry.createRenderer('text/markdown');
    const model = registry.createModel({
      data: { 'text/markdown': this.asset.readme },
      trusted: false
    });
    this._readme?.dispose();
    this._readme = renderer;
    await renderer.renderModel(model);
    if (!this._readme.isDisposed) {
      box.replaceChildren(renderer.node);
    }
  }

  /** The pick list changed: the add button says whether the asset is on it. */
  updatePicked(): void {
    const add = this.node.querySelector<HTMLButtonElement>('.dtaas-add-to-dt');
    if (add) {
      const picked = this._actions.isPicked(assetRef(this.asset));
      add.disabled = picked;
      add.textContent = picked ? 'Added to new DT' : 'Add to new DT';
    }
  }

  dispose(): void {
    this._readme?.dispose();
    this._readme = null;
  }

  private _build(): HTMLElement {
    const asset = this.asset;
    const actions = this._actions;
    const isDT = asset.type === 'digital_twins';

    const badges = h('div', { className: 'dtaas-badges' }, [
      h('span', { className: 'dtaas-type-badge', text: TYPE_LABELS[asset.type] ?? asset.type }),
      h('span', {
        className: 'dtaas-scope-badge',
        text: scopeLabel(asset.scope),
        attrs: { 'data-scope': asset.scope }
      }),
      ...(asset.version
        ? [h('span', { className: 'dtaas-version', text: `v${asset.version}` })]
        : [])
    ]);

    const meta: HTMLElement[] = [
      this._metaLine('Path', h('code', { text: asset.path })),
      this._metaLine('Size', h('span', { text: formatSize(asset.size) })),
      this._metaLine('Modified', h('span', { text: formatModified(asset.modified) }))
    ];
    if (asset.authors?.length) {
      meta.push(this._metaLine('Authors', h('span', { text: asset.authors.join(', ') })));
    }
    if (isDT && asset.steps?.length) {
      meta.push(
        this._metaLine(
          'Lifecycle',
          h(
            'span',
            {},
            asset.steps.map(step => h('span', { className: 'dtaas-step', text: step }))
          )
        )
      );
    }

    const buttons: HTMLElement[] = [
      button('dtaas-open-in-browser', 'Open in file browser', () => actions.goTo(asset.path))
    ];
    if (isDT) {
      for (const file of ['README.md', 'dt.yaml']) {
        if (asset.files.some(f => f.path === file)) {
          const open = button('dtaas-open-file', `Open ${file}`, () =>
            actions.open(`${asset.path}/${file}`)
          );
          open.dataset.path = `${asset.path}/${file}`;
          buttons.push(open);
        }
      }
      const configure = actions.configure;
      if (configure && (asset.scope === 'private' || asset.scope === 'common')) {
        buttons.push(button('dtaas-open-configure', 'Configure…', () => configure(asset)));
      }
    }
    buttons.push(
      button('dtaas-add-to-dt', 'Add to new DT', () => actions.pick(asset), 'jp-mod-accept')
    );

    const children: HTMLElement[] = [
      h('h3', { className: 'dtaas-detail-title', text: asset.title || asset.name }),
      badges
    ];
    if (asset.description) {
      children.push(h('p', { className: 'dtaas-detail-description', text: asset.description }));
    }
    if (asset.tags?.length) {
      children.push(
        h(
          'div',
          { className: 'dtaas-tags' },
          asset.tags.map(t => tagChip(t, actions.filterTag))
        )
      );
    }
    children.push(
      h('div', { className: 'dtaas-meta' }, meta),
      h('div', { className: 'dtaas-detail-actions' }, buttons)
    );

    if (asset.problems.length) {
      children.push(
        section('Problems', 'dtaas-problems', [
          h(
            'ul',
            { className: 'dtaas-problems' },
            asset.problems.map(p =>
              h('li', {
                className: 'dtaas-problem',
                text: problemText(p),
                attrs: { 'data-line': String(p.line ?? ''), 'data-field': p.field }
              })
            )
          )
        ])
      );
    }

    children.push(
      section('README', 'dtaas-readme', [
        h('div', {
          className: 'dtaas-readme',
          text: asset.readme ? 'Loading…' : 'No README'
        })
      ])
    );

    const relations = asset.relations ?? { uses: [], used_by: [] };
    if (isDT) {
      children.push(
        section('Uses', 'dtaas-uses', [
          relations.uses.length
            ? h(
                'ul',
                { className: 'dtaas-uses dtaas-plain-list' },
                relations.uses.map(u => useItem(u, actions))
              )
            : h('div', { className: 'dtaas-muted', text: 'No assets' })
        ])
      );
    }
    children.push(
      section('Used by', 'dtaas-used-by', [
        relations.used_by.length
          ? h(
              'ul',
              { className: 'dtaas-used-by dtaas-plain-list' },
              relations.used_by.map(a =>
                h('li', { attrs: { 'data-ref': assetRef(a) } }, [assetLink(a, actions)])
              )
            )
          : h('div', { className: 'dtaas-muted', text: 'No digital twin uses it' })
      ]),
      section('Files', 'dtaas-files', [
        asset.files.length
          ? h(
              'ul',
              { className: 'dtaas-files dtaas-plain-list' },
              asset.files.map(f => fileItem(asset, f, actions))
            )
          : h('div', { className: 'dtaas-muted', text: 'No files' })
      ])
    );

    const root = h(
      'div',
      {
        className: 'dtaas-asset-detail',
        attrs: { 'data-path': asset.path, 'data-scope': asset.scope, 'data-type': asset.type }
      },
      children
    );
    return root;
  }

  private _metaLine(label: string, value: HTMLElement): HTMLElement {
    return h('div', { className: 'dtaas-meta-line' }, [
      h('span', { className: 'dtaas-label', text: label }),
      value
    ]);
  }

  private _readme: Widget | null = null;
}
