import { IDisposable } from '@lumino/disposable';
import { Poll } from '@lumino/polling';
import { ISignal, Signal } from '@lumino/signaling';

import { errorText } from '../api/client';
import { approveRequest, fetchQueue, fetchRequest, rejectRequest } from '../api/sharing';
import type { PublishRequest } from '../api/types';
import { SettingsModel } from './settings';

/** The queue is checked this many poll intervals apart while it is shown. */
export const QUEUE_FACTOR = 5;

/**
 * The curators' queue: everyone's pending publish requests, each with its problems and
 * its differences to the common library (loaded when opened), Approve and Reject.
 */
export class CurationModel implements IDisposable {
  constructor(private readonly _settings: SettingsModel) {
    this._poll = new Poll({
      factory: () => this.refresh(),
      frequency: { interval: this._interval(), backoff: true, max: 60_000 },
      standby: () => this._watchers === 0 || 'when-hidden',
      auto: false,
      name: 'dtaas:curation'
    });
    this._settings.changed.connect(this._retime, this);
  }

  get changed(): ISignal<CurationModel, void> {
    return this._changed;
  }

  /** Pending requests, the oldest first (the first to decide). */
  get queue(): readonly PublishRequest[] {
    return this._queue;
  }

  get loaded(): boolean {
    return this._loaded;
  }

  get error(): string {
    return this._error;
  }

  /** Requests decided here since the queue was opened, the newest first. */
  get decided(): readonly PublishRequest[] {
    return this._decided;
  }

  /** A request with its problems and diff, once loaded. */
  detail(id: number): PublishRequest | null {
    return this._details.get(id) ?? null;
  }

  detailError(id: number): string {
    return this._detailErrors.get(id) ?? '';
  }

  get isDisposed(): boolean {
    return this._disposed;
  }

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

  async refresh(): Promise<void> {
    try {
      const queue = await fetchQueue();
      this._queue = [...queue].sort(
        (a, b) => (a.created || '').localeCompare(b.created || '') || a.id - b.id
      );
      this._error = '';
    } catch (reason) {
      this._error = `Cannot list the requests: ${errorText(reason)}`;
    }
    this._loaded = true;
    this._emit();
    await Promise.all(
      this._queue.filter(r => !this._details.has(r.id)).map(r => this.loadDetail(r.id))
    );
  }

  async loadDetail(id: number): Promise<void> {
    try {
      this._details.set(id, await fetchRequest(id));
      this._detailErrors.delete(id);
    } catch (reason) {
      this._detailErrors.set(id, `Cannot load request ${id}: ${errorText(reason)}`);
    }
    this._emit();
  }

  /** Publish the request into the common library; the server's refusal is thrown. */
  async approve(id: number): Promise<PublishRequest> {
    return this._decide(await approveRequest(id), id);
  }

  /** Refuse it with a reason its requester reads; the server's refusal is thrown. */
  async reject(id: number, reason: string): Promise<PublishRequest> {
    const text = reason.trim();
    if (!text) {
      throw new Error('Say why the request is rejected');
    }
    return this._decide(await rejectRequest(id, text), id);
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

  private _decide(answer: PublishRequest | null, id: number): PublishRequest {
    const before = this._queue.find(r => r.id === id) ?? this._details.get(id);
    const decided = { ...(before ?? {}), ...(answer ?? {}) } as PublishRequest;
    this._queue = this._queue.filter(r => r.id !== id);
    this._decided = [decided, ...this._decided.filter(r => r.id !== id)];
    this._emit();
    return decided;
  }

  private _interval(): number {
    return this._settings.values.pollInterval * QUEUE_FACTOR;
  }

  private _retime(): void {
    if (this._interval() !== this._poll.frequency.interval) {
      this._poll.frequency = { ...this._poll.frequency, interval: this._interval() };
    }
  }

  private _emit(): void {
    if (!this._disposed) {
      this._changed.emit();
    }
  }

  private readonly _poll: Poll;
  private _watchers = 0;
  private _queue: PublishRequest[] = [];
  private _decided: PublishRequest[] = [];
  private _loaded = false;
  private _error = '';
  private readonly _details = new Map<number, PublishRequest>();
  private readonly _detailErrors = new Map<number, string>();
  private _disposed = false;
  private readonly _changed = new Signal<CurationModel, void>(this);
}
