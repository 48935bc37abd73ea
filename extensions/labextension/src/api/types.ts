/**
 * The shapes the two servers answer with, taken from their OpenAPI documents
 * (`npm run build:types` generates `schema/` from them), so they cannot drift.
 */
import type { components as LibraryComponents, paths as LibraryPaths } from '../schema/library';
import type { components as RuntimeComponents, paths as RuntimePaths } from '../schema/runtime';

type RuntimeSchemas = RuntimeComponents['schemas'];
type LibrarySchemas = LibraryComponents['schemas'];
type JsonOf<T> = T extends { content: { 'application/json': infer B } } ? B : never;

export type RunStatus = RuntimeSchemas['Status'];
export type Run = RuntimeSchemas['Run'];
export type RunRequest = RuntimeSchemas['RunRequest'];
export type RunProgress = RuntimeSchemas['Progress'];
export type StepResult = RuntimeSchemas['StepResult'];
export type DigitalTwin = RuntimeSchemas['DigitalTwin'];
export type Config = RuntimeSchemas['Config'];
export type Profile = RuntimeSchemas['Profile'];
export type ParameterError = RuntimeSchemas['ParameterError'];
export type RunFile = RuntimeSchemas['RunFile'];
export type RunOutputs = RuntimeSchemas['RunOutputs'];
/** A live loop's state; a run's `live` is this or null. */
export type Live = NonNullable<RuntimeSchemas['Live']>;
export type SnapshotSummary = RuntimeSchemas['SnapshotSummary'];
export type Snapshot = RuntimeSchemas['Snapshot'];
export type SnapshotFile = RuntimeSchemas['SnapshotFile'];
export type SnapshotVariable = RuntimeSchemas['SnapshotVariable'];
export type SkippedVariable = RuntimeSchemas['SkippedVariable'];
export type SnapshotChanges = RuntimeSchemas['Changes'];
export type SnapshotDiff = RuntimeSchemas['SnapshotDiff'];
export type RespawnRequest = RuntimeSchemas['RespawnRequest'];
export type SweepRequest = RuntimeSchemas['SweepRequest'];
export type Sweep = RuntimeSchemas['Sweep'];
export type SweepStatus = Sweep['status'];
export type DesignKind = NonNullable<SweepRequest['design']>['kind'];
export type ScenarioRow = RuntimeSchemas['ScenarioRow'];
export type SweepResults = RuntimeSchemas['SweepResults'];
export type SweepAnalysis = NonNullable<SweepResults['analysis']>;
export type NewTwin = RuntimeSchemas['NewTwin'];
export type CreatedTwin = RuntimeSchemas['CreatedTwin'];
export type CalibrationRequest = RuntimeSchemas['CalibrationRequest'];
export type Calibration = RuntimeSchemas['Calibration'];
export type CalibrationStatus = Calibration['status'];
export type LogChunk = JsonOf<RuntimePaths['/runs/{run}/log']['get']['responses'][200]>;

export type AssetType = LibrarySchemas['Asset']['type'];
export type Asset = LibrarySchemas['Asset'];
export type AssetDetail = LibrarySchemas['AssetDetail'];
export type Problem = LibrarySchemas['Problem'];
export type Relations = LibrarySchemas['Relations'];
export type FileEntry = AssetDetail['files'][number];
export type SearchResult = LibrarySchemas['SearchResult'];
export type Me = JsonOf<LibraryPaths['/me']['get']['responses'][200]>;
export type Template = JsonOf<LibraryPaths['/templates']['get']['responses'][200]>['templates'][number];
export type NewDigitalTwin = NonNullable<
  LibraryPaths['/digital_twins']['post']['requestBody']
>['content']['application/json'];
export type Validation = JsonOf<LibraryPaths['/validate']['post']['responses'][200]>;

/** The scopes the runtime runs twins from; `user:<u>` for a twin another user shared. */
export type RunScope = 'private' | 'common' | `group:${string}` | `user:${string}`;

/** Names an asset: scope ("private", "common" or "group:<g>"), type and name. */
export interface IAssetKey {
  scope: string;
  type: AssetType;
  name: string;
  title?: string;
}

/* Sharing: grants, forks, publishing to the common library, versions, shared results. */

/** A user's role on an asset, each including the ones before; `owner` above all. */
export type Role = NonNullable<LibrarySchemas['Asset']['role']>;
export type Grant = LibrarySchemas['Grant'];
export type GrantRequest = LibrarySchemas['GrantRequest'];
export type ForkRequest = NonNullable<
  LibraryPaths['/assets/{scope}/{type}/{name}/fork']['post']['requestBody']
>['content']['application/json'];
/** A file of a publish request as it differs from the common library's copy. */
export type PublishDiff = LibrarySchemas['FileChange'];
export type PublishRequest = LibrarySchemas['PublishRequest'];
export type PublishStatus = PublishRequest['status'];
export type NewPublishRequest = NonNullable<
  LibraryPaths['/publish']['post']['requestBody']
>['content']['application/json'];
export type AssetVersion = LibrarySchemas['Version'];
export type ResultGrant = JsonOf<
  LibraryPaths['/results/{kind}/{dt}/{id}/grants']['get']['responses'][200]
>['grants'][number];
export type SharedResult = JsonOf<
  LibraryPaths['/results/shared']['get']['responses'][200]
>['results'][number];
/** Runs and snapshots are shared as read-only results. */
export type ResultKind = SharedResult['kind'];
