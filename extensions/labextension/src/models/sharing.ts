import { IDisposable } from '@lumino/disposable';
import { IPoll, Poll } from '@lumino/polling';
import { ISignal, Signal } from '@lumino/signaling';

import { errorText } from '../api/client';
import {
  addGrant,
  changeGrant,
  fetchGrants,
  fetchMyRequests,
  fetchVersions,
  forkAsset,
  requestPublish,
  revokeGrant
} from '../api/sharing';
import type {
  Asset,
  AssetVersion,
  Grant,
  IAssetKey,
  PublishRequest,
  Role
} from '../api/types';
import { assetRef } from '../domain/assets';
import {
  canManage,
  canPublish,
  grantBody,
  GrantRole,
  requestsFor,
  roleOf,
  SubjectKind,
  sortGrants
} from '../domain/sharing';
import { SettingsModel } from './settings';
import { TwinModel } from './twin';

/** A pending request is checked this many poll intervals apart. */
export const PENDING_FACTOR = 3;

/** Who is asking, once the library said so. */
export interface IWhoAmI {
  /** The user's name; '' until known. */
  readonly name: string;
  /** Resolves with the name once the library answered `me` (or '' if it could not). */
  whoami(): Promise<string>;
}

/**
 * The sharing of one asset as its Sharing tab shows it: its grants (for its owner),
 * the user's publish requests of it, and, for a common asset, its versions. It follows
 * a pending publish request with one `Poll` while a view watches.
 */
export class SharingModel implements IDisposable {
  constructor(options: {
    key: IAssetKey;
    settings: SettingsModel;
    user: IWhoAmI;
    /** The user's role on the asset, as its detail says; read again at every load. */
    role: () => Role | undefined;
  }) {
    this.key = options.key;
    this.ref = assetRef(options.key);
    this._settings = options.settings;
    this._user = options.user;
    this._role = options.role;
    this._poll = new Poll({
      factory: () => this._tick(),
      frequency: this._frequency(),
      standby: () => this._watchers === 0 || !this._hasPending() || 'when-hidden',
      auto: false,
      name: `dtaas:sharing:${this.ref}`
    });
    this._settings.changed.connect(this._retime, this);
  }

  readonly key: IAssetKey;
  readonly ref: string;

  get changed(): ISignal<SharingModel, void> {
    return this._changed;
  }

  get role(): Role | undefined {
    return this._role();
  }

  get canManage(): boolean {
    return canManage(this.role);
  }

  get canPublish(): boolean {
    return canPublish(this.key, this.role);
  }

  get grants(): readonly Grant[] {
    return this._grants;
  }

  get grantsLoaded(): boolean {
    return this._grantsLoaded;
  }

  get grantsError(): string {
    return this._grantsError;
  }

  /** The user's publish requests of this asset, the newest first. */
  get requests(): readonly PublishRequest[] {
    return this._requests;
  }

  get requestsError(): string {
    return this._requestsError;
  }

  get versions(): readonly AssetVersion[] {
    return this._versions;
  }

  get versionsLoaded(): boolean {
    return this._versionsLoaded;
  }

  get versionsError(): string {
    return this._versionsError;
  }

  get isDisposed(): boolean {
    return this._disposed;
  }

