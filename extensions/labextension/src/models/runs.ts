import { IDisposable } from '@lumino/disposable';
import { IPoll, Poll } from '@lumino/polling';
import { ISignal, Signal } from '@lumino/signaling';

import { ApiError, errorText } from '../api/client';
import {
  cancelRun,
  fetchRun,
  fetchRunLog,
  fetchRuns,
  IRunOutputs,
  startRun,
  stopRun
} from '../api/runtime';
import type { Run, RunRequest, RunScope } from '../api/types';
import { isFinished, stepsOf } from '../domain/format';
import { runOutputs } from './outputs';
import { SettingsModel } from './settings';

/** How many runs the table lists. */
export const LIST_LIMIT = 100;

/** With nothing in progress, checks for runs started elsewhere come this many times slower. */
const IDLE_FACTOR = 10;

/** The log kept in the page; older text is dropped from the front. */
const MAX_LOG_CHARS = 1_000_000;

/**
 * The runs of one digital twin: the list, the run selected with its growing log and
 * its outputs, and the runs ticked for comparison. One `Poll` follows them while a
 * view watches; it backs off when the server does not answer and pauses while the
 * page is hidden.
 */
export class RunsModel implements IDisposable {
  constructor(options: { dt: string; scope: RunScope; settings: SettingsModel }) {
    this.dt = options.dt;
    this.scope = options.scope;
    this._settings = options.settings;
    this._poll = new Poll({
      factory: () => this._tick(),
      frequency: this._frequency(),
      standby: () => this._watchers === 0 || 'when-hidden',
      auto: false,
      name: `dtaas:runs:${options.scope}:${options.dt}`
    });
    this._settings.changed.connect(this._retime, this);
  }

  readonly dt: string;
  readonly scope: RunScope;

  get changed(): ISignal<RunsModel, void> {
    return this._changed;
  }

  /** A run appeared or changed status; the sidebar follows it. */
  get statusChanged(): ISignal<RunsModel, Run> {
    return this._statusChanged;
  }

  get runs(): readonly Run[] {
    return this._runs;
  }

  get loaded(): boolean {
    return this._loaded;
  }

  get error(): string {
    return this._error;
  }

  get selected(): Run | null {
    return this._runs.find(r => r.id === this._selectedId) ?? null;
  }

  get selectedId(): string | null {
    return this._selectedId;
  }

  get log(): string {
    return this._log;
  }

  get outputs(): IRunOutputs | null {
    return this._outputs;
  }

  get outputsError(): string {
    return this._outputsError;
  }

  /** Ids of the runs started from this page (not found by polling), newest first. */
  get startedHere(): readonly string[] {
    return this._startedHere;
  }

  /** Ids of the runs ticked for comparison, in the order ticked. */
  get compared(): readonly string[] {
    return this._compared;
  }

  get isDisposed(): boolean {
    return this._poll.isDisposed;
  }

  /** A view shows these runs: follow them until the returned handle is disposed. */
  watch(): IDisposable {
    this._watchers++;
    if (this._watchers === 1) {
      void this._poll.start().then(() => this._poll.refresh());
    }
    let done = false;
    return {
      get isDisposed() {
        return done;
      },
      dispose: () => {
        if (!done) {
          done = true;
          this._watchers--;
        }
      }
    };
  }

  /** Check now rather than at the next tick. */
  refresh(): Promise<void> {
    void this._poll.start();
    return this._poll.refresh();
  }

  /** Show a run: its detail, log and outputs. */
  select(id: string | null): void {
    if (id === this._selectedId) {
      return;
    }
    this._selectedId = id;
    this._log = '';
    this._logOffset = 0;
    this._logDone = false;
    this._outputs = null;
    this._outputsError = '';
    this._changed.emit();
    void this.refresh();
  }

  toggleCompared(id: string): void {
    this._compared = this._compared.includes(id)
      ? this._compared.filter(c => c !== id)
      : [...this._compared, id];
    this._changed.emit();
  }

  clearCompared(): void {
    this._compared = [];
    this._changed.emit();
  }

  /** Start a run, list it first and select it. Throws the server's refusal. */
  async start(request: RunRequest): Promise<Run> {
    const run = await startRun({ ...request, dt: this.dt, scope: this.scope });
    this.adopt(run);
    return run;
  }

  /** A run started from this page some other way (a respawn): list it first and select it. */
  adopt(run: Run): void {
    this._startedHere = [run.id, ...this._startedHere];
    this._merge([run, ...this._runs.filter(r => r.id !== run.id)]);
    this._statusChanged.emit(run);
    this.select(run.id);
    this._retime();
  }

  /** The same steps, values, configuration and profile again. */
  rerun(run: Run): Promise<Run> {
    const request: RunRequest = {
      dt: run.dt,
      steps: stepsOf(run),
      parameters: run.parameters ?? {}
    };
    if (run.config) {
      request.config = run.config;
    }
    if (run.profile) {
      request.profile = run.profile;
    }
    return this.start(request);
  }

