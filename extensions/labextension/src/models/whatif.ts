import { IDisposable } from '@lumino/disposable';
import { IPoll, Poll } from '@lumino/polling';
import { ISignal, Signal } from '@lumino/signaling';

import { ApiError, errorText } from '../api/client';
import {
  cancelSweep,
  fetchDT,
  fetchSweeps,
  fetchSweepResults,
  resumeSweep,
  saveConfig,
  startSweep,
  twinFromScenario
} from '../api/runtime';
import type { Config, CreatedTwin, RunScope, Sweep, SweepResults } from '../api/types';
import {
  bestScenario,
  IFormProblem,
  initialForm,
  ISweepForm,
  isSweepRunning,
  newestFirst,
  problemOf,
  recordNames,
  scenarioValues,
  sweepRequest
} from '../domain/whatif';
import { SettingsModel } from './settings';
import { TwinModel } from './twin';

/** How many sweeps the tab lists. */
export const SWEEP_LIMIT = 100;

/** With no sweep running, checks for sweeps started elsewhere come this many times slower. */
const IDLE_FACTOR = 10;

/**
 * The What-if tab of one twin: the sweep form, the twin's sweeps, the one selected with
 * its ranked results, and the scenario picked in them. One `Poll` follows the sweeps
 * while a view watches (quickly while one runs), backs off when the server does not
 * answer and pauses while the page is hidden.
 */
export class WhatIfModel implements IDisposable {
  constructor(
    readonly twin: TwinModel,
    settings: SettingsModel
  ) {
    this.dt = twin.key.name;
    this.scope = twin.runScope ?? 'private';
    this._settings = settings;
    this._poll = new Poll({
      factory: () => this._tick(),
      frequency: this._frequency(),
      standby: () => this._watchers === 0 || 'when-hidden',
      auto: false,
      name: `dtaas:sweeps:${this.scope}:${this.dt}`
    });
    settings.changed.connect(this._retime, this);
    twin.changed.connect(this._twinChanged, this);
  }

  readonly dt: string;
  readonly scope: RunScope;

  get changed(): ISignal<WhatIfModel, void> {
    return this._changed;
  }

  get isDisposed(): boolean {
    return this._poll.isDisposed;
  }

  // --- the form ---------------------------------------------------------------------

  /** The form's values; kept here so that they survive a switch to another tab. */
  get form(): ISweepForm {
    if (!this._form) {
      this._formInfo = this.twin.info;
      this._form = initialForm(this._formInfo);
    }
    return this._form;
  }

  /** The problems of the last Start, each where it belongs in the form. */
  get problems(): readonly IFormProblem[] {
    return this._problems;
  }

  get starting(): boolean {
    return this._starting;
  }

  setForm(form: ISweepForm): void {
    this._form = form;
    this._changed.emit();
  }

  /** The form as it first showed (the twin's defaults and ranges). */
  resetForm(): void {
    this._formInfo = this.twin.info;
    this._form = initialForm(this._formInfo);
    this._problems = [];
    this._changed.emit();
  }

  /**
   * Start the sweep the form describes; false if the form or the server refused it
   * (the problems say where).
   */
  async start(): Promise<boolean> {
    const made = sweepRequest(this.form, this.dt, this.scope, this.twin.info);
    if (!made.request) {
      this._problems = made.problems;
      this._changed.emit();
      return false;
    }
    this._starting = true;
    this._problems = [];
    this._changed.emit();
    try {
      const sweep = await startSweep(made.request);
      this._sweeps = [sweep, ...this._sweeps.filter(s => s.id !== sweep.id)];
      this._select(sweep.id);
      return true;
    } catch (reason) {
      const message = errorText(reason);
      this._problems = [
        reason instanceof ApiError && reason.status === 400
          ? problemOf(reason.body, message)
          : { place: 'form', message: `Cannot start the sweep: ${message}` }
      ];
      return false;
    } finally {
      this._starting = false;
      this._retime();
      this._changed.emit();
      void this.refresh();
    }
  }

  // --- the sweeps -------------------------------------------------------------------

  get sweeps(): readonly Sweep[] {
    return this._sweeps;
  }

  get loaded(): boolean {
    return this._loaded;
  }

  get error(): string {
    return this._error;
  }

  get selectedId(): string | null {
    return this._selectedId;
  }

  get selected(): Sweep | null {
    return this._sweeps.find(s => s.id === this._selectedId) ?? null;
  }

  /** The selected sweep's results (the scenarios finished so far while it runs). */
  get results(): SweepResults | null {
    return this._results && this._results.sweep === this._selectedId ? this._results : null;
  }

  get resultsError(): string {
    return this._resultsError;
  }

  /** The scenario picked in the results, to open, save or derive from. */
  get picked(): number | null {
    return this._picked;
  }

  get pickedRow() {
    return this.results?.rows.find(r => r.scenario === this._picked) ?? null;
  }

  /** The error of the last Cancel or Resume. */
  get actionError(): string {
    return this._actionError;
  }

  /** A view shows the sweeps: follow them until the returned handle is disposed. */
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

  select(id: string | null): void {
    if (id !== this._selectedId) {
      this._select(id);
      this._changed.emit();
      void this.refresh();
    }
  }

  pick(scenario: number | null): void {
    if (scenario !== this._picked) {
      this._picked = scenario;
      this._changed.emit();
    }
  }

  /** Ask the server to stop a sweep; one that ended meanwhile (409) is shown as it ended. */
  async cancel(id: string): Promise<void> {
    await this._act(id, cancelSweep, 'cancel');
  }

