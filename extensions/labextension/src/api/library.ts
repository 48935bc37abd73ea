/** The library service, reached through the workspace runtime's `library/` proxy. */
import { request, sendJson } from './client';
import type {
  AssetDetail,
  AssetType,
  IAssetKey,
  Me,
  NewDigitalTwin,
  SearchResult,
  Template,
  Validation,
  Asset
} from './types';
import { scopeToken } from '../domain/assets';

export interface ISearchQuery {
  q?: string;
  types?: AssetType[];
  /** A scope token: "mine", "common", "group:<name>", "user:<name>" or "shared". */
  scope?: string;
  tags?: string[];
  sort?: string;
  cursor?: string | null;
  limit?: number;
}

/** Path segments are escaped, but the colon of "group:<g>" and "user:<u>" is left readable. */
export function segment(text: string): string {
  return encodeURIComponent(text).replace(/%3A/gi, ':');
}

/** `library/assets/<scope>/<type>/<name>[/<rest>...]`. */
export function assetEndpoint(asset: IAssetKey, ...rest: string[]): string {
  return (
    'library/' +
    ['assets', scopeToken(asset.scope), asset.type, asset.name, ...rest].map(segment).join('/')
  );
}

export function searchLibrary(query: ISearchQuery, signal?: AbortSignal): Promise<SearchResult> {
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
  return request<SearchResult>(`library/search?${params.toString()}`, { signal });
}

export function fetchAsset(asset: IAssetKey): Promise<AssetDetail> {
  return request<AssetDetail>(assetEndpoint(asset));
}

export function validateManifest(type: AssetType, text: string, file: string): Promise<Validation> {
  return sendJson<Validation>('library/validate', 'POST', { type, text, file });
}

export async function fetchTemplates(): Promise<Template[]> {
  const body = await request<{ templates: Template[] }>('library/templates');
  return body?.templates ?? [];
}

export function createDT(dt: NewDigitalTwin): Promise<Asset> {
  return sendJson<Asset>('library/digital_twins', 'POST', dt);
}

export function fetchMe(): Promise<Me> {
  return request<Me>('library/me');
}
