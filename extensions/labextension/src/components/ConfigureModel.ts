import { Debouncer } from '@lumino/polling';
import { ISignal, Signal } from '@lumino/signaling';

import { ApiError, errorText } from '../api/client';
import { deleteConfig, saveConfig, validateParameters } from '../api/runtime';
import type { Config, DigitalTwin, Run, RunRequest } from '../api/types';
import {
  clientErrors,
  configNameProblem,
  errorItems,
  errorsByParameter,
  FieldErrors,
  firstErrorParameter,
  hasErrors,
  IErrorItem,
  initialProfile,
  initialSteps,
  IParameterSchema,
  IProfileOption,
  keepUnchanged,
  orderedSteps,
  parameterErrors,
  parameterNames,
  profileOptions,
  sameValues,
  sortedConfigs,
  Values,
  withDefaults
} from '../domain/parameters';
import { RunsModel } from '../models/runs';
import { SettingsModel } from '../models/settings';
import { TwinModel } from '../models/twin';

/** Quiet time after an edit before the server is asked to check the values. */
const VALIDATE_DELAY_MS = 500;

/** A line under the part of the tab the user acted in: the configuration bar or Run. */
export interface IConfigureStatus {
  text: string;
  error: boolean;
  where: 'config' | 'run';
}

const NO_STATUS: IConfigureStatus = { text: '', error: false, where: 'run' };

/**
 * The Configure tab of one twin: the configuration shown, the values being edited,
 * their errors from the browser's and the server's checks, the steps and profile of
 * the next run. It outlives the tab's view, so switching tabs keeps unsaved edits.
 */
export class ConfigureModel {
  constructor(
    readonly twin: TwinModel,
    readonly runs: RunsModel,
    private readonly _settings: SettingsModel
  ) {
    this._check = new Debouncer(() => this._serverCheck(), VALIDATE_DELAY_MS);
    twin.changed.connect(this._sync, this);
    this._sync();
  }

  get changed(): ISignal<ConfigureModel, void> {
    return this._changed;
  }

  /** A parameter whose field should get the cursor (an error was found there). */
  get focusRequested(): ISignal<ConfigureModel, string> {
    return this._focusRequested;
  }

  get info(): DigitalTwin | null {
    return this._info;
  }

  get schema(): IParameterSchema {
    return (this._info?.parameters ?? {}) as IParameterSchema;
  }

  get configs(): Config[] {
    return sortedConfigs(this._info?.configs ?? []);
  }

  /** The configuration shown; null for the defaults. */
  get current(): Config | null {
    return this._current;
  }

  get values(): Values {
    return this._values;
  }

  /** The values differ from those of the configuration shown. */
  get dirty(): boolean {
    return !sameValues(this._values, this._baseline);
  }

  /** The configuration shown can be saved to and deleted. */
  get writable(): boolean {
    return this._current !== null && !this._current.readonly;
  }

  get clientErrors(): FieldErrors {
    return this._clientErrors;
  }

  get serverErrors(): FieldErrors {
    return this._serverErrors;
  }

  get errors(): IErrorItem[] {
    return errorItems(this._clientErrors, this._serverErrors);
  }

  get status(): IConfigureStatus {
    return this._status;
  }

  /** A save, delete or start is under way. */
  get busy(): boolean {
    return this._busy;
  }

  get ticked(): readonly string[] {
    return this._ticked;
  }

  get profileOptions(): IProfileOption[] {
    return profileOptions(this.twin.profiles);
  }

  /** The profile of the next run: the user's choice, else the one the settings name. */
  get profile(): string {
    const options = this.profileOptions;
    if (this._profile !== null && options.some(o => o.value === this._profile)) {
      return this._profile;
    }
    return initialProfile(options, this._settings.values.defaultProfile);
  }

  /** New values from the form; check them again. */
  edit(values: Values): void {
    if (sameValues(values, this._values)) {
      return;
    }
    const previous = this._values;
    this._values = values;
    this._clientErrors = clientErrors(this.schema, values);
    this._serverErrors = keepUnchanged(this._serverErrors, previous, values);
    this._scheduleCheck();
    this._changed.emit();
  }

  /** Show a configuration, or the defaults for null; unsaved edits are dropped. */
  show(name: string | null): void {
    const config = name === null ? null : (this._info?.configs ?? []).find(c => c.name === name);
    this._show(config ?? null);
    this._setStatus(NO_STATUS);
  }

