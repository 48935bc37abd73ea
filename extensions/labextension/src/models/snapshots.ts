import { IDisposable } from '@lumino/disposable';
import { ISignal, Signal } from '@lumino/signaling';

import { errorText } from '../api/client';
import {
  deleteSnapshot,
  diffSnapshots,
  fetchSnapshot,
  fetchSnapshots,
  labelSnapshot,
  respawnSnapshot,
  saveRun
} from '../api/runtime';
import type { RespawnRequest, Run, Snapshot, SnapshotDiff, SnapshotSummary } from '../api/types';
import { diffPair, isSnapshot } from '../domain/snapshots';
import { RunsModel } from './runs';

/** How many snapshots the tab lists. */
export const SNAPSHOT_LIMIT = 200;

/** What Save did: a snapshot was written, or it will be when the running step ends. */
export type SaveResult = { snapshot: Snapshot; run?: undefined } | { snapshot?: undefined; run: Run };

/**
 * The snapshots of one digital twin: the list, the one selected with its detail, the two
 * ticked and their differences, and the actions on them (label, delete, respawn, and
 * Save of a run). It has no poll of its own: it lists again after its own actions, when
 * the runs model's poll sees a run's snapshots change, and when asked to.
 */
export class SnapshotsModel implements IDisposable {
  constructor(readonly runs: RunsModel) {
    this.dt = runs.dt;
    this.scope = runs.scope;
    runs.changed.connect(this._runsChanged, this);
  }

  readonly dt: string;
  readonly scope: string;

  get changed(): ISignal<SnapshotsModel, void> {
    return this._changed;
  }

