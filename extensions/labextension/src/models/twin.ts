import { ISignal, Signal } from '@lumino/signaling';

import { errorText } from '../api/client';
import { fetchAsset } from '../api/library';
import { fetchDT, fetchProfiles } from '../api/runtime';
import type { AssetDetail, DigitalTwin, IAssetKey, Profile, RunScope } from '../api/types';
import { assetRef, runScope } from '../domain/assets';
import { RunsModel } from './runs';
import { SettingsModel } from './settings';

/**
 * One asset as its page shows it: the library's detail (README, files, relations,
 * problems) and, for a digital twin the runtime can run, its parameters, steps,
 * configurations and runs.
 */
export class TwinModel {
  constructor(
    readonly key: IAssetKey,
    readonly runs: RunsModel | null
  ) {
    this.ref = assetRef(key);
  }

  /** `mine/digital_twins/<name>`, as dt.yaml and commands name it. */
  readonly ref: string;

  get changed(): ISignal<TwinModel, void> {
    return this._changed;
  }

  get isTwin(): boolean {
    return this.key.type === 'digital_twins';
  }

  /** private or common: the scopes the runtime runs twins from; null for the others. */
  get runScope(): RunScope | null {
    return this.isTwin ? runScope(this.key.scope) : null;
  }

  get title(): string {
    return this._detail?.title || this._info?.title || this.key.title || this.key.name;
  }

  get detail(): AssetDetail | null {
    return this._detail;
  }

  get detailError(): string {
    return this._detailError;
  }

  get info(): DigitalTwin | null {
    return this._info;
  }

  get infoError(): string {
    return this._infoError;
  }

  get profiles(): readonly Profile[] {
    return this._profiles;
  }

  /** The library's detail has landed (or failed): the page can show its sections. */
  get loaded(): boolean {
    return this._loaded;
  }

  /**
   * Load, or load again (a file of the asset was saved): library detail and runtime info.
   * Each lands on its own, so the page shows the library's detail without waiting for
   * the runtime, and the other way round.
   */
  async load(): Promise<void> {
    const scope = this.runScope;
    const failed = (reason: unknown) => `Cannot load ${this.key.name}: ${errorText(reason)}`;
    await Promise.all([
      fetchAsset(this.key)
        .then(
          detail => void ([this._detail, this._detailError] = [detail, '']),
          reason => void (this._detailError = failed(reason))
        )
        .then(() => {
          this._loaded = true;
          this._changed.emit();
        }),
      scope
        ? fetchDT(scope, this.key.name)
            .then(
              info => void ([this._info, this._infoError] = [info, '']),
              reason => void (this._infoError = failed(reason))
            )
            .then(() => this._changed.emit())
        : Promise.resolve(),
      // Profiles are optional: without them, runs stay in this workspace.
      scope && !this._profiles.length
        ? fetchProfiles().then(
            profiles => {
              this._profiles = profiles;
              this._changed.emit();
            },
            () => undefined
          )
        : Promise.resolve()
    ]);
  }

  /** A saved configuration changed the twin's list of them. */
  setInfo(info: DigitalTwin): void {
    this._info = info;
    this._changed.emit();
  }

  private _detail: AssetDetail | null = null;
  private _detailError = '';
  private _info: DigitalTwin | null = null;
  private _infoError = '';
  private _profiles: Profile[] = [];
  private _loaded = false;
  private readonly _changed = new Signal<TwinModel, void>(this);
}

/** One model per asset and one runs model per twin, shared by every view of them. */
export class TwinRegistry {
  constructor(private readonly _settings: SettingsModel) {}

  /** A run of some twin appeared or changed status. */
  get runStatusChanged(): ISignal<TwinRegistry, RunsModel> {
    return this._runStatusChanged;
  }

  twin(key: IAssetKey): TwinModel {
    const ref = assetRef(key);
    let model = this._twins.get(ref);
    if (!model) {
      const scope = key.type === 'digital_twins' ? runScope(key.scope) : null;
      model = new TwinModel(key, scope ? this.runs(key.name, scope) : null);
      this._twins.set(ref, model);
    }
    return model;
  }

  runs(dt: string, scope: RunScope): RunsModel {
    const id = `${scope}:${dt}`;
    let model = this._runs.get(id);
    if (!model) {
      model = new RunsModel({ dt, scope, settings: this._settings });
      model.statusChanged.connect(m => this._runStatusChanged.emit(m));
      this._runs.set(id, model);
    }
    return model;
  }

  /** Every twin model whose files lie below `path`. */
  under(path: string): TwinModel[] {
    return [...this._twins.values()].filter(
      m => m.detail && (path === m.detail.path || path.startsWith(`${m.detail.path}/`))
    );
  }

  private readonly _twins = new Map<string, TwinModel>();
  private readonly _runs = new Map<string, RunsModel>();
  private readonly _runStatusChanged = new Signal<TwinRegistry, RunsModel>(this);
}
