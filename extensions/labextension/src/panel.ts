import { refreshIcon } from '@jupyterlab/ui-components';
import { Widget } from '@lumino/widgets';

import {
  AssetType,
  fetchLibrary,
  fetchRun,
  fetchRuns,
  IAsset,
  IRun,
  isFinished,
  Scope,
  startRun
} from './api';
import { errorText, h, paragraphs } from './dom';
import { renderRun, renderRunItem } from './runs';

const SCOPES: ReadonlyArray<[Scope, string]> = [
  ['private', 'My library'],
  ['common', 'Common library']
];

const TYPES: ReadonlyArray<[AssetType, string]> = [
  ['digital_twins', 'Digital twins'],
  ['functions', 'Functions'],
  ['models', 'Models'],
  ['tools', 'Tools'],
  ['data', 'Data']
];

/** The step the run button starts. */
const RUN_STEP = 'execute';

/** Delay between two status requests of a run in progress. */
const POLL_INTERVAL_MS = 700;

/** Consecutive failed status requests tolerated before giving up. */
const MAX_POLL_FAILURES = 5;

/** How many past runs are listed under the detail. */
const RECENT_RUNS = 10;

/** Delay between two reloads of the recent runs while one of them is unfinished. */
const RECENT_RUNS_INTERVAL_MS = 2000;

export interface IDigitalTwinsPanelOptions {
  /** Open a workspace-relative path in the document manager. */
  openNotebook: (path: string) => Promise<unknown>;
  /** Open the configure view of a digital twin. */
  openConfigure: (dt: IAsset) => void;
  /** Open the runs view of a digital twin, showing `run` if given. */
  openRuns: (dt: IAsset, run?: IRun) => void;
  /** Told about each run the panel starts, so that open views can list it. */
  runStarted?: (dt: IAsset, run: IRun) => void;
}

function assetKey(asset: IAsset): string {
  return `${asset.scope}:${asset.path}`;
}

function sleep(ms: number): Promise<void> {
  return new Promise(resolve => window.setTimeout(resolve, ms));
}

/**
 * Sidebar listing the digital twin library and running the execute step
 * of the selected digital twin.
 */
export class DigitalTwinsPanel extends Widget {
  constructor(options: IDigitalTwinsPanelOptions) {
    super();
    this._openNotebook = options.openNotebook;
    this._openConfigure = options.openConfigure;
    this._openRuns = options.openRuns;
    this._runStarted = options.runStarted ?? (() => undefined);
    this.addClass('dtaas-sidebar');

    const refresh = h('button', {
      className: 'dtaas-refresh jp-Button jp-mod-minimal',
      attrs: { type: 'button', title: 'Refresh', 'aria-label': 'Refresh' }
    });
    refreshIcon.element({ container: refresh, tag: 'span' });
    refresh.addEventListener('click', () => void this.refresh());

    const header = h('div', { className: 'dtaas-header' }, [
      h('h2', { className: 'dtaas-header-title', text: 'Digital Twins' }),
      refresh
    ]);
    this._library = h('div', { className: 'dtaas-library' });
    this._detail = h('div', { className: 'dtaas-detail', attrs: { hidden: '' } });
    const root = h('div', { className: 'dtaas-panel', attrs: { id: 'dtaas-panel' } }, [
      header,
      this._library,
      this._detail
    ]);
    this.node.appendChild(root);
  }

  /** Reload the library, keeping the selection when it still exists. */
  async refresh(): Promise<void> {
    this._loaded = true;
    this._library.replaceChildren(h('div', { className: 'dtaas-muted', text: 'Loading…' }));
    let assets: IAsset[];
    try {
      assets = await fetchLibrary();
    } catch (reason) {
      this._library.replaceChildren(
        h('div', { className: 'dtaas-error', text: `Cannot load the library: ${errorText(reason)}` })
      );
      return;
    }
    this._assets = assets;
    this._renderLibrary();

    const selected = this._selected;
    const current = selected && assets.find(a => assetKey(a) === assetKey(selected));
    if (current) {
      this._selected = current;
      this._renderInfo(current);
      void this._loadRuns(current);
    } else if (selected) {
      this._select(null);
    }
  }

  /** Runs of a digital twin changed elsewhere; reload its recent runs if it is shown. */
  runsChanged(dt: { name: string; scope: Scope }): void {
    const selected = this._selected;
    if (selected && selected.name === dt.name && selected.scope === dt.scope) {
      void this._loadRuns(selected);
    }
  }

  // Load lazily: no request is made until the panel is first shown.
  protected onAfterAttach(): void {
    if (this.isVisible && !this._loaded) {
      void this.refresh();
    }
  }

  protected onAfterShow(): void {
    if (!this._loaded) {
      void this.refresh();
    } else if (this._selected) {
      // Runs may have finished while the panel was hidden.
      void this._loadRuns(this._selected);
    }
  }

  dispose(): void {
    window.clearTimeout(this._runsTimer);
    this._pollToken = null;
    super.dispose();
  }