  /** Ask the server to cancel; a run that ended meanwhile (409) is simply shown as it ended. */
  async cancel(id: string): Promise<void> {
    try {
      this._merge(this._runs.map(r => r.id), await cancelRun(id));
    } catch (reason) {
      if (!(reason instanceof ApiError && reason.status === 409)) {
        throw reason;
      }
    }
    await this.refresh();
  }

  /** Ask a live run to stop after its tick; a run that ended meanwhile (409) is shown as it ended. */
  async stop(id: string): Promise<void> {
    try {
      this._merge(this._runs.map(r => r.id), await stopRun(id));
    } catch (reason) {
      if (!(reason instanceof ApiError && reason.status === 409)) {
        throw reason;
      }
    }
    await this.refresh();
  }

  dispose(): void {
    if (!this.isDisposed) {
      this._settings.changed.disconnect(this._retime, this);
      this._poll.dispose();
      Signal.clearData(this);
    }
  }

  private _active(): boolean {
    const selected = this.selected;
    return (
      this._runs.some(r => !isFinished(r.status)) ||
      (selected !== null && isFinished(selected.status) && !this._logDone)
    );
  }

  private _frequency(): IPoll.Frequency {
    const interval = this._settings.values.pollInterval;
    return {
      interval: this._active() ? interval : interval * IDLE_FACTOR,
      backoff: true,
      max: 30_000
    };
  }

  private _retime(): void {
    const next = this._frequency();
    if (next.interval !== this._poll.frequency.interval) {
      this._poll.frequency = next;
    }
  }

  /** One check: the list, then the selected run's log and, once it ended, its outputs. */
  private async _tick(): Promise<void> {
    try {
      const startedBefore = this._startedHere.length;
      const listed = (await fetchRuns(this.dt, LIST_LIMIT)).filter(
        r => !r.scope || r.scope === this.scope
      );
      // a run started while the list was on its way is not in it yet: keep it
      const startedSince = this._startedHere.slice(0, this._startedHere.length - startedBefore);
      const runs = [
        ...this._runs.filter(r => startedSince.includes(r.id) && !listed.some(l => l.id === r.id)),
        ...listed
      ];
      this._loaded = true;
      this._error = '';
      this._merge(runs);
      if (this._selectedId === null && runs.length > 0) {
        this._selectedId = runs[0].id;
      }
      await this._followSelected();
    } catch (reason) {
      this._error = `Cannot load runs: ${errorText(reason)}`;
      this._changed.emit();
      throw reason; // the poll backs off
    }
    this._retime();
    this._changed.emit();
  }

  private async _followSelected(): Promise<void> {
    const id = this._selectedId;
    if (!id) {
      return;
    }
    if (!this._logDone) {
      const chunk = await fetchRunLog(id, this._logOffset);
      if (id !== this._selectedId) {
        return;
      }
      if (chunk.text) {
        this._log = (this._log + chunk.text).slice(-MAX_LOG_CHARS);
      }
      this._logOffset = chunk.offset;
      // the list just fetched holds it, unless it is older than the list's limit
      let run = this._runs.find(r => r.id === id);
      if (!run) {
        run = await fetchRun(id);
        this._merge(
          this._runs.map(r => r.id),
          run
        );
      }
      this._logDone = isFinished(run.status) && (chunk.done || !chunk.text);
    }
    const run = this.selected;
    if (run && isFinished(run.status) && !this._outputs && !this._outputsError) {
      try {
        this._outputs = await runOutputs(id); // one cache with Compare's listings
      } catch (reason) {
        this._outputsError = errorText(reason);
      }
    }
  }

  /** Take a fresh list (or one fresh run), telling who listens about status changes. */
  private _merge(runs: Run[] | string[], fresh?: Run): void {
    const known = new Map(this._runs.map(r => [r.id, r]));
    if (fresh) {
      known.set(fresh.id, fresh);
    }
    const next = (runs as Array<Run | string>)
      .map(r => (typeof r === 'string' ? known.get(r) : fresh?.id === r.id ? fresh : r))
      .filter((r): r is Run => r !== undefined);
    if (fresh && !next.some(r => r.id === fresh.id)) {
      next.unshift(fresh);
    }
    for (const run of next) {
      const before = this._runs.find(r => r.id === run.id);
      if (!before || before.status !== run.status) {
        this._statusChanged.emit(run);
      }
    }
    this._runs = next;
  }

  private readonly _settings: SettingsModel;
  private readonly _poll: Poll;
  private _watchers = 0;
  private _runs: Run[] = [];
  private _loaded = false;
  private _error = '';
  private _selectedId: string | null = null;
  private _log = '';
  private _logOffset = 0;
  private _logDone = false;
  private _outputs: IRunOutputs | null = null;
  private _outputsError = '';
  private _compared: string[] = [];
  private _startedHere: string[] = [];
  private readonly _changed = new Signal<RunsModel, void>(this);
  private readonly _statusChanged = new Signal<RunsModel, Run>(this);
}
