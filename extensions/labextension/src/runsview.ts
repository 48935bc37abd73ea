import { refreshIcon } from '@jupyterlab/ui-components';
import { Widget } from '@lumino/widgets';

import {
  ApiError,
  cancelRun,
  fetchDT,
  fetchRun,
  fetchRunLog,
  fetchRuns,
  IDTRef,
  IRun,
  IRunRequest,
  isFinished,
  startRun
} from './api';
import {
  button,
  errorText,
  formatDuration,
  formatTime,
  formatValue,
  h,
  stripAnsi
} from './dom';
import { renderRecorded } from './runs';

/** Delay between two requests for the state and log of the run shown. */
const POLL_INTERVAL_MS = 700;

/** Delay between two reloads of the table while some run in it is unfinished. */
const LIST_INTERVAL_MS = 3000;

/** Consecutive failed requests tolerated before the view stops following a run. */
const MAX_POLL_FAILURES = 5;

/** How many runs the table lists. */
const LIST_LIMIT = 100;

export interface IRunsViewOptions {
  dt: IDTRef;
  /** Open a workspace-relative file in the document manager. */
  open: (path: string) => Promise<unknown>;
  /** Show a workspace-relative folder in the file browser. */
  goTo: (path: string) => Promise<unknown>;
  /** Told when a run appears or changes status, so that other lists can follow. */
  statusChanged?: (run: IRun) => void;
}

function sleep(ms: number): Promise<void> {
  return new Promise(resolve => window.setTimeout(resolve, ms));
}

function stepsOf(run: IRun): string[] {
  return run.steps?.length ? run.steps : [run.step];
}

/** Seconds the run took, or has taken so far. */
function durationOf(run: IRun): number | null {
  if (run.duration_s !== undefined && run.duration_s !== null) {
    return run.duration_s;
  }
  if (!run.started) {
    return null;
  }
  const end = run.finished ? Date.parse(run.finished) : Date.now();
  return (end - Date.parse(run.started)) / 1000;
}

function parametersText(parameters: Record<string, unknown>): string {
  return Object.entries(parameters ?? {})
    .map(([name, value]) => `${name}=${formatValue(value)}`)
    .join(', ');
}

/** "step execute (1 of 2), cell 3 of 7"; the numbers are 1-based for people. */
function progressText(run: IRun): string {
  if (run.status === 'queued') {
    return 'Waiting to start…';
  }
  const p = run.progress;
  if (!p || !p.step) {
    return 'Starting…';
  }
  let text = `step ${p.step} (${p.step_index + 1} of ${p.steps_total})`;
  if (p.cells_total > 0) {
    text += `, cell ${Math.min(p.cell + 1, p.cells_total)} of ${p.cells_total}`;
  }
  return text;
}

/** Run history of one digital twin with the live log of the run selected. */
export class RunsView extends Widget {
  constructor(options: IRunsViewOptions) {
    super();
    this._dt = options.dt;
    this._open = options.open;
    this._goTo = options.goTo;
    this._statusChanged = options.statusChanged ?? (() => undefined);
    this.addClass('dtaas-view');
    this.addClass('dtaas-runs-view');
    this.title.label = `Runs of ${options.dt.title || options.dt.name}`;

    const refresh = h('button', {
      className: 'dtaas-refresh jp-Button jp-mod-minimal',
      attrs: { type: 'button', title: 'Refresh', 'aria-label': 'Refresh' }
    });
    refreshIcon.element({ container: refresh, tag: 'span' });
    refresh.addEventListener('click', () => void this.refresh());

    this._body = h('tbody');
    this._table = h('div', { className: 'dtaas-runs-table-wrap' }, [
      h('table', { className: 'dtaas-runs-table' }, [
        h('thead', {}, [
          h(
            'tr',
            {},
            ['Status', 'Started', 'Duration', 'Steps', 'Config', 'Parameters'].map(text =>
              h('th', { text })
            )
          )
        ]),
        this._body
      ])
    ]);
    this._empty = h('div', { className: 'dtaas-muted', text: 'Loading…' });
    this._detail = h('div', { className: 'dtaas-run-detail', attrs: { hidden: '' } });
    this.node.append(
      h('div', { className: 'dtaas-view-header' }, [
        h('h2', { className: 'dtaas-view-title', text: options.dt.title || options.dt.name }),
        h('span', { className: 'dtaas-chip', text: options.dt.scope }),
        h('span', { className: 'dtaas-spacer' }),
        refresh
      ]),
      this._table,
      this._empty,
      this._detail
    );
    void this._loadUnits();
    void this.refresh();
  }