  /** A view shows the tab: load, and follow pending requests, until disposed. */
  watch(): IDisposable {
    this._watchers++;
    void this.load();
    if (this._watchers === 1) {
      void this._poll.start();
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

  /** Load what the user's role lets them see. */
  async load(): Promise<void> {
    await Promise.all([
      this.canManage ? this.loadGrants() : Promise.resolve(),
      this.canPublish ? this.loadRequests() : Promise.resolve(),
      this.key.scope === 'common' ? this.loadVersions() : Promise.resolve()
    ]);
  }

  async loadGrants(): Promise<void> {
    try {
      this._grants = sortGrants(await fetchGrants(this.key));
      this._grantsError = '';
    } catch (reason) {
      this._grantsError = `Cannot list who has access: ${errorText(reason)}`;
    }
    this._grantsLoaded = true;
    this._emit();
  }

  /** A new grant, or a new role for a subject that has one; the server's refusal is thrown. */
  async grant(kind: SubjectKind, name: string, role: GrantRole): Promise<Grant> {
    const body = grantBody(kind, name, role);
    if (!body) {
      throw new Error(`Name the ${kind} to share with`);
    }
    const grant = await addGrant(this.key, body);
    this._put(grant);
    return grant;
  }

  async changeRole(id: number, role: GrantRole): Promise<Grant> {
    const grant = await changeGrant(this.key, id, role);
    this._put(grant);
    return grant;
  }

  async revoke(id: number): Promise<void> {
    await revokeGrant(this.key, id);
    this._grants = this._grants.filter(g => g.id !== id);
    this._emit();
  }

  /** A copy in the user's own library (of `version`, for a common asset's earlier one). */
  async fork(name: string, version?: string): Promise<Asset> {
    const body: { name?: string; version?: string } = {};
    if (name.trim()) {
      body.name = name.trim();
    }
    if (version) {
      body.version = version;
    }
    return forkAsset(this.key, body);
  }

  async loadRequests(): Promise<void> {
    try {
      const [all, me] = await Promise.all([fetchMyRequests(), this._user.whoami()]);
      this._requests = requestsFor(all, this.key, me);
      this._requestsError = '';
    } catch (reason) {
      this._requestsError = `Cannot list the publish requests: ${errorText(reason)}`;
    }
    this._retime();
    this._emit();
  }

  /** Ask the curators to publish the asset; a refusal (with its problems) is thrown. */
  async publish(version: string, note: string): Promise<PublishRequest> {
    const request = await requestPublish({ asset: this.ref, version: version.trim(), note });
    this._requests = [request, ...this._requests.filter(r => r.id !== request.id)];
    this._retime();
    this._emit();
    void this._poll.refresh();
    return request;
  }

  async loadVersions(): Promise<void> {
    try {
      this._versions = await fetchVersions(this.key);
      this._versionsError = '';
    } catch (reason) {
      this._versionsError = `Cannot list the versions: ${errorText(reason)}`;
    }
    this._versionsLoaded = true;
    this._emit();
  }

  dispose(): void {
    if (this._disposed) {
      return;
    }
    this._disposed = true;
    this._poll.dispose();
    this._settings.changed.disconnect(this._retime, this);
    Signal.clearData(this);
  }

  private _put(grant: Grant): void {
    this._grants = sortGrants([...this._grants.filter(g => g.id !== grant.id), grant]);
    this._emit();
  }

  private _hasPending(): boolean {
    return this._requests.some(r => r.status === 'pending');
  }

  private async _tick(): Promise<void> {
    if (this._watchers > 0 && this._hasPending()) {
      await this.loadRequests();
    }
  }

  private _frequency(): IPoll.Frequency {
    return {
      interval: this._settings.values.pollInterval * PENDING_FACTOR,
      backoff: true,
      max: 60_000
    };
  }

  private _retime(): void {
    if (this._disposed) {
      return;
    }
    const next = this._frequency();
    if (next.interval !== this._poll.frequency.interval) {
      this._poll.frequency = next;
    }
    if (this._hasPending() && this._watchers > 0) {
      // out of standby: the poll checks again at its next tick
      void this._poll.start();
    }
  }

  private _emit(): void {
    if (!this._disposed) {
      this._changed.emit();
    }
  }

  private readonly _settings: SettingsModel;
  private readonly _user: IWhoAmI;
  private readonly _role: () => Role | undefined;
  private readonly _poll: Poll;
  private _watchers = 0;
  private _grants: Grant[] = [];
  private _grantsLoaded = false;
  private _grantsError = '';
  private _requests: PublishRequest[] = [];
  private _requestsError = '';
  private _versions: AssetVersion[] = [];
  private _versionsLoaded = false;
  private _versionsError = '';
  private _disposed = false;
  private readonly _changed = new Signal<SharingModel, void>(this);
}

const models = new WeakMap<TwinModel, SharingModel>();

/** The sharing model of an asset's page, one per asset. */
export function sharingOf(
  twin: TwinModel,
  shell: { settings: SettingsModel; library: IWhoAmI }
): SharingModel {
  let model = models.get(twin);
  if (!model) {
    model = new SharingModel({
      key: twin.key,
      settings: shell.settings,
      user: shell.library,
      role: () => roleOf(twin.key.scope, twin.detail?.role)
    });
    models.set(twin, model);
  }
  return model;
}
