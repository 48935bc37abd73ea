import { ServerConnection } from '@jupyterlab/services';

export type AssetType = 'digital_twins' | 'functions' | 'models' | 'tools' | 'data';

export type Scope = 'private' | 'common';

export type RunStatus = 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled';

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

/** Names a digital twin; the title is only for display. */
export interface IDTRef {
  name: string;
  scope: Scope;
  title?: string;
}

/** The JSON Schema subset a digital twin uses to describe its parameters. */
export interface IParameterSchema {
  type?: string;
  title?: string;
  description?: string;
  default?: unknown;
  enum?: unknown[];
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  'x-unit'?: string;
  properties?: Record<string, IParameterSchema>;
  [key: string]: unknown;
}

/** A named set of parameter values of a digital twin. */
export interface IConfig {
  name: string;
  /** Shipped with a common digital twin; cannot be changed or deleted. */
  readonly: boolean;
  values: Record<string, unknown>;
}

export interface IStepInfo {
  name: string;
  description: string;
}

/** A digital twin as the configure view needs it. */
export interface IDTInfo {
  name: string;
  scope: Scope;
  title: string;
  description: string;
  path: string;
  parameters: IParameterSchema;
  /** In lifecycle order. */
  steps: IStepInfo[];
  records: Record<string, { description?: string; 'x-unit'?: string }>;
  configs: IConfig[];
}

/** A compute profile a run can be sent to instead of this workspace. */
export interface IProfile {
  name: string;
  description: string;
  cpu?: number | string;
  memory?: string;
}

export interface IRunProgress {
  step: string | null;
  step_index: number;
  steps_total: number;
  cell: number;
  cells_total: number;
}

export interface IStepResult {
  step: string;
  status: RunStatus;
  started: string | null;
  finished: string | null;
  notebook: string;
  cells_total: number;
  cells_done: number;
  error: string | null;
  cell: number | null;
  traceback: string | null;
}

/** One execution of one or more lifecycle steps of a digital twin. */
export interface IRun {
  id: string;
  dt: string;
  scope: Scope;
  steps?: string[];
  /** The step running now, or the last one. */
  step: string;
  config?: string | null;
  profile?: string | null;
  server?: string | null;
  status: RunStatus;
  created: string;
  started: string | null;
  finished: string | null;
  duration_s?: number | null;
  parameters: Record<string, unknown>;
  progress?: IRunProgress;
  step_results?: IStepResult[];
  error: string | null;
  /** Index of the failing cell. */
  cell?: number | null;
  traceback?: string | null;
  recorded: Record<string, unknown>;
  /** Workspace-relative path of the last executed notebook. */
  notebook: string;
  notebooks?: string[];
  /** Workspace-relative run folder. */
  dir: string;
  /** Workspace-relative run log. */
  log?: string;
}

export interface IRunRequest {
  dt: string;
  scope: Scope;
  /** A single step; the older form of `steps`. */
  step?: string;
  /** Steps in the order they run. */
  steps?: string[];
  config?: string;
  parameters?: Record<string, unknown>;
  profile?: string;
}

/** A part of the log of a run, read from a byte offset. */
export interface ILogChunk {
  text: string;
  /** Where the next read starts. */
  offset: number;
  /** No more text will follow. */
  done: boolean;
}

/** A parameter the server rejected. */
export interface IParameterError {
  /** Name of the parameter; absent for errors about the values as a whole. */
  parameter?: string | null;
  pointer?: string;
  message: string;
}

/** An error answer from the server, carrying its `message` and the whole body. */
export class ApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly body: Record<string, unknown> = {}
  ) {
    super(message);
    this.name = 'ApiError';
  }

  /** Per-parameter errors of a 400 answer, if it has any. */
  get parameterErrors(): IParameterError[] {
    const errors = this.body.errors;
    return Array.isArray(errors) ? (errors as IParameterError[]) : [];
  }
}

/** Statuses after which a run no longer changes. */
export function isFinished(status: RunStatus): boolean {
  return status === 'succeeded' || status === 'failed' || status === 'cancelled';
}

let settings: ServerConnection.ISettings | null = null;

/**
 * Call an endpoint below `{baseUrl}dtaas/api/`.
 * `makeRequest` adds the auth token and XSRF header the server expects.
 */
export async function request<T>(endpoint: string, init: RequestInit = {}): Promise<T> {
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
    const fields =
      body && typeof body === 'object' ? (body as Record<string, unknown>) : {};
    const message =
      typeof fields.message === 'string'
        ? fields.message
        : `${response.status} ${response.statusText || 'error'}`;
    throw new ApiError(message, response.status, fields);
  }
  return body as T;
}

export function sendJson<T>(endpoint: string, method: string, body: unknown): Promise<T> {
  return request<T>(endpoint, {
    method,
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(body)
  });
}

function dtEndpoint(scope: Scope, dt: string): string {
  return `dts/${encodeURIComponent(scope)}/${encodeURIComponent(dt)}`;
}

export async function fetchLibrary(): Promise<IAsset[]> {
  const body = await request<{ assets: IAsset[] }>('library');
  return body?.assets ?? [];
}

export function fetchDT(scope: Scope, dt: string): Promise<IDTInfo> {
  return request<IDTInfo>(dtEndpoint(scope, dt));
}

/** Create or replace a configuration of the user's. */
export function saveConfig(
  scope: Scope,
  dt: string,
  name: string,
  values: Record<string, unknown>
): Promise<IConfig> {
  return sendJson<IConfig>(
    `${dtEndpoint(scope, dt)}/configs/${encodeURIComponent(name)}`,
    'PUT',
    { values }
  );
}

export async function deleteConfig(scope: Scope, dt: string, name: string): Promise<void> {
  await request<null>(`${dtEndpoint(scope, dt)}/configs/${encodeURIComponent(name)}`, {
    method: 'DELETE'
  });
}

/** Check values against the parameter schema on the server; throws an ApiError if invalid. */
export function validateParameters(
  scope: Scope,
  dt: string,
  values: Record<string, unknown>
): Promise<{ valid: boolean; parameters: Record<string, unknown> }> {
  return sendJson(`${dtEndpoint(scope, dt)}/validate`, 'POST', { values });
}

export async function fetchProfiles(): Promise<IProfile[]> {
  const body = await request<{ profiles: IProfile[] }>('profiles');
  return body?.profiles ?? [];
}

export function startRun(run: IRunRequest): Promise<IRun> {
  return sendJson<IRun>('runs', 'POST', run);
}

export function fetchRun(id: string): Promise<IRun> {
  return request<IRun>(`runs/${encodeURIComponent(id)}`);
}

/** Runs of one digital twin, newest first. */
export async function fetchRuns(dt: string, limit?: number): Promise<IRun[]> {
  const query = `dt=${encodeURIComponent(dt)}` + (limit ? `&limit=${limit}` : '');
  const body = await request<{ runs: IRun[] }>(`runs?${query}`);
  return body?.runs ?? [];
}

export function fetchRunLog(id: string, offset: number): Promise<ILogChunk> {
  return request<ILogChunk>(`runs/${encodeURIComponent(id)}/log?offset=${offset}`);
}

export function cancelRun(id: string): Promise<IRun> {
  return request<IRun>(`runs/${encodeURIComponent(id)}/cancel`, { method: 'POST' });
}