  get dt(): IDTRef {
    return this._dt;
  }

  /** Reload the table; the first load selects the newest run. */
  async refresh(): Promise<void> {
    window.clearTimeout(this._listTimer);
    let runs: IRun[];
    try {
      runs = await fetchRuns(this._dt.name, LIST_LIMIT);
    } catch (reason) {
      this._empty.className = 'dtaas-error';
      this._empty.textContent = `Cannot load runs: ${errorText(reason)}`;
      this._empty.hidden = false;
      return;
    }
    if (this.isDisposed) {
      return;
    }
    this._loaded = true;
    const before = new Map(this._runs.map(r => [r.id, r.status]));
    // Names are unique per scope only, so keep this scope's runs.
    this._runs = runs.filter(r => !r.scope || r.scope === this._dt.scope);
    // A reload can be the first to see a run finish; the followed run's poll
    // then finds no change, so other lists are told here.
    for (const run of this._runs) {
      const status = before.get(run.id);
      if (status !== undefined && status !== run.status) {
        this._statusChanged(run);
      }
    }
    this._renderTable();
    if (this._selected === null && this._runs.length > 0) {
      this.select(this._runs[0].id);
    }
    if (this._runs.some(r => !isFinished(r.status))) {
      this._listTimer = window.setTimeout(() => void this.refresh(), LIST_INTERVAL_MS);
    }
  }

  /** Show a run just started elsewhere, before the table knows about it. */
  showRun(run: IRun): void {
    if (!this._runs.some(r => r.id === run.id)) {
      this._runs = [run, ...this._runs];
      this._renderTable();
      this._statusChanged(run);
    }
    this.select(run.id);
    void this.refresh();
  }

  /** Select a run and follow its state and log until it is finished. */
  select(id: string): void {
    if (this._selected === id) {
      return;
    }
    this._selected = id;
    for (const [runId, { row }] of this._rows) {
      row.classList.toggle('jp-mod-selected', runId === id);
    }
    this._buildDetail(id);
    void this._follow(id);
  }

  private async _loadUnits(): Promise<void> {
    try {
      const info = await fetchDT(this._dt.scope, this._dt.name);
      for (const [name, record] of Object.entries(info.records ?? {})) {
        if (record['x-unit']) {
          this._units[name] = record['x-unit'];
        }
      }
      if (info.title) {
        this.title.label = `Runs of ${info.title}`;
      }
    } catch {
      // Units are a nicety; values are shown without them.
    }
  }

  private _renderTable(): void {
    this._empty.className = 'dtaas-muted';
    this._empty.textContent = 'No runs yet';
    this._empty.hidden = this._runs.length > 0;
    this._table.hidden = this._runs.length === 0;
    // Unchanged rows are kept, so a click on one is not lost to a reload.
    const rows = new Map<string, { state: string; row: HTMLElement }>();
    for (const run of this._runs) {
      const state = JSON.stringify(run);
      const known = this._rows.get(run.id);
      const keep = known !== undefined && known.state === state;
      rows.set(run.id, keep ? known : { state, row: this._renderRow(run) });
    }
    this._rows = rows;
    this._body.replaceChildren(...Array.from(rows.values(), r => r.row));
  }

