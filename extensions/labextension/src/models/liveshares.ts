import { ISignal, Signal } from '@lumino/signaling';

import { ApiError, errorText, request, sendJson } from '../api/client';

/** Whom a server is shared with. */
export type ShareKind = 'user' | 'group';

/** A server's share with a user or a group (JupyterHub's sharing API). */
export interface ILiveShare {
  kind: ShareKind;
  name: string;
  scopes: string[];
  created: string | null;
}

/** A share link's code. `code` and `accept_url` come only in the answer that made it. */
export interface IShareCode {
  id: string;
  scopes: string[];
  created: string | null;
  expires_at: string | null;
  exchange_count: number;
  last_exchanged_at?: string | null;
  code?: string;
  accept_url?: string;
}

/** One of the user's servers: the workspace ("default") or a named one (a run server). */
export interface ISharedServer {
  id: string;
  name: string;
  kind: 'workspace' | 'run' | 'server';
  url: string;
  ready: boolean;
  shares: ILiveShare[];
  codes: IShareCode[];
}

export interface ISharesAnswer {
  user: string;
  servers: ISharedServer[];
}

/** How long a new share link lives, as offered (the hub takes a minute to a year). */
export const EXPIRY_CHOICES: readonly { label: string; seconds: number }[] = [
  { label: '1 hour', seconds: 3600 },
  { label: '1 day', seconds: 86400 },
  { label: '1 week', seconds: 7 * 86400 },
  { label: '30 days', seconds: 30 * 86400 }
];

/** A server's title as listed. */
export function serverTitle(server: Pick<ISharedServer, 'kind' | 'name'>): string {
  if (server.kind === 'workspace') {
    return 'Workspace';
  }
  return server.kind === 'run' ? `Run server ${server.name}` : `Server ${server.name}`;
}

/** The link a person opens to accept a share code, on the hub the browser is on. */
export function acceptLink(acceptUrl: string, origin: string): string {
  return /^https?:\/\//.test(acceptUrl) ? acceptUrl : `${origin.replace(/\/$/, '')}${acceptUrl}`;
}

/** The form field a refusal belongs to: the name (an unknown user or group), the
 * expiry of a link, or the form as a whole. */
export function liveShareErrorField(reason: unknown): 'name' | 'expires_in' | 'form' {
  const field = reason instanceof ApiError ? reason.field : '';
  if (field === 'user' || field === 'group') {
    return 'name';
  }
  return field === 'expires_in' ? 'expires_in' : 'form';
}

function serverPath(server: string, ...rest: string[]): string {
  return ['shares', server, ...rest].map(encodeURIComponent).join('/');
}

/**
 * The user's servers with their shares and share links, and the actions on them, through
 * the runtime (`/dtaas/api/shares`). The code of a link is known only when it is made (the
 * hub keeps a hash), so the links made here are kept to show and copy while Lab is open.
 */
export class LiveSharesModel {
  constructor(private readonly origin: string = globalThis.location?.origin ?? '') {}

  get changed(): ISignal<LiveSharesModel, void> {
    return this._changed;
  }

  get servers(): readonly ISharedServer[] {
    return this._servers;
  }

  get user(): string {
    return this._user;
  }

  get loaded(): boolean {
    return this._loaded;
  }

  get loading(): boolean {
    return this._loading;
  }

  /** Why the list could not be loaded, if it could not. */
  get error(): string {
    return this._error;
  }

  /** Whether an action on `key` (see the methods) is under way. */
  isBusy(key: string): boolean {
    return this._busy.has(key);
  }

  /** The full link of a share code made here, or null if it was made elsewhere. */
  linkOf(codeId: string): string | null {
    return this._links.get(codeId) ?? null;
  }

  async refresh(): Promise<void> {
    const asked = ++this._asked;
    this._loading = true;
    this._changed.emit();
    try {
      const answer = await request<ISharesAnswer>('shares');
      if (asked !== this._asked) {
        return;
      }
      this._servers = answer.servers;
      this._user = answer.user;
      this._error = '';
      this._loaded = true;
    } catch (reason) {
      if (asked === this._asked) {
        this._error = errorText(reason);
      }
    } finally {
      if (asked === this._asked) {
        this._loading = false;
        this._changed.emit();
      }
    }
  }

  /** Share `server` (its id: "default" or a name) with a user or group; throws the refusal. */
  async share(server: string, kind: ShareKind, name: string): Promise<ILiveShare> {
    return this._act(`share:${server}`, async () => {
      const share = await sendJson<ILiveShare>(serverPath(server), 'POST', { [kind]: name.trim() });
      this._update(server, s => ({
        ...s,
        shares: [...s.shares.filter(x => !(x.kind === kind && x.name === share.name)), share]
      }));
      return share;
    });
  }

  async revoke(server: string, kind: ShareKind, name: string): Promise<void> {
    await this._act(`revoke:${server}:${kind}:${name}`, async () => {
      await request<void>(serverPath(server, kind, name), { method: 'DELETE' });
      this._update(server, s => ({
        ...s,
        shares: s.shares.filter(x => !(x.kind === kind && x.name === name))
      }));
    });
  }

  /** A new share link of `server` that expires in `expiresIn` seconds; its full URL. */
  async createCode(server: string, expiresIn: number): Promise<{ code: IShareCode; link: string }> {
    return this._act(`code:${server}`, async () => {
      const code = await sendJson<IShareCode>(serverPath(server, 'codes'), 'POST', {
        expires_in: expiresIn
      });
      const link = acceptLink(code.accept_url ?? '', this.origin);
      this._links.set(code.id, link);
      const { code: _secret, accept_url: _url, ...listed } = code;
      this._update(server, s => ({ ...s, codes: [...s.codes, listed] }));
      return { code, link };
    });
  }

  async revokeCode(server: string, id: string): Promise<void> {
    await this._act(`revoke-code:${server}:${id}`, async () => {
      await request<void>(serverPath(server, 'codes', id), { method: 'DELETE' });
      this._links.delete(id);
      this._update(server, s => ({ ...s, codes: s.codes.filter(c => c.id !== id) }));
    });
  }

  private async _act<T>(key: string, action: () => Promise<T>): Promise<T> {
    this._busy.add(key);
    this._changed.emit();
    try {
      return await action();
    } finally {
      this._busy.delete(key);
      this._changed.emit();
    }
  }

  private _update(server: string, change: (s: ISharedServer) => ISharedServer): void {
    this._asked++; // a listing asked before this change would undo it
    this._loading = false;
    this._servers = this._servers.map(s => (s.id === server ? change(s) : s));
  }

  private _changed = new Signal<LiveSharesModel, void>(this);
  private _servers: ISharedServer[] = [];
  private _user = '';
  private _loaded = false;
  private _loading = false;
  private _error = '';
  private _asked = 0;
  private _busy = new Set<string>();
  private _links = new Map<string, string>();
}
