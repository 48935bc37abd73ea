import { ISignal, Signal } from '@lumino/signaling';

import { errorText } from '../api/client';
import { respawnSnapshot } from '../api/runtime';
import {
  addResultGrant,
  fetchResultGrants,
  fetchSharedResults,
  importSnapshot,
  resultUrl,
  revokeResultGrant
} from '../api/sharing';
import type { ResultGrant, ResultKind, Run, SharedResult } from '../api/types';

/**
 * Who may read one of the user's own runs or snapshots (a read-only page in the
 * library service), and the link to that page.
 */
export class ResultSharesModel {
  constructor(
    readonly kind: ResultKind,
    readonly dt: string,
    readonly id: string
  ) {}

  get changed(): ISignal<ResultSharesModel, void> {
    return this._changed;
  }

  get grants(): readonly ResultGrant[] {
    return this._grants;
  }

  get loaded(): boolean {
    return this._loaded;
  }

  get error(): string {
    return this._error;
  }

  /** The page a person the result is shared with opens. */
  url(owner: string): string {
    return resultUrl(this.kind, owner, this.dt, this.id);
  }

  async load(): Promise<void> {
    try {
      this._grants = await fetchResultGrants(this.kind, this.dt, this.id);
      this._error = '';
    } catch (reason) {
      this._error = `Cannot list who may read it: ${errorText(reason)}`;
    }
    this._loaded = true;
    this._changed.emit();
  }

  /** Share with a user or a group; the server's refusal is thrown. */
  async share(kind: 'user' | 'group', name: string): Promise<ResultGrant> {
    const who = name.trim();
    if (!who) {
      throw new Error(`Name the ${kind} to share with`);
    }
    const grant = await addResultGrant(
      this.kind,
      this.dt,
      this.id,
      kind === 'user' ? { user: who } : { group: who }
    );
    this._grants = [...this._grants.filter(g => g.id !== grant.id), grant];
    this._changed.emit();
    return grant;
  }

  async revoke(id: number): Promise<void> {
    await revokeResultGrant(this.kind, this.dt, this.id, id);
    this._grants = this._grants.filter(g => g.id !== id);
    this._changed.emit();
  }

  private _grants: ResultGrant[] = [];
  private _loaded = false;
  private _error = '';
  private readonly _changed = new Signal<ResultSharesModel, void>(this);
}

const shares = new Map<string, ResultSharesModel>();

/** One model per result, shared by the views that show it. */
export function resultSharesOf(kind: ResultKind, dt: string, id: string): ResultSharesModel {
  const key = `${kind}/${dt}/${id}`;
  let model = shares.get(key);
  if (!model) {
    model = new ResultSharesModel(kind, dt, id);
    shares.set(key, model);
  }
  return model;
}

/** Runs and snapshots others shared with the user; a snapshot can be respawned here. */
export class SharedResultsModel {
  get changed(): ISignal<SharedResultsModel, void> {
    return this._changed;
  }

  get results(): readonly SharedResult[] {
    return this._results;
  }

  get loaded(): boolean {
    return this._loaded;
  }

  get error(): string {
    return this._error;
  }

  /** Whether a respawn of this result is under way. */
  busy(result: SharedResult): boolean {
    return this._busy.has(keyOf(result));
  }

  async load(): Promise<void> {
    try {
      this._results = await fetchSharedResults();
      this._error = '';
    } catch (reason) {
      this._error = `Cannot list the results shared with you: ${errorText(reason)}`;
    }
    this._loaded = true;
    this._changed.emit();
  }

  /**
   * Copy a shared snapshot into the user's own store, then respawn it there at its own
   * step; the new run. A refusal of either is thrown.
   */
  async respawnHere(result: SharedResult): Promise<Run> {
    const key = keyOf(result);
    this._busy.add(key);
    this._changed.emit();
    try {
      const snapshot = await importSnapshot(result.owner, result.dt, result.id);
      return await respawnSnapshot(snapshot.id, {});
    } finally {
      this._busy.delete(key);
      this._changed.emit();
    }
  }

  private _results: SharedResult[] = [];
  private _loaded = false;
  private _error = '';
  private readonly _busy = new Set<string>();
  private readonly _changed = new Signal<SharedResultsModel, void>(this);
}

function keyOf(result: SharedResult): string {
  return `${result.kind}/${result.owner}/${result.dt}/${result.id}`;
}