  private _renderRow(run: IRun): HTMLElement {
    const params = parametersText(run.parameters);
    const row = h(
      'tr',
      {
        className: 'dtaas-run-row' + (run.id === this._selected ? ' jp-mod-selected' : ''),
        attrs: { 'data-run-id': run.id, tabindex: '0', title: run.id }
      },
      [
        h('td', {}, [
          h('span', {
            className: `dtaas-run-row-status dtaas-status-${run.status}`,
            text: run.status
          })
        ]),
        h('td', { text: formatTime(run.started ?? run.created) }),
        h('td', { className: 'dtaas-num', text: formatDuration(durationOf(run)) }),
        h('td', { text: stepsOf(run).join(' → ') }),
        h('td', { text: run.config ?? '' }),
        h('td', { className: 'dtaas-run-row-params', text: params, attrs: { title: params } })
      ]
    );
    row.addEventListener('click', () => this.select(run.id));
    row.addEventListener('keydown', (event: KeyboardEvent) => {
      if (event.key === 'Enter' || event.key === ' ') {
        event.preventDefault();
        this.select(run.id);
      }
    });
    return row;
  }

  /** Put a fresh state of a run into its table row without rebuilding the table. */
  private _updateRow(run: IRun): void {
    const index = this._runs.findIndex(r => r.id === run.id);
    if (index >= 0) {
      if (this._runs[index].status !== run.status) {
        this._statusChanged(run);
      }
      this._runs[index] = run;
    }
    const known = this._rows.get(run.id);
    const state = JSON.stringify(run);
    if (known && known.state !== state) {
      const row = this._renderRow(run);
      known.row.replaceWith(row);
      this._rows.set(run.id, { state, row });
    }
  }

  /** The parts of the detail that persist while a run is followed. */
  private _buildDetail(id: string): void {
    this._detailParts = {
      status: h('span', { className: 'dtaas-run-detail-status' }),
      progress: h('div', { className: 'dtaas-run-progress', attrs: { hidden: '' } }),
      cancel: button('dtaas-run-cancel', 'Cancel', () => void this._cancel(), 'jp-mod-warn'),
      rerun: button('dtaas-run-rerun', 'Re-run', () => void this._rerun()),
      outputs: button('dtaas-run-open-outputs', 'Open outputs', () => void this._openOutputs()),
      notebooks: h('span', { className: 'dtaas-run-notebooks' }),
      message: h('div', { className: 'dtaas-run-message' }),
      info: h('div', { className: 'dtaas-run-info' }),
      log: h('pre', { className: 'dtaas-run-log' })
    };
    const parts = this._detailParts;
    parts.cancel.hidden = true;
    this._detail.dataset.runId = id;
    this._detail.replaceChildren(
      h('div', { className: 'dtaas-run-detail-head' }, [
        h('h3', { className: 'dtaas-run-detail-title', text: `Run ${id}` }),
        parts.status
      ]),
      parts.progress,
      h('div', { className: 'dtaas-run-actions' }, [
        parts.cancel,
        parts.rerun,
        parts.outputs,
        parts.notebooks
      ]),
      parts.message,
      parts.info,
      h('h4', { className: 'dtaas-section-title', text: 'Log' }),
      parts.log
    );
    this._detail.hidden = false;
    this._shown = null;
    this._shownNotebooks = '';
    this._transient = false;
  }

