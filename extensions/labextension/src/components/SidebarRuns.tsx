import type { IDisposable } from '@lumino/disposable';
import { ISignal, Signal } from '@lumino/signaling';
import React from 'react';

import { errorText } from '../api/client';
import type { IAssetKey, Run, RunStatus } from '../api/types';
import { assetRef } from '../domain/assets';
import { isFinished, progressText } from '../domain/format';
import { RunsModel } from '../models/runs';
import { IDTaaSContext } from './context';
import { useSignal } from './hooks';

/** The step a card's run button starts. */
export const RUN_STEP = 'execute';

interface IShownRun {
  id: string;
  status: RunStatus;
  caption: string;
}

/**
 * What the cards show of runs: per twin the newest run started from this page
 * (followed while it is in progress), and the cards' own quick runs with their
 * refusals. Cards come and go as the list scrolls, so the state lives here.
 */
export class SidebarRuns implements IDisposable {
  constructor(private readonly _context: IDTaaSContext) {
    _context.registry.runStatusChanged.connect(this._onModel, this);
  }

  get changed(): ISignal<SidebarRuns, void> {
    return this._changed;
  }

  get isDisposed(): boolean {
    return this._disposed;
  }

  /** The newest run of a twin started from this page, if any. */
  shown(scope: string, dt: string): IShownRun | null {
    return this._shown.get(`${scope}:${dt}`) ?? null;
  }

  /** A card's run is being started. */
  starting(key: IAssetKey): boolean {
    return this._starting.has(assetRef(key));
  }

  /** Why a card's run could not start. */
  error(key: IAssetKey): string {
    return this._errors.get(assetRef(key)) ?? '';
  }

  /** Start the twin's execute step and show it on the twin's Runs tab. */
  async run(key: IAssetKey): Promise<void> {
    const ref = assetRef(key);
    const runs = this._context.registry.twin(key).runs;
    if (!runs || this._starting.has(ref)) {
      return;
    }
    this._starting.add(ref);
    this._errors.delete(ref);
    this._changed.emit();
    try {
      await runs.start({ dt: key.name, steps: [RUN_STEP] });
      this._context.openAsset(key, 'runs');
    } catch (reason) {
      this._errors.set(ref, `Cannot run ${key.title || key.name}: ${errorText(reason)}`);
    } finally {
      this._starting.delete(ref);
    }
    if (!this._disposed) {
      this._changed.emit();
    }
  }

  dispose(): void {
    if (this._disposed) {
      return;
    }
    this._disposed = true;
    this._context.registry.runStatusChanged.disconnect(this._onModel, this);
    for (const model of this._models) {
      model.statusChanged.disconnect(this._onRun, this);
    }
    this._watches.forEach(watch => watch.dispose());
    this._watches.clear();
    Signal.clearData(this);
  }

  /**
   * A twin's runs changed. Its own signal carries the run as it is now (the model's
   * list is updated after it fires), so the cards follow that one.
   */
  private _onModel(_: unknown, model: RunsModel): void {
    if (!this._models.has(model)) {
      this._models.add(model);
      model.statusChanged.connect(this._onRun, this);
    }
  }

  private _onRun(model: RunsModel, run: Run): void {
    if (run.id !== model.startedHere[0]) {
      return;
    }
    const key = `${model.scope}:${model.dt}`;
    const before = this._shown.get(key);
    const caption = progressText(run);
    if (before?.id !== run.id || before.status !== run.status || before.caption !== caption) {
      this._shown.set(key, { id: run.id, status: run.status, caption });
      this._changed.emit();
    }
    // The sidebar shows it, so it is followed even when no page of the twin is open.
    const watch = this._watches.get(key);
    if (!isFinished(run.status) && !watch) {
      this._watches.set(key, model.watch());
    } else if (isFinished(run.status) && watch) {
      watch.dispose();
      this._watches.delete(key);
    }
  }

  private _disposed = false;
  private readonly _models = new Set<RunsModel>();
  private readonly _shown = new Map<string, IShownRun>();
  private readonly _watches = new Map<string, IDisposable>();
  private readonly _starting = new Set<string>();
  private readonly _errors = new Map<string, string>();
  private readonly _changed = new Signal<SidebarRuns, void>(this);
}

/** The status of the newest run of a twin started from this page. */
export function RunChip(props: { runs: SidebarRuns; scope: string; dt: string }): JSX.Element | null {
  useSignal(props.runs.changed);
  const run = props.runs.shown(props.scope, props.dt);
  if (!run) {
    return null;
  }
  return (
    <span
      className="dtaas-card-status"
      data-status={run.status}
      title={run.caption || run.status}
    >
      {run.status}
    </span>
  );
}