  private _renderLibrary(): void {
    const sections: HTMLElement[] = [];
    for (const [scope, scopeLabel] of SCOPES) {
      const inScope = this._assets.filter(a => a.scope === scope);
      const groups: HTMLElement[] = [];
      for (const [type, typeLabel] of TYPES) {
        const items = inScope
          .filter(a => a.type === type)
          .sort((a, b) => (a.title || a.name).localeCompare(b.title || b.name));
        if (items.length === 0) {
          continue;
        }
        groups.push(
          h('div', { className: 'dtaas-group', attrs: { 'data-type': type } }, [
            h('h4', { className: 'dtaas-group-title', text: typeLabel }),
            h(
              'ul',
              { className: 'dtaas-asset-list' },
              items.map(a => this._renderAsset(a))
            )
          ])
        );
      }
      if (groups.length === 0) {
        groups.push(h('div', { className: 'dtaas-muted', text: 'none' }));
      }
      sections.push(
        h('section', { className: 'dtaas-scope', attrs: { 'data-scope': scope } }, [
          h('h3', { className: 'dtaas-scope-title', text: scopeLabel }),
          ...groups
        ])
      );
    }
    this._library.replaceChildren(...sections);
  }

  private _renderAsset(asset: IAsset): HTMLElement {
    const selected = this._selected !== null && assetKey(this._selected) === assetKey(asset);
    const item = h('li', {
      className: 'dtaas-asset' + (selected ? ' jp-mod-selected' : ''),
      text: asset.title || asset.name,
      attrs: {
        'data-path': asset.path,
        'data-scope': asset.scope,
        'data-type': asset.type,
        role: 'button',
        tabindex: '0',
        title: asset.description || asset.path
      }
    });
    item.addEventListener('click', () => this._select(asset));
    item.addEventListener('keydown', (event: KeyboardEvent) => {
      if (event.key === 'Enter' || event.key === ' ') {
        event.preventDefault();
        this._select(asset);
      }
    });
    return item;
  }

  private _select(asset: IAsset | null): void {
    if (asset && this._selected && assetKey(asset) === assetKey(this._selected)) {
      return;
    }
    // Forget any run being followed: its updates belong to the old selection.
    this._pollToken = null;
    this._selected = asset;
    for (const item of this._library.querySelectorAll<HTMLElement>('.dtaas-asset')) {
      const match =
        asset !== null &&
        item.dataset.path === asset.path &&
        item.dataset.scope === asset.scope;
      item.classList.toggle('jp-mod-selected', match);
    }
    if (!asset) {
      this._detail.replaceChildren();
      this._detail.hidden = true;
      return;
    }
    this._info = h('div', { className: 'dtaas-info' });
    this._runBox = h('div', { className: 'dtaas-run' });
    this._runs = h('div', { className: 'dtaas-runs' });
    this._detail.replaceChildren(this._info, this._runBox, this._runs);
    this._detail.hidden = false;
    this._renderInfo(asset);
    if (asset.type === 'digital_twins') {
      void this._loadRuns(asset);
    }
  }

  /** Title, description, path, steps and the run button. */
  private _renderInfo(asset: IAsset): void {
    const children: HTMLElement[] = [
      h('h3', { className: 'dtaas-detail-title', text: asset.title || asset.name }),
      h('div', { className: 'dtaas-description' }, paragraphs(asset.description || '')),
      h('div', { className: 'dtaas-path' }, [
        h('span', { className: 'dtaas-label', text: 'Path: ' }),
        h('code', { text: asset.path })
      ])
    ];
    const steps = asset.steps ?? [];
    if (asset.type === 'digital_twins') {
      children.push(
        h('div', { className: 'dtaas-steps' }, [
          h('span', { className: 'dtaas-label', text: 'Lifecycle: ' }),
          ...(steps.length
            ? steps.map(step => h('span', { className: 'dtaas-step', text: step }))
            : [h('span', { className: 'dtaas-muted', text: 'none' })])
        ])
      );
    }
    if (steps.includes(RUN_STEP)) {
      const button = h('button', {
        className: 'dtaas-run-button jp-Button jp-mod-styled jp-mod-accept',
        text: `Run ${RUN_STEP}`,
        attrs: { type: 'button' }
      });
      button.disabled = this._pollToken !== null;
      button.addEventListener('click', () => void this._run(asset));
      children.push(button);
    }
    if (asset.type === 'digital_twins') {
      const configure = h('button', {
        className: 'dtaas-open-configure jp-Button jp-mod-styled jp-mod-reject',
        text: 'Configure…',
        attrs: { type: 'button', title: 'Edit parameters, keep configurations and run steps' }
      });
      configure.addEventListener('click', () => this._openConfigure(asset));
      const runs = h('button', {
        className: 'dtaas-open-runs jp-Button jp-mod-styled jp-mod-reject',
        text: 'Runs',
        attrs: { type: 'button', title: 'Run history with logs' }
      });
      runs.addEventListener('click', () => this._openRuns(asset));
      children.push(h('div', { className: 'dtaas-detail-actions' }, [configure, runs]));
    }
    this._info.replaceChildren(...children);
  }