  private _renderDetail(run: IRun): void {
    const parts = this._detailParts;
    if (!parts || this._selected !== run.id) {
      return;
    }
    this._shown = run;
    parts.status.textContent = run.status;
    parts.status.className = `dtaas-run-detail-status dtaas-status-${run.status}`;
    const active = !isFinished(run.status);
    parts.progress.hidden = !active;
    parts.progress.textContent = active ? progressText(run) : '';
    parts.cancel.hidden = !active;
    if (!active && this._transient) {
      parts.message.replaceChildren();
      this._transient = false;
    }
    parts.outputs.disabled = !run.dir;

    const notebooks = run.notebooks?.length ? run.notebooks : run.notebook ? [run.notebook] : [];
    if (notebooks.join('\n') !== this._shownNotebooks) {
      this._shownNotebooks = notebooks.join('\n');
      parts.notebooks.replaceChildren(
        ...notebooks.map(path => {
          const name = path.split('/').pop() ?? path;
          const open = button(
            'dtaas-run-open-notebook',
            `Open ${name}`,
            () => void this._openPath(path)
          );
          open.dataset.path = path;
          open.title = path;
          return open;
        })
      );
    }

    const info: HTMLElement[] = [
      this._infoLine('Steps', stepsOf(run).join(' → ')),
      this._infoLine('Configuration', run.config ?? 'none'),
      this._infoLine('Compute', run.profile ?? 'this workspace'),
      this._infoLine('Started', formatTime(run.started ?? run.created)),
      this._infoLine('Duration', formatDuration(durationOf(run)) || '–'),
      this._infoLine('Parameters', parametersText(run.parameters) || 'defaults')
    ];
    if (run.status === 'failed') {
      info.push(this._failure(run));
    }
    if (run.status === 'succeeded' || Object.keys(run.recorded ?? {}).length > 0) {
      info.push(
        h('h4', { className: 'dtaas-section-title', text: 'Recorded values' }),
        renderRecorded(run.recorded ?? {}, this._units)
      );
    }
    parts.info.replaceChildren(...info);
  }

  private _infoLine(label: string, value: string): HTMLElement {
    return h('div', { className: 'dtaas-run-info-line' }, [
      h('span', { className: 'dtaas-label', text: label }),
      h('span', { className: 'dtaas-run-info-value', text: value })
    ]);
  }

  /** The error, the failing cell and its traceback. */
  private _failure(run: IRun): HTMLElement {
    const failed = run.step_results?.find(r => r.status === 'failed');
    const cell = run.cell ?? failed?.cell ?? null;
    const traceback = run.traceback ?? failed?.traceback ?? '';
    const where = [
      failed?.step ? `step ${failed.step}` : '',
      cell !== null ? `cell ${cell + 1}` : ''
    ]
      .filter(Boolean)
      .join(', ');
    return h('div', { className: 'dtaas-run-failure' }, [
      h('div', {
        className: 'dtaas-error',
        text: (where ? `Failed in ${where}: ` : '') + (run.error || 'the run failed')
      }),
      ...(traceback
        ? [h('pre', { className: 'dtaas-run-traceback', text: stripAnsi(traceback) })]
        : [])
    ]);
  }

  /** Poll the run and its log until it is finished and the log is complete. */
  private async _follow(id: string): Promise<void> {
    let offset = 0;
    let failures = 0;
    let lastRendered = '';
    while (this._selected === id && !this.isDisposed) {
      let run: IRun;
      let logDone = false;
      try {
        const chunk = await fetchRunLog(id, offset);
        if (this._selected !== id) {
          return;
        }
        if (chunk.text) {
          this._appendLog(chunk.text);
        }
        offset = chunk.offset;
        logDone = chunk.done || !chunk.text;
        run = await fetchRun(id);
        failures = 0;
      } catch (reason) {
        // A single failed request (e.g. a server restart) should not end the watch.
        const gone = reason instanceof ApiError && reason.status === 404;
        if (++failures < MAX_POLL_FAILURES && !gone) {
          await sleep(POLL_INTERVAL_MS);
          continue;
        }
        if (this._selected === id && this._detailParts) {
          this._detailParts.message.replaceChildren(
            h('div', {
              className: 'dtaas-error',
              text: `Cannot follow the run: ${errorText(reason)}`
            })
          );
        }
        return;
      }
      if (this._selected !== id) {
        return;
      }
      const state = JSON.stringify(run);
      if (state !== lastRendered) {
        lastRendered = state;
        this._renderDetail(run);
        this._updateRow(run);
      }
      if (isFinished(run.status) && logDone) {
        // A run started elsewhere may have missed the last reload of the table.
        if (!this._rows.has(id)) {
          void this.refresh();
        }
        return;
      }
      await sleep(POLL_INTERVAL_MS);
    }
  }

