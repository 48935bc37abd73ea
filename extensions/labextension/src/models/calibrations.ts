import { IDisposable } from '@lumino/disposable';
import { IPoll, Poll } from '@lumino/polling';
import { ISignal, Signal } from '@lumino/signaling';

import { ApiError, errorText } from '../api/client';
import { searchLibrary } from '../api/library';
import {
  fetchCalibration,
  fetchCalibrations,
  fetchDT,
  saveCalibrationConfig,
  startCalibration,
  twinFromCalibration
} from '../api/runtime';
import type { Calibration, Config, CreatedTwin, RunScope } from '../api/types';
import {
  calibrationProblemOf,
  calibrationRequest,
  dataChoices,
  ICalibrationForm,
  ICalibrationProblem,
  IDataChoice,
  initialCalibrationForm,
  isCalibrationRunning,
  newestCalibrationsFirst
} from '../domain/calibrate';
import { SettingsModel } from './settings';
import { TwinModel } from './twin';

/** With no calibration running, checks for ones started elsewhere come this many times slower. */
const IDLE_FACTOR = 10;

/** How many data assets the pick list offers. */
const DATA_LIMIT = 200;

/**
 * The Calibrate section of one twin's What-if tab: the form, the twin's calibrations
 * and the one selected, with its report once it ended. One `Poll` follows them while a
 * view watches (quickly while one runs), backs off when the server does not answer and
 * pauses while the page is hidden.
 */