  setStep(step: string, ticked: boolean): void {
    const others = this._ticked.filter(s => s !== step);
    this._ticked = ticked ? [...others, step] : others;
    this._changed.emit();
  }

  setProfile(profile: string): void {
    this._profile = profile;
    this._changed.emit();
  }

  /** Refuse to send values the form already knows are wrong. */
  checkClient(where: IConfigureStatus['where']): boolean {
    if (!hasErrors(this._clientErrors)) {
      return true;
    }
    this._setStatus({ text: 'Fix the values marked in the form first.', error: true, where });
    this._focusRequested.emit(firstErrorParameter(this._clientErrors));
    return false;
  }

  /** Why the values cannot be saved under this name, or '' if they can. */
  nameProblem(name: string): string {
    return configNameProblem(name, this._info?.configs ?? []);
  }

  /** Save the values to the configuration shown. */
  async save(): Promise<void> {
    if (this._current && !this._current.readonly) {
      await this.saveAs(this._current.name);
    }
  }

  /** Save the values as a configuration of the user's (created or replaced). */
  async saveAs(name: string): Promise<void> {
    const info = this._info;
    if (!info || !this.checkClient('config')) {
      return;
    }
    const problem = this.nameProblem(name);
    if (problem) {
      this._setStatus({ text: problem, error: true, where: 'config' });
      return;
    }
    this._busy = true;
    this._setStatus({ text: `Saving ${name}…`, error: false, where: 'config' });
    let saved: Config;
    try {
      saved = await saveConfig(info.scope, info.name, name, this._values);
    } catch (reason) {
      this._busy = false;
      const inline = this._showServerErrors(reason);
      this._setStatus({
        text: `Cannot save ${name}: ${errorText(reason)}`,
        error: true,
        where: 'config'
      });
      if (inline) {
        this._focusRequested.emit(firstErrorParameter(this._serverErrors));
      }
      return;
    }
    this._busy = false;
    this._show(saved);
    this._setStatus({ text: `Saved ${saved.name}.`, error: false, where: 'config' });
    const latest = this.twin.info ?? info;
    this.twin.setInfo({
      ...latest,
      configs: [...(latest.configs ?? []).filter(c => c.name !== saved.name), saved]
    });
  }

  /** Delete the configuration shown (the caller asked the user first). */
  async remove(): Promise<void> {
    const info = this._info;
    const config = this._current;
    if (!info || !config || config.readonly) {
      return;
    }
    this._busy = true;
    this._setStatus({ text: `Deleting ${config.name}…`, error: false, where: 'config' });
    try {
      await deleteConfig(info.scope, info.name, config.name);
    } catch (reason) {
      // Already gone is as good as deleted.
      if (!(reason instanceof ApiError && reason.status === 404)) {
        this._busy = false;
        this._setStatus({
          text: `Cannot delete ${config.name}: ${errorText(reason)}`,
          error: true,
          where: 'config'
        });
        return;
      }
    }
    this._busy = false;
    this._show(null);
    this._setStatus({ text: `Deleted ${config.name}.`, error: false, where: 'config' });
    const latest = this.twin.info ?? info;
    this.twin.setInfo({
      ...latest,
      configs: (latest.configs ?? []).filter(c => c.name !== config.name)
    });
  }

  /** Start the ticked steps with these values; the run, or null if it did not start. */
  async run(): Promise<Run | null> {
    const info = this._info;
    if (!info || !this.checkClient('run')) {
      return null;
    }
    const steps = orderedSteps(info.steps ?? [], this._ticked);
    if (steps.length === 0) {
      this._setStatus({ text: 'Choose at least one step to run.', error: true, where: 'run' });
      return null;
    }
    const request: RunRequest = {
      dt: info.name,
      scope: info.scope,
      steps,
      parameters: { ...this._values }
    };
    // Naming the configuration is only true to it while its values are untouched.
    if (this._current && !this.dirty) {
      request.config = this._current.name;
    }
    const profile = this.profile;
    if (profile) {
      request.profile = profile;
    }
    this._busy = true;
    this._setStatus({ text: 'Starting…', error: false, where: 'run' });
    try {
      const run = await this.runs.start(request);
      this._busy = false;
      this._setStatus({ text: `Started run ${run.id}.`, error: false, where: 'run' });
      return run;
    } catch (reason) {
      this._busy = false;
      this._showServerErrors(reason);
      this._setStatus({
        text: `Cannot start the run: ${errorText(reason)}`,
        error: true,
        where: 'run'
      });
      return null;
    }
  }

