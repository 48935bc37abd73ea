import { AssetType, request, sendJson } from './api';

/** "private" (the user's own), "common" or "group:<name>". */
export type LibraryScope = string;

/** A library entry as search lists it. */
export interface ILibraryAsset {
  type: AssetType;
  name: string;
  scope: LibraryScope;
  /** Workspace-relative path; opens in Lab as it is. */
  path: string;
  title: string;
  description: string;
  tags: string[];
  authors: string[];
  version: string;
  /** Lifecycle step names of a digital twin. */
  steps?: string[];
  /** References of the assets a digital twin uses. */
  uses: string[];
  problems: string[];
  size: number;
  /** Epoch seconds. */
  modified: number;
}

/** A manifest problem where it was found. */
export interface IProblem {
  file: string;
  line: number | null;
  field: string;
  message: string;
}

export interface IFileEntry {
  path: string;
  type: 'file' | 'directory';
  size: number;
}

export interface IUse {
  ref: string;
  missing: boolean;
  asset: ILibraryAsset | null;
}

export interface IRelations {
  uses: IUse[];
  used_by: ILibraryAsset[];
}

/** One asset with what its detail view shows. */
export interface IAssetDetail extends Omit<ILibraryAsset, 'problems'> {
  manifest: Record<string, unknown>;
  /** Markdown. */
  readme: string;
  files: IFileEntry[];
  problems: IProblem[];
  relations: IRelations;
}

export interface ISearchQuery {
  q?: string;
  types?: AssetType[];
  /** A scope token: "mine", "common" or "group:<name>". */
  scope?: string;
  tags?: string[];
  sort?: string;
  cursor?: string | null;
  limit?: number;
}

export interface ISearchResult {
  items: ILibraryAsset[];
  total: number;
  next_cursor: string | null;
  facets: { type?: Record<string, number>; tag?: Record<string, number> };
}

export interface ITemplate {
  name: string;
  title: string;
  description: string;
  steps: string[];
}

export interface IMe {
  name: string;
  scopes: string[];
  /** Scope keys: "user:<me>", "group:<g>", "common". */
  libraries: string[];
}

export interface INewDT {
  name: string;
  title?: string;
  description?: string;
  template?: string;
  assets?: string[];
}

export interface IValidation {
  valid: boolean;
  problems: IProblem[];
}

/** The server's rule for names of new digital twins. */
export const DT_NAME = /^[a-z0-9][a-z0-9._-]{0,63}$/;

/** How references and URLs name a scope: the user's own library is "mine". */
export function scopeToken(scope: LibraryScope): string {
  return scope === 'private' ? 'mine' : scope;
}

/** The reference a digital twin's dt.yaml uses for an asset. */
export function assetRef(asset: { scope: LibraryScope; type: string; name: string }): string {
  return `${scopeToken(asset.scope)}/${asset.type}/${asset.name}`;
}

/** "mine", "common", or the group's name. */
export function scopeLabel(scope: LibraryScope): string {
  if (scope === 'private') {
    return 'mine';
  }
  return scope.startsWith('group:') ? scope.slice('group:'.length) : scope;
}

function library(endpoint: string): string {
  return `library/${endpoint}`;
}

/** Path segments are escaped, but the colon of "group:<g>" is left readable. */
function segment(text: string): string {
  return encodeURIComponent(text).replace(/%3A/gi, ':');
}

function assetEndpoint(asset: { scope: LibraryScope; type: string; name: string }): string {
  return library(
    ['assets', scopeToken(asset.scope), asset.type, asset.name].map(segment).join('/')
  );
}

export function searchLibrary(query: ISearchQuery, signal?: AbortSignal): Promise<ISearchResult> {
  const params = new URLSearchParams();
  if (query.q) {
    params.set('q', query.q);
  }
  for (const type of query.types ?? []) {
    params.append('type', type);
  }
  if (query.scope) {
    params.set('scope', query.scope);
  }
  for (const tag of query.tags ?? []) {
    params.append('tag', tag);
  }
  if (query.sort) {
    params.set('sort', query.sort);
  }
  if (query.cursor) {
    params.set('cursor', query.cursor);
  }
  if (query.limit) {
    params.set('limit', String(query.limit));
  }
  return request<ISearchResult>(library(`search?${params.toString()}`), { signal });
}

export function fetchAsset(asset: {
  scope: LibraryScope;
  type: string;
  name: string;
}): Promise<IAssetDetail> {
  return request<IAssetDetail>(assetEndpoint(asset));
}

export function validateManifest(
  type: AssetType,
  text: string,
  file: string
): Promise<IValidation> {
  return sendJson<IValidation>(library('validate'), 'POST', { type, text, file });
}

export async function fetchTemplates(): Promise<ITemplate[]> {
  const body = await request<{ templates: ITemplate[] }>(library('templates'));
  return body?.templates ?? [];
}

export function createDT(dt: INewDT): Promise<ILibraryAsset> {
  return sendJson<ILibraryAsset>(library('digital_twins'), 'POST', dt);
}

export function fetchMe(): Promise<IMe> {
  return request<IMe>(library('me'));
}

/** "file:line field: message", as compilers print them; missing parts are left out. */
export function problemText(problem: IProblem): string {
  const where = problem.line ? `${problem.file}:${problem.line}` : problem.file;
  return problem.field
    ? `${where} ${problem.field}: ${problem.message}`
    : `${where}: ${problem.message}`;
}
