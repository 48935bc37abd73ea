/**
 * Sharing in the library service (grants, forks, publishing, versions, shared results),
 * reached through the workspace runtime's `library/` proxy; and the runtime's import
 * of a snapshot shared with the user.
 */
import { PageConfig } from '@jupyterlab/coreutils';

import { request, sendJson } from './client';
import { assetEndpoint, segment } from './library';
import type {
  Asset,
  AssetVersion,
  ForkRequest,
  Grant,
  GrantRequest,
  IAssetKey,
  NewPublishRequest,
  PublishRequest,
  ResultGrant,
  ResultKind,
  SharedResult,
  Snapshot
} from './types';
import { hubRoot, resultPath } from '../domain/sharing';

export async function fetchGrants(asset: IAssetKey): Promise<Grant[]> {
  const body = await request<{ grants: Grant[] }>(assetEndpoint(asset, 'grants'));
  return body?.grants ?? [];
}

export function addGrant(asset: IAssetKey, grant: GrantRequest): Promise<Grant> {
  return sendJson<Grant>(assetEndpoint(asset, 'grants'), 'POST', grant);
}

export function changeGrant(asset: IAssetKey, id: number, role: Grant['role']): Promise<Grant> {
  return sendJson<Grant>(assetEndpoint(asset, 'grants', String(id)), 'PATCH', { role });
}

export async function revokeGrant(asset: IAssetKey, id: number): Promise<void> {
  await request<null>(assetEndpoint(asset, 'grants', String(id)), { method: 'DELETE' });
}

/** A copy in the user's own library; its manifest says where it came from. */
export function forkAsset(asset: IAssetKey, fork: ForkRequest): Promise<Asset> {
  return sendJson<Asset>(assetEndpoint(asset, 'fork'), 'POST', fork);
}

export async function fetchVersions(asset: IAssetKey): Promise<AssetVersion[]> {
  const body = await request<{ versions: AssetVersion[] }>(assetEndpoint(asset, 'versions'));
  return body?.versions ?? [];
}

export function requestPublish(body: NewPublishRequest): Promise<PublishRequest> {
  return sendJson<PublishRequest>('library/publish', 'POST', body);
}

/** The user's own publish requests. */
export async function fetchMyRequests(): Promise<PublishRequest[]> {
  const body = await request<{ requests: PublishRequest[] }>('library/publish');
  return body?.requests ?? [];
}

/** Everyone's pending requests, for curators (403 for the others). */
export async function fetchQueue(): Promise<PublishRequest[]> {
  const body = await request<{ requests: PublishRequest[] }>('library/publish?queue=pending');
  return body?.requests ?? [];
}

/** One request with its problems and its differences to the common library. */
export function fetchRequest(id: number): Promise<PublishRequest> {
  return request<PublishRequest>(`library/publish/${id}`);
}

export function approveRequest(id: number): Promise<PublishRequest> {
  return sendJson<PublishRequest>(`library/publish/${id}/approve`, 'POST', {});
}

export function rejectRequest(id: number, reason: string): Promise<PublishRequest> {
  return sendJson<PublishRequest>(`library/publish/${id}/reject`, 'POST', { reason });
}

function resultEndpoint(kind: ResultKind, dt: string, id: string, ...rest: string[]): string {
  return 'library/' + ['results', kind, dt, id, 'grants', ...rest].map(segment).join('/');
}

/** Who may read one of the user's own runs or snapshots. */
export async function fetchResultGrants(
  kind: ResultKind,
  dt: string,
  id: string
): Promise<ResultGrant[]> {
  const body = await request<{ grants: ResultGrant[] } | ResultGrant[]>(
    resultEndpoint(kind, dt, id)
  );
  return Array.isArray(body) ? body : (body?.grants ?? []);
}

export function addResultGrant(
  kind: ResultKind,
  dt: string,
  id: string,
  subject: { user: string } | { group: string }
): Promise<ResultGrant> {
  return sendJson<ResultGrant>(resultEndpoint(kind, dt, id), 'POST', subject);
}

export async function revokeResultGrant(
  kind: ResultKind,
  dt: string,
  id: string,
  grant: number
): Promise<void> {
  await request<null>(resultEndpoint(kind, dt, id, String(grant)), { method: 'DELETE' });
}

/** Runs and snapshots others shared with the user. */
export async function fetchSharedResults(): Promise<SharedResult[]> {
  const body = await request<{ results: SharedResult[] }>('library/results/shared');
  return body?.results ?? [];
}

/** The page of a shared result, as an absolute path on the hub's host. */
export function resultUrl(kind: ResultKind, owner: string, dt: string, id: string): string {
  return resultPath(hubRoot(PageConfig.getOption('hubPrefix')), kind, owner, dt, id);
}

/** Copy a snapshot someone shared into the user's own store (checked by its hashes). */
export function importSnapshot(owner: string, dt: string, id: string): Promise<Snapshot> {
  return sendJson<Snapshot>('snapshots/import', 'POST', { owner, dt, id });
}
