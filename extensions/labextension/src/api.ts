import { ServerConnection } from '@jupyterlab/services';

export type AssetType = 'digital_twins' | 'functions' | 'models' | 'tools' | 'data';

export type Scope = 'private' | 'common';

export type RunStatus = 'queued' | 'running' | 'succeeded' | 'failed';

/** A library entry as listed by the server. */
export interface IAsset {
  type: AssetType;
  name: string;
  scope: Scope;
  /** Workspace-relative path of the asset folder. */
  path: string;
  title: string;
  description: string;
  /** Lifecycle step names; only present for digital twins. */
  steps?: string[];
}

/** One execution of a lifecycle step of a digital twin. */
export interface IRun {
  id: string;
  dt: string;
  scope: Scope;
  step: string;
  status: RunStatus;
  created: string;
  started: string | null;
  finished: string | null;
  parameters: Record<string, unknown>;
  error: string | null;
  recorded: Record<string, unknown>;
  /** Workspace-relative path of the executed notebook. */
  notebook: string;
  /** Workspace-relative run folder. */
  dir: string;
}

export interface IRunRequest {
  dt: string;
  scope: Scope;
  step: string;
  parameters: Record<string, unknown>;
}

/** An error answer from the server, carrying its `message`. */
export class ApiError extends Error {
  constructor(
    message: string,
    readonly status: number
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** Statuses after which a run no longer changes. */
export function isFinished(status: RunStatus): boolean {
  return status === 'succeeded' || status === 'failed';
}

let settings: ServerConnection.ISettings | null = null;

/**
 * Call an endpoint below `{baseUrl}dtaas/api/`.
 * `makeRequest` adds the auth token and XSRF header the server expects.
 */
async function request<T>(endpoint: string, init: RequestInit = {}): Promise<T> {
  settings = settings ?? ServerConnection.makeSettings();
  const url = `${settings.baseUrl}dtaas/api/${endpoint}`;
  let response: Response;
  try {
    response = await ServerConnection.makeRequest(url, init, settings);
  } catch (reason) {
    throw new ApiError(`Cannot reach the server: ${String(reason)}`, 0);
  }
  const text = await response.text();
  let body: unknown = null;
  if (text) {
    try {
      body = JSON.parse(text);
    } catch {
      // Not JSON (e.g. an HTML error page); the status text is used below.
    }
  }
  if (!response.ok) {
    const message =
      body && typeof (body as { message?: unknown }).message === 'string'
        ? (body as { message: string }).message
        : `${response.status} ${response.statusText || 'error'}`;
    throw new ApiError(message, response.status);
  }
  return body as T;
}

export async function fetchLibrary(): Promise<IAsset[]> {
  const body = await request<{ assets: IAsset[] }>('library');
  return body?.assets ?? [];
}

export function startRun(run: IRunRequest): Promise<IRun> {
  return request<IRun>('runs', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(run)
  });
}

export function fetchRun(id: string): Promise<IRun> {
  return request<IRun>(`runs/${encodeURIComponent(id)}`);
}

/** Runs of one digital twin, newest first. */
export async function fetchRuns(dt: string): Promise<IRun[]> {
  const body = await request<{ runs: IRun[] }>(`runs?dt=${encodeURIComponent(dt)}`);
  return body?.runs ?? [];
}