  /** The twin was loaded again: take its configurations; new parameters start afresh. */
  private _sync(): void {
    const info = this.twin.info;
    if (!info || info === this._info) {
      return;
    }
    const schemaKey = JSON.stringify(info.parameters ?? {});
    const first = this._info === null;
    const name = this._current?.name;
    const fresh = name ? ((info.configs ?? []).find(c => c.name === name) ?? null) : null;
    const stepNames = (info.steps ?? []).map(s => s.name);
    this._ticked = first
      ? initialSteps(info.steps ?? [])
      : this._ticked.filter(s => stepNames.includes(s));
    this._info = info;
    if (first || schemaKey !== this._schemaKey) {
      this._schemaKey = schemaKey;
      this._show(fresh);
      return;
    }
    if (name && !fresh) {
      // Deleted meanwhile: the values stay, now as edits of the defaults.
      this._current = null;
      this._baseline = withDefaults(this.schema, {});
    } else if (fresh) {
      const baseline = withDefaults(this.schema, fresh.values ?? {});
      const keep = this.dirty;
      this._current = fresh;
      this._baseline = baseline;
      if (!keep) {
        this._values = { ...baseline };
        this._clientErrors = clientErrors(this.schema, this._values);
      }
    }
    this._changed.emit();
  }

  private _show(config: Config | null): void {
    this._current = config;
    this._baseline = withDefaults(this.schema, config?.values ?? {});
    this._values = { ...this._baseline };
    this._clientErrors = clientErrors(this.schema, this._values);
    this._serverErrors = {};
    void this._check.stop();
    this._changed.emit();
  }

  private _setStatus(status: IConfigureStatus): void {
    this._status = status;
    this._changed.emit();
  }

  /** Let the server judge the values too, once the user pauses. */
  private _scheduleCheck(): void {
    if (!this._info || hasErrors(this._clientErrors) || !this.dirty) {
      void this._check.stop();
      return;
    }
    this._check.invoke().catch(() => undefined);
  }

  private async _serverCheck(): Promise<void> {
    const info = this._info;
    const values = this._values;
    if (!info || hasErrors(this._clientErrors) || !this.dirty) {
      return;
    }
    try {
      await validateParameters(info.scope, info.name, values);
      if (values === this._values && Object.keys(this._serverErrors).length) {
        this._serverErrors = {};
        this._changed.emit();
      }
    } catch (reason) {
      // Only a verdict about these very values is shown; other failures are left to Save/Run.
      if (values === this._values && reason instanceof ApiError && reason.status === 400) {
        this._showServerErrors(reason);
      }
    }
  }

  /** Put a 400 answer's errors on their fields; true if it had any. */
  private _showServerErrors(reason: unknown): boolean {
    if (!(reason instanceof ApiError)) {
      return false;
    }
    const errors = parameterErrors(reason.body);
    if (errors.length === 0) {
      return false;
    }
    this._serverErrors = errorsByParameter(errors, parameterNames(this.schema));
    this._changed.emit();
    return true;
  }

  private readonly _check: Debouncer<void>;
  private _info: DigitalTwin | null = null;
  private _schemaKey = '';
  private _current: Config | null = null;
  private _baseline: Values = {};
  private _values: Values = {};
  private _clientErrors: FieldErrors = {};
  private _serverErrors: FieldErrors = {};
  private _status: IConfigureStatus = NO_STATUS;
  private _busy = false;
  private _ticked: string[] = [];
  private _profile: string | null = null;
  private readonly _changed = new Signal<ConfigureModel, void>(this);
  private readonly _focusRequested = new Signal<ConfigureModel, string>(this);
}

const models = new WeakMap<TwinModel, ConfigureModel>();

/** The one Configure model of a twin, made when its tab first shows. */
export function configureModelOf(
  twin: TwinModel,
  runs: RunsModel,
  settings: SettingsModel
): ConfigureModel {
  let model = models.get(twin);
  if (!model) {
    model = new ConfigureModel(twin, runs, settings);
    models.set(twin, model);
  }
  return model;
}