  get list(): readonly SnapshotSummary[] {
    return this._list;
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

  get selected(): SnapshotSummary | null {
    return this._list.find(s => s.id === this._selectedId) ?? null;
  }

  /** The selected snapshot with its files, variables and what was skipped, once loaded. */
  get detail(): Snapshot | null {
    return this._detail && this._detail.id === this._selectedId ? this._detail : null;
  }

  get detailError(): string {
    return this._detailError;
  }

  /** Ids of the snapshots ticked for a diff, in the order ticked. */
  get ticked(): readonly string[] {
    return this._ticked;
  }

  /** The differences between the two ticked snapshots, the older first. */
  get diff(): SnapshotDiff | null {
    const pair = diffPair(this._ticked, this._list);
    return pair && this._diff && this._diff.a === pair[0] && this._diff.b === pair[1]
      ? this._diff
      : null;
  }

  get diffError(): string {
    return this._diffError;
  }

  /** A snapshot by id, if listed. */
  find(id: string | null | undefined): SnapshotSummary | null {
    return id ? (this._list.find(s => s.id === id) ?? null) : null;
  }

  get isDisposed(): boolean {
    return this._disposed;
  }

  /** A view shows the snapshots: list them, and have the runs followed, until disposed. */
  watch(): IDisposable {
    const runs = this.runs.watch();
    if (!this._loading) {
      void this.refresh(); // saved elsewhere (the CLI, another page) since last shown
    }
    return runs;
  }

  /** List again (and the selected snapshot's detail if it is not loaded). */
  async refresh(): Promise<void> {
    const asked = ++this._asked;
    this._loading = true;
    try {
      const list = (await fetchSnapshots(this.dt, SNAPSHOT_LIMIT)).filter(
        s => !s.scope || s.scope === this.scope
      );
      if (asked !== this._asked || this._disposed) {
        return;
      }
      this._list = list;
      this._loaded = true;
      this._error = '';
      const ids = new Set(list.map(s => s.id));
      this._ticked = this._ticked.filter(id => ids.has(id));
      if (this._selectedId !== null && !ids.has(this._selectedId)) {
        this._selectedId = null;
      }
      if (this._selectedId === null && list.length > 0) {
        this._selectedId = list[0].id;
      }
    } catch (reason) {
      if (asked === this._asked) {
        this._error = `Cannot load snapshots: ${errorText(reason)}`;
      }
    } finally {
      if (asked === this._asked) {
        this._loading = false;
      }
    }
    this._changed.emit();
    await Promise.all([this._loadDetail(), this._loadDiff()]);
  }

  select(id: string | null): void {
    if (id === this._selectedId) {
      return;
    }
    this._selectedId = id;
    this._detailError = '';
    this._changed.emit();
    void this._loadDetail();
  }

  toggleTicked(id: string): void {
    this._ticked = this._ticked.includes(id)
      ? this._ticked.filter(t => t !== id)
      : [...this._ticked, id];
    this._diffError = '';
    this._changed.emit();
    void this._loadDiff();
  }

  clearTicked(): void {
    this._ticked = [];
    this._changed.emit();
  }

  /** Save a run: the snapshot it wrote, or the run when it is saved at its step's end. */
  async save(runId: string, label?: string): Promise<SaveResult> {
    const body = await saveRun(runId, label?.trim() || undefined);
    const result: SaveResult = isSnapshot(body) ? { snapshot: body } : { run: body as Run };
    if (result.snapshot) {
      this._detail = result.snapshot;
      this._selectedId = result.snapshot.id;
    }
    await Promise.all([this.refresh(), this.runs.refresh()]);
    return result;
  }

  /** Give a snapshot another label. Throws the server's refusal. */
  async label(id: string, label: string): Promise<void> {
    const snapshot = await labelSnapshot(id, label);
    this._list = this._list.map(s => (s.id === id ? { ...s, label: snapshot.label } : s));
    if (this._selectedId === id) {
      this._detail = snapshot;
    }
    this._changed.emit();
  }

  /** Delete a snapshot. Throws the server's refusal. */
  async remove(id: string): Promise<void> {
    await deleteSnapshot(id);
    this._list = this._list.filter(s => s.id !== id);
    this._ticked = this._ticked.filter(t => t !== id);
    if (this._selectedId === id) {
      this._selectedId = this._list[0]?.id ?? null;
      this._detail = null;
    }
    this._changed.emit();
    await this.refresh();
  }

  /** A new run from a snapshot, listed first and selected in the runs. Throws the server's refusal. */
  async respawn(id: string, request: RespawnRequest = {}): Promise<Run> {
    const body: RespawnRequest = {};
    if (request.step) {
      body.step = request.step;
    }
    if (request.profile) {
      body.profile = request.profile;
    }
    if (request.timeout) {
      body.timeout = request.timeout;
    }
    const run = await respawnSnapshot(id, body);
    this.runs.adopt(run);
    return run;
  }

  dispose(): void {
    if (!this._disposed) {
      this._disposed = true;
      this.runs.changed.disconnect(this._runsChanged, this);
      Signal.clearData(this);
    }
  }

  /** The runs' poll saw their snapshots change (a save at a step's end, or elsewhere). */
  private _runsChanged(): void {
    const key = this.runs.runs
      .map(r => (r.snapshots ?? []).join(','))
      .filter(Boolean)
      .join(';');
    if (key === this._runsKey) {
      return;
    }
    const first = this._runsKey === null;
    this._runsKey = key;
    if (!first && this._loaded) {
      void this.refresh();
    }
  }

  private async _loadDetail(): Promise<void> {
    const id = this._selectedId;
    if (!id || (this._detail?.id === id && !this._stale(this._detail))) {
      return;
    }
    try {
      const detail = await fetchSnapshot(id);
      if (id === this._selectedId) {
        this._detail = detail;
        this._detailError = '';
      }
    } catch (reason) {
      if (id === this._selectedId) {
        this._detailError = `Cannot load snapshot ${id}: ${errorText(reason)}`;
      }
    }
    this._changed.emit();
  }

  /** The detail kept says another label than the list (labelled elsewhere). */
  private _stale(detail: Snapshot): boolean {
    const listed = this.find(detail.id);
    return !!listed && listed.label !== detail.label;
  }

  private async _loadDiff(): Promise<void> {
    const pair = diffPair(this._ticked, this._list);
    if (!pair || (this._diff && this._diff.a === pair[0] && this._diff.b === pair[1])) {
      return;
    }
    try {
      const diff = await diffSnapshots(pair[0], pair[1]);
      const now = diffPair(this._ticked, this._list);
      if (now && now[0] === pair[0] && now[1] === pair[1]) {
        // keyed by the pair asked for, whatever the server echoes
        this._diff = { ...diff, a: pair[0], b: pair[1] };
        this._diffError = '';
      }
    } catch (reason) {
      this._diffError = `Cannot compare the snapshots: ${errorText(reason)}`;
    }
    this._changed.emit();
  }

  private _list: SnapshotSummary[] = [];
  private _loaded = false;
  private _loading = false;
  private _asked = 0;
  private _error = '';
  private _selectedId: string | null = null;
  private _detail: Snapshot | null = null;
  private _detailError = '';
  private _ticked: string[] = [];
  private _diff: SnapshotDiff | null = null;
  private _diffError = '';
  private _runsKey: string | null = null;
  private _disposed = false;
  private readonly _changed = new Signal<SnapshotsModel, void>(this);
}

const models = new WeakMap<RunsModel, SnapshotsModel>();

/** The one snapshots model of a twin, next to its runs model. */
export function snapshotsOf(runs: RunsModel): SnapshotsModel {
  let model = models.get(runs);
  if (!model) {
    model = new SnapshotsModel(runs);
    models.set(runs, model);
  }
  return model;
}
