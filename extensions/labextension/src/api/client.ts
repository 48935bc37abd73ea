import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';

/** An error answer from a server: its `message`, status and the whole JSON body. */
export class ApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly body: Record<string, unknown> = {}
  ) {
    super(message);
    this.name = 'ApiError';
  }

  /** The request field the server named as at fault, if any. */
  get field(): string {
    return typeof this.body.field === 'string' ? this.body.field : '';
  }
}

/** What a failure says to a person. */
export function errorText(reason: unknown): string {
  return reason instanceof Error ? reason.message : String(reason);
}

let settings: ServerConnection.ISettings | null = null;

/** The server connection every request goes through (auth token and XSRF header). */
export function serverSettings(): ServerConnection.ISettings {
  settings = settings ?? ServerConnection.makeSettings();
  return settings;
}

/** An absolute URL below the user's server, e.g. `files/<path>`. */
export function serverUrl(...parts: string[]): string {
  return URLExt.join(serverSettings().baseUrl, ...parts);
}

/** A workspace-relative path as a URL path, each segment escaped. */
export function pathUrl(path: string): string {
  return path.split('/').map(encodeURIComponent).join('/');
}

/** The URL the browser fetches a workspace file from (the session cookie authorises it). */
export function fileUrl(path: string): string {
  return serverUrl('files', pathUrl(path));
}

/**
 * Call an endpoint below `{baseUrl}dtaas/api/`, the workspace runtime; the library
 * service is reached through it at `library/`. JSON answers are parsed; an error
 * answer throws an ApiError carrying the server's message.
 */
export async function request<T>(endpoint: string, init: RequestInit = {}): Promise<T> {
  const url = serverUrl('dtaas/api', endpoint);
  let response: Response;
  try {
    response = await ServerConnection.makeRequest(url, init, serverSettings());
  } catch (reason) {
    if (reason instanceof DOMException && reason.name === 'AbortError') {
      throw reason;
    }
    throw new ApiError(`Cannot reach the server: ${errorText(reason)}`, 0);
  }
  const text = await response.text();
  let body: unknown = null;
  if (text) {
    try {
      body = JSON.parse(text);
    } catch {
      // Not JSON (an HTML error page): the status says what happened.
    }
  }
  if (!response.ok) {
    const fields = body && typeof body === 'object' ? (body as Record<string, unknown>) : {};
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

/** A workspace file as text; for previews, so its size is checked by the caller. */
export async function fetchText(path: string, signal?: AbortSignal): Promise<string> {
  const response = await ServerConnection.makeRequest(
    fileUrl(path),
    { signal },
    serverSettings()
  );
  if (!response.ok) {
    throw new ApiError(`Cannot read ${path}: ${response.status}`, response.status);
  }
  return response.text();
}