  private _setRunButtonEnabled(enabled: boolean): void {
    const button = this._info.querySelector<HTMLButtonElement>('.dtaas-run-button');
    if (button) {
      button.disabled = !enabled;
    }
  }

  /** Start the execute step, then follow the run until it finishes. */
  private async _run(asset: IAsset): Promise<void> {
    const token = {};
    this._pollToken = token;
    this._setRunButtonEnabled(false);
    this._runBox.replaceChildren(h('div', { className: 'dtaas-muted', text: 'Starting…' }));

    let run: IRun;
    try {
      run = await startRun({ dt: asset.name, scope: asset.scope, step: RUN_STEP, parameters: {} });
    } catch (reason) {
      if (this._pollToken === token) {
        this._runBox.replaceChildren(h('div', { className: 'dtaas-error', text: errorText(reason) }));
        this._pollToken = null;
        this._setRunButtonEnabled(true);
      }
      return;
    }
    if (this._pollToken !== token) {
      return;
    }
    this._renderRun(run);
    this._runStarted(asset, run);
    void this._loadRuns(asset);

    let failures = 0;
    while (!isFinished(run.status)) {
      await sleep(POLL_INTERVAL_MS);
      if (this._pollToken !== token || this.isDisposed) {
        return;
      }
      try {
        run = await fetchRun(run.id);
        failures = 0;
      } catch (reason) {
        // A single failed request (e.g. a server restart) should not end the watch.
        if (++failures < MAX_POLL_FAILURES) {
          continue;
        }
        if (this._pollToken === token) {
          this._runBox.appendChild(
            h('div', { className: 'dtaas-error', text: `Lost track of the run: ${errorText(reason)}` })
          );
        }
        break;
      }
      if (this._pollToken !== token) {
        return;
      }
      this._renderRun(run);
    }
    if (this._pollToken === token) {
      this._pollToken = null;
      this._setRunButtonEnabled(true);
      void this._loadRuns(asset);
    }
  }

  private _renderRun(run: IRun): void {
    renderRun(this._runBox, run, path => void this._open(path));
  }

  /** List the recent runs of a digital twin under its detail. */
  private async _loadRuns(asset: IAsset): Promise<void> {
    if (asset.type !== 'digital_twins') {
      return;
    }
    const target = this._runs;
    let runs: IRun[];
    try {
      runs = await fetchRuns(asset.name);
    } catch (reason) {
      if (target === this._runs) {
        target.replaceChildren(
          h('div', { className: 'dtaas-error', text: `Cannot load runs: ${errorText(reason)}` })
        );
      }
      return;
    }
    // The selection may have changed while the request was pending.
    if (target !== this._runs) {
      return;
    }
    // Names are unique per scope only, so keep this scope's runs.
    const mine = runs.filter(r => !r.scope || r.scope === asset.scope).slice(0, RECENT_RUNS);
    // Runs started elsewhere (Configure, Runs, another tab) finish without telling
    // this panel, so it asks again until every run it lists is finished.
    window.clearTimeout(this._runsTimer);
    if (mine.some(r => !isFinished(r.status)) && !this.isDisposed) {
      this._runsTimer = window.setTimeout(() => {
        if (target === this._runs) {
          void this._loadRuns(asset);
        }
      }, RECENT_RUNS_INTERVAL_MS);
    }
    target.replaceChildren(
      h('h4', { className: 'dtaas-runs-title', text: 'Recent runs' }),
      mine.length
        ? h(
            'ul',
            { className: 'dtaas-run-list' },
            mine.map(r =>
              renderRunItem(
                r,
                path => void this._open(path),
                run => this._openRuns(asset, run)
              )
            )
          )
        : h('div', { className: 'dtaas-muted', text: 'No runs yet' })
    );
  }

  private async _open(path: string): Promise<void> {
    try {
      await this._openNotebook(path);
    } catch (reason) {
      this._runBox.appendChild(
        h('div', { className: 'dtaas-error', text: `Cannot open ${path}: ${errorText(reason)}` })
      );
    }
  }

  private readonly _openNotebook: (path: string) => Promise<unknown>;
  private readonly _openConfigure: (dt: IAsset) => void;
  private readonly _openRuns: (dt: IAsset, run?: IRun) => void;
  private readonly _runStarted: (dt: IAsset, run: IRun) => void;
  private readonly _library: HTMLElement;
  private readonly _detail: HTMLElement;
  private _info: HTMLElement = h('div');
  private _runBox: HTMLElement = h('div');
  private _runs: HTMLElement = h('div');
  private _assets: IAsset[] = [];
  private _selected: IAsset | null = null;
  private _loaded = false;
  /** Identifies the run being followed; null when none is. */
  private _pollToken: object | null = null;
  private _runsTimer = 0;
}