export class CalibrationsModel implements IDisposable {
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
      name: `dtaas:calibrations:${this.scope}:${this.dt}`
    });
    settings.changed.connect(this._retime, this);
    twin.changed.connect(this._twinChanged, this);
  }

  readonly dt: string;
  readonly scope: RunScope;

  get changed(): ISignal<CalibrationsModel, void> {
    return this._changed;
  }

  get isDisposed(): boolean {
    return this._poll.isDisposed;
  }

  /** The What-if tab shows the calibrations rather than the sweeps. */
  get shown(): boolean {
    return this._shown;
  }

  show(shown: boolean): void {
    if (shown !== this._shown) {
      this._shown = shown;
      this._changed.emit();
    }
  }

  // --- the form ---------------------------------------------------------------------

  /** The form's values; kept here so that they survive a switch to another tab. */
  get form(): ICalibrationForm {
    if (!this._form) {
      this._formInfo = this.twin.info;
      this._form = initialCalibrationForm(this._formInfo);
    }
    return this._form;
  }

  /** The problems of the last Start, each where it belongs in the form. */
  get problems(): readonly ICalibrationProblem[] {
    return this._problems;
  }

  get starting(): boolean {
    return this._starting;
  }

  setForm(form: ICalibrationForm): void {
    this._form = form;
    this._changed.emit();
  }

  resetForm(): void {
    this._formInfo = this.twin.info;
    this._form = initialCalibrationForm(this._formInfo);
    this._problems = [];
    this._changed.emit();
  }

  /** The library's data assets, for the pick list (empty until they are loaded). */
  get dataChoices(): readonly IDataChoice[] {
    return this._dataChoices;
  }

  /**
   * Start the calibration the form describes; false if the form or the server refused
   * it (the problems say where).
   */
  async start(): Promise<boolean> {
    const form = this.form;
    const made = calibrationRequest(form, this.dt, this.scope, this.twin.info);
    if (!made.request) {
      this._problems = made.problems;
      this._changed.emit();
      return false;
    }
    this._starting = true;
    this._problems = [];
    this._changed.emit();
    try {
      const calibration = await startCalibration(made.request);
      this._calibrations = [
        calibration,
        ...this._calibrations.filter(c => c.id !== calibration.id)
      ];
      this._select(calibration.id);
      return true;
    } catch (reason) {
      const message = errorText(reason);
      this._problems = [
        reason instanceof ApiError && reason.status === 400
          ? calibrationProblemOf(reason.body, message, form)
          : { place: 'form', message: `Cannot start the calibration: ${message}` }
      ];
      return false;
    } finally {
      this._starting = false;
      this._retime();
      this._changed.emit();
      void this.refresh();
    }
  }

  // --- the calibrations -------------------------------------------------------------

  get calibrations(): readonly Calibration[] {
    return this._calibrations;
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

  /** The selected calibration: with its report once it ended and that was fetched. */
  get selected(): Calibration | null {
    const listed = this._calibrations.find(c => c.id === this._selectedId) ?? null;
    if (listed && this._detail && this._detail.id === listed.id) {
      return this._detail;
    }
    return listed;
  }

  get detailError(): string {
    return this._detailError;
  }

  /** A view shows the calibrations: follow them until the returned handle is disposed. */
  watch(): IDisposable {
    this._watchers++;
    if (this._watchers === 1) {
      void this._poll.start().then(() => this._poll.refresh());
    }
    if (!this._dataAsked) {
      this._dataAsked = true;
      void this._loadData();
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

  /**
   * Save the fitted values of a calibration as a configuration of the user's; the
   * twin's list of configurations (the Configure tab's) follows. Throws the refusal.
   */
  async saveConfig(id: string, name: string): Promise<Config> {
    const config = await saveCalibrationConfig(id, name);
    try {
      this.twin.setInfo(await fetchDT(this.scope, this.dt));
    } catch {
      void this.twin.load();
    }
    return config;
  }

  /** A new twin in the user's library with a calibration's fitted values as defaults. */
  newTwin(id: string, name: string, title?: string): Promise<CreatedTwin> {
    return twinFromCalibration(id, title ? { name, title } : { name });
  }

  dispose(): void {
    if (!this.isDisposed) {
      this._settings.changed.disconnect(this._retime, this);
      this.twin.changed.disconnect(this._twinChanged, this);
      this._poll.dispose();
      Signal.clearData(this);
    }
  }

  private _select(id: string | null): void {
    this._selectedId = id;
    this._detailError = '';
    if (this._detail?.id !== id) {
      this._detail = null;
    }
  }

  /** The twin's schema arrived or changed: a form never touched starts from it. */
  private _twinChanged(): void {
    if (
      this._form &&
      this._formInfo !== this.twin.info &&
      JSON.stringify(initialCalibrationForm(this._formInfo)) === JSON.stringify(this._form)
    ) {
      this._form = null;
    }
  }

  private async _loadData(): Promise<void> {
    try {
      const found = await searchLibrary({ types: ['data'], limit: DATA_LIMIT });
      this._dataChoices = dataChoices(found.items);
      this._changed.emit();
    } catch {
      // the pick list is a convenience: the reference can still be typed
      this._dataAsked = false;
    }
  }

  private _active(): boolean {
    return this._calibrations.some(c => isCalibrationRunning(c.status));
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

  /** One check: the list, then the selected calibration's report once it ended. */
  private async _tick(): Promise<void> {
    try {
      const found = newestCalibrationsFirst(
        (await fetchCalibrations(this.dt)).filter(c => !c.scope || c.scope === this.scope)
      );
      // one started here a moment ago may not be listed yet
      const listed = new Set(found.map(c => c.id));
      const pending = this._calibrations.filter(
        c => !listed.has(c.id) && c.id === this._selectedId && isCalibrationRunning(c.status)
      );
      this._calibrations = [...pending, ...found];
      this._loaded = true;
      this._error = '';
      if (this._selectedId === null && this._calibrations.length > 0) {
        this._select(this._calibrations[0].id);
      }
      await this._followSelected();
    } catch (reason) {
      this._error = `Cannot load calibrations: ${errorText(reason)}`;
      this._changed.emit();
      throw reason; // the poll backs off
    }
    this._retime();
    this._changed.emit();
  }

  private async _followSelected(): Promise<void> {
    const listed = this._calibrations.find(c => c.id === this._selectedId);
    if (!listed || isCalibrationRunning(listed.status)) {
      return;
    }
    if (this._detail && this._detail.id === listed.id && this._detail.status === listed.status) {
      return; // ended, and its report is in
    }
    try {
      const detail = await fetchCalibration(listed.id);
      if (detail.id === this._selectedId) {
        this._detail = detail;
        this._detailError = '';
      }
    } catch (reason) {
      this._detailError = `Cannot load the calibration: ${errorText(reason)}`;
    }
  }

  private readonly _settings: SettingsModel;
  private readonly _poll: Poll;
  private _watchers = 0;
  private _shown = false;
  private _form: ICalibrationForm | null = null;
  private _formInfo: TwinModel['info'] = null;
  private _problems: ICalibrationProblem[] = [];
  private _starting = false;
  private _dataChoices: IDataChoice[] = [];
  private _dataAsked = false;
  private _calibrations: Calibration[] = [];
  private _loaded = false;
  private _error = '';
  private _selectedId: string | null = null;
  private _detail: Calibration | null = null;
  private _detailError = '';
  private readonly _changed = new Signal<CalibrationsModel, void>(this);
}

const models = new WeakMap<TwinModel, CalibrationsModel>();

/** The one calibrations model of a twin, shared by its page and the commands. */
export function calibrationsOf(twin: TwinModel, settings: SettingsModel): CalibrationsModel {
  let model = models.get(twin);
  if (!model) {
    model = new CalibrationsModel(twin, settings);
    models.set(twin, model);
  }
  return model;
}