  /** Go on with an interrupted or cancelled sweep. */
  async resume(id: string): Promise<void> {
    await this._act(id, resumeSweep, 'resume');
  }

  /**
   * Save a scenario's parameter values as a configuration of the user's; the twin's
   * list of configurations (the Configure tab's) follows. Throws the server's refusal.
   */
  async saveScenario(scenario: number, name: string): Promise<Config> {
    const row = this.results?.rows.find(r => r.scenario === scenario);
    if (!row) {
      throw new Error(`Scenario ${scenario} is not in the results`);
    }
    const config = await saveConfig(this.scope, this.dt, name, scenarioValues(row));
    try {
      this.twin.setInfo(await fetchDT(this.scope, this.dt));
    } catch {
      void this.twin.load();
    }
    return config;
  }

  /**
   * A new twin in the user's library from a scenario of the selected sweep: a copy of
   * this twin with the scenario's values as defaults. Throws the server's refusal.
   */
  async newTwin(scenario: number, name: string, title?: string): Promise<CreatedTwin> {
    const id = this._selectedId;
    if (!id) {
      throw new Error('No sweep is selected');
    }
    return twinFromScenario(id, scenario, title ? { name, title } : { name });
  }

  dispose(): void {
    if (!this.isDisposed) {
      this._settings.changed.disconnect(this._retime, this);
      this.twin.changed.disconnect(this._twinChanged, this);
      this._poll.dispose();
      Signal.clearData(this);
    }
  }

  private async _act(
    id: string,
    action: (id: string) => Promise<Sweep>,
    verb: string
  ): Promise<void> {
    this._actionError = '';
    try {
      const sweep = await action(id);
      this._sweeps = this._sweeps.map(s => (s.id === sweep.id ? sweep : s));
      this._resultsFinal = false;
    } catch (reason) {
      if (!(reason instanceof ApiError && reason.status === 409)) {
        this._actionError = `Cannot ${verb} the sweep: ${errorText(reason)}`;
      }
    }
    this._retime();
    this._changed.emit();
    await this.refresh();
  }

  private _select(id: string | null): void {
    this._selectedId = id;
    this._resultsError = '';
    this._actionError = '';
    this._resultsFinal = false;
    this._picked = null;
  }

  /** The twin's schema arrived or changed: a form never touched starts from it. */
  private _twinChanged(): void {
    if (
      this._form &&
      this._formInfo !== this.twin.info &&
      JSON.stringify(initialForm(this._formInfo)) === JSON.stringify(this._form)
    ) {
      this._form = null;
    }
  }

  private _active(): boolean {
    return this._sweeps.some(s => isSweepRunning(s.status));
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

  /** One check: the list, then the selected sweep's results while they can change. */
  private async _tick(): Promise<void> {
    try {
      const sweeps = newestFirst(
        (await fetchSweeps(this.dt, SWEEP_LIMIT)).filter(s => !s.scope || s.scope === this.scope)
      );
      // a sweep started here a moment ago may not be listed yet
      const listed = new Set(sweeps.map(s => s.id));
      const pending = this._sweeps.filter(
        s => !listed.has(s.id) && s.id === this._selectedId && isSweepRunning(s.status)
      );
      this._sweeps = [...pending, ...sweeps];
      this._loaded = true;
      this._error = '';
      if (this._selectedId === null && this._sweeps.length > 0) {
        this._select(this._sweeps[0].id);
      }
      await this._followSelected();
    } catch (reason) {
      this._error = `Cannot load sweeps: ${errorText(reason)}`;
      this._changed.emit();
      throw reason; // the poll backs off
    }
    this._retime();
    this._changed.emit();
  }

  private async _followSelected(): Promise<void> {
    const sweep = this.selected;
    if (!sweep || this._resultsFinal) {
      return;
    }
    const ended = !isSweepRunning(sweep.status);
    // while it runs, only when more scenarios are in than the results hold
    const held = this.results?.rows.length ?? -1;
    if (!ended && held >= sweep.done) {
      return;
    }
    try {
      const results = await fetchSweepResults(sweep.id);
      if (sweep.id !== this._selectedId) {
        return;
      }
      this._results = results;
      this._resultsError = '';
      this._resultsFinal = ended;
      if (this._picked === null || !results.rows.some(r => r.scenario === this._picked)) {
        this._picked = ended ? bestScenario(results.rows, results.analysis) : null;
      }
    } catch (reason) {
      this._resultsError = `Cannot load the results: ${errorText(reason)}`;
    }
  }

  private readonly _settings: SettingsModel;
  private readonly _poll: Poll;
  private _watchers = 0;
  private _form: ISweepForm | null = null;
  private _formInfo: TwinModel['info'] = null;
  private _problems: IFormProblem[] = [];
  private _starting = false;
  private _sweeps: Sweep[] = [];
  private _loaded = false;
  private _error = '';
  private _selectedId: string | null = null;
  private _results: SweepResults | null = null;
  private _resultsFinal = false;
  private _resultsError = '';
  private _picked: number | null = null;
  private _actionError = '';
  private readonly _changed = new Signal<WhatIfModel, void>(this);
}

const models = new WeakMap<TwinModel, WhatIfModel>();

/** The one What-if model of a twin, shared by its page and the commands. */
export function whatIfOf(twin: TwinModel, settings: SettingsModel): WhatIfModel {
  let model = models.get(twin);
  if (!model) {
    model = new WhatIfModel(twin, settings);
    models.set(twin, model);
  }
  return model;
}

/** The recorded values the twin declares (the objectives the form offers). */
export function objectiveChoices(model: WhatIfModel): string[] {
  return recordNames(model.twin.info);
}