  private _appendLog(text: string): void {
    const log = this._detailParts?.log;
    if (!log) {
      return;
    }
    // Keep following the end unless the user scrolled up to read.
    const atEnd = log.scrollTop + log.clientHeight >= log.scrollHeight - 4;
    log.appendChild(document.createTextNode(stripAnsi(text)));
    if (atEnd) {
      log.scrollTop = log.scrollHeight;
    }
  }

  /** A message under the actions; one that is not an error lasts until the run finishes. */
  private _say(text: string, isError = true): void {
    this._transient = !isError;
    this._detailParts?.message.replaceChildren(
      h('div', { className: isError ? 'dtaas-error' : 'dtaas-muted', text })
    );
  }

  private async _cancel(): Promise<void> {
    const run = this._shown;
    const parts = this._detailParts;
    if (!run || !parts) {
      return;
    }
    parts.cancel.disabled = true;
    try {
      const updated = await cancelRun(run.id);
      this._renderDetail(updated);
      this._updateRow(updated);
      this._say('Cancelling…', false);
    } catch (reason) {
      // 409: it finished meanwhile; the next poll shows how.
      if (!(reason instanceof ApiError && reason.status === 409)) {
        this._say(`Cannot cancel: ${errorText(reason)}`);
      }
    } finally {
      parts.cancel.disabled = false;
    }
  }

  private async _rerun(): Promise<void> {
    const run = this._shown;
    if (!run) {
      return;
    }
    const request: IRunRequest = {
      dt: run.dt,
      scope: run.scope,
      steps: stepsOf(run),
      parameters: run.parameters ?? {}
    };
    if (run.config) {
      request.config = run.config;
    }
    if (run.profile) {
      request.profile = run.profile;
    }
    try {
      this.showRun(await startRun(request));
    } catch (reason) {
      this._say(`Cannot start the run again: ${errorText(reason)}`);
    }
  }

  private async _openOutputs(): Promise<void> {
    const run = this._shown;
    if (!run?.dir) {
      return;
    }
    try {
      await this._goTo(`${run.dir}/outputs`);
    } catch {
      // A run that wrote no outputs has no such folder; its folder is the next best place.
      try {
        await this._goTo(run.dir);
      } catch (reason) {
        this._say(`Cannot open ${run.dir}: ${errorText(reason)}`);
      }
    }
  }

  private async _openPath(path: string): Promise<void> {
    try {
      await this._open(path);
    } catch (reason) {
      this._say(`Cannot open ${path}: ${errorText(reason)}`);
    }
  }

  // A run may have started elsewhere (e.g. from the sidebar) while hidden.
  protected onAfterShow(): void {
    if (this._loaded) {
      void this.refresh();
    }
  }

  dispose(): void {
    window.clearTimeout(this._listTimer);
    this._selected = null;
    super.dispose();
  }

  private readonly _dt: IDTRef;
  private readonly _open: (path: string) => Promise<unknown>;
  private readonly _goTo: (path: string) => Promise<unknown>;
  private readonly _statusChanged: (run: IRun) => void;
  private readonly _body: HTMLTableSectionElement;
  private readonly _table: HTMLElement;
  private readonly _empty: HTMLElement;
  private readonly _detail: HTMLElement;
  private _detailParts: {
    status: HTMLElement;
    progress: HTMLElement;
    cancel: HTMLButtonElement;
    rerun: HTMLButtonElement;
    outputs: HTMLButtonElement;
    notebooks: HTMLElement;
    message: HTMLElement;
    info: HTMLElement;
    log: HTMLElement;
  } | null = null;
  private _runs: IRun[] = [];
  private _rows = new Map<string, { state: string; row: HTMLElement }>();
  private _units: Record<string, string> = {};
  /** The run shown below the table; polling stops once it changes. */
  private _selected: string | null = null;
  private _shown: IRun | null = null;
  private _shownNotebooks = '';
  private _listTimer = 0;
  private _loaded = false;
  private _transient = false;
}
