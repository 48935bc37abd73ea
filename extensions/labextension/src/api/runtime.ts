/** The workspace runtime: digital twins, configurations, runs and their outputs. */
import { pathUrl, request, sendJson, serverUrl } from './client';
import type {
  Calibration,
  CalibrationRequest,
  Config,
  CreatedTwin,
  NewTwin,
  DigitalTwin,
  LogChunk,
  Profile,
  Run,
  RunFile,
  RunOutputs,
  RunRequest,
  RespawnRequest,
  RunScope,
  Snapshot,
  SnapshotDiff,
  SnapshotSummary,
  Sweep,
  SweepRequest,
  SweepResults
} from './types';

/** One file a run wrote below its outputs folder (path relative to `outputs/`). */
export type IOutputFile = RunFile;

export type IRunOutputs = RunOutputs;

/** A twin's scope: private, common (or, as the runtime answers them, group:<name>). */
type DTScope = RunScope | string;

function dtEndpoint(scope: DTScope, dt: string): string {
  return `dts/${encodeURIComponent(scope)}/${encodeURIComponent(dt)}`;
}

function runEndpoint(id: string): string {
  return `runs/${encodeURIComponent(id)}`;
}

export function fetchDT(scope: RunScope, dt: string): Promise<DigitalTwin> {
  return request<DigitalTwin>(dtEndpoint(scope, dt));
}

/** Create or replace a configuration of the user's. */
export function saveConfig(
  scope: DTScope,
  dt: string,
  name: string,
  values: Record<string, unknown>
): Promise<Config> {
  return sendJson<Config>(`${dtEndpoint(scope, dt)}/configs/${encodeURIComponent(name)}`, 'PUT', {
    values
  });
}

export async function deleteConfig(scope: DTScope, dt: string, name: string): Promise<void> {
  await request<null>(`${dtEndpoint(scope, dt)}/configs/${encodeURIComponent(name)}`, {
    method: 'DELETE'
  });
}

/** Check values against the parameter schema on the server; throws an ApiError if invalid. */
export function validateParameters(
  scope: DTScope,
  dt: string,
  values: Record<string, unknown>
): Promise<{ valid: boolean; parameters: Record<string, unknown> }> {
  return sendJson(`${dtEndpoint(scope, dt)}/validate`, 'POST', { values });
}

export async function fetchProfiles(): Promise<Profile[]> {
  const body = await request<{ profiles: Profile[] }>('profiles');
  return body?.profiles ?? [];
}

export function startRun(run: RunRequest): Promise<Run> {
  return sendJson<Run>('runs', 'POST', run);
}

export function fetchRun(id: string): Promise<Run> {
  return request<Run>(runEndpoint(id));
}

/** Runs of one digital twin, newest first. */
export async function fetchRuns(dt: string, limit: number): Promise<Run[]> {
  const body = await request<{ runs: Run[] }>(
    `runs?dt=${encodeURIComponent(dt)}&limit=${limit}`
  );
  return body?.runs ?? [];
}

export function fetchRunLog(id: string, offset: number): Promise<LogChunk> {
  return request<LogChunk>(`${runEndpoint(id)}/log?offset=${offset}`);
}

export function cancelRun(id: string): Promise<Run> {
  return request<Run>(`${runEndpoint(id)}/cancel`, { method: 'POST' });
}

/** Ask a live run to stop after its tick (then its terminate step); other runs are cancelled. */
export function stopRun(id: string): Promise<Run> {
  return request<Run>(`${runEndpoint(id)}/stop`, { method: 'POST' });
}

/**
 * Take a snapshot of a run: the snapshot (201, live or ended run) or the run (202), when
 * it will be taken at the end of the step running now.
 */
export function saveRun(id: string, label?: string): Promise<Snapshot | Run> {
  return sendJson<Snapshot | Run>(`${runEndpoint(id)}/save`, 'POST', label ? { label } : {});
}

function snapshotEndpoint(id: string): string {
  return `snapshots/${encodeURIComponent(id)}`;
}

/** Snapshots of one digital twin, newest first. */
export async function fetchSnapshots(dt: string, limit: number): Promise<SnapshotSummary[]> {
  const body = await request<{ snapshots: SnapshotSummary[] }>(
    `snapshots?dt=${encodeURIComponent(dt)}&limit=${limit}`
  );
  return body?.snapshots ?? [];
}

export function fetchSnapshot(id: string): Promise<Snapshot> {
  return request<Snapshot>(snapshotEndpoint(id));
}

export function labelSnapshot(id: string, label: string): Promise<Snapshot> {
  return sendJson<Snapshot>(snapshotEndpoint(id), 'PATCH', { label });
}

export async function deleteSnapshot(id: string): Promise<void> {
  await request<null>(snapshotEndpoint(id), { method: 'DELETE' });
}

/** What changed from snapshot `a` to snapshot `b`. */
export function diffSnapshots(a: string, b: string): Promise<SnapshotDiff> {
  return request<SnapshotDiff>(`${snapshotEndpoint(a)}/diff?other=${encodeURIComponent(b)}`);
}

/** A new run from a snapshot: its files restored, its variables put back. */
export function respawnSnapshot(id: string, body: RespawnRequest): Promise<Run> {
  return sendJson<Run>(`${snapshotEndpoint(id)}/respawn`, 'POST', body);
}

export function fetchRunOutputs(id: string): Promise<IRunOutputs> {
  return request<IRunOutputs>(`${runEndpoint(id)}/outputs`);
}

/** Where the browser downloads a run's outputs, notebooks and log as one zip. */
export function outputsZipUrl(id: string): string {
  return serverUrl('dtaas/api', runEndpoint(id), 'outputs.zip');
}

/** Jupyter server's own nbconvert export of an executed notebook, as an HTML download. */
export function notebookHtmlUrl(path: string): string {
  return serverUrl('nbconvert/html', pathUrl(path)) + '?download=true';
}

function sweepEndpoint(id: string): string {
  return `sweeps/${encodeURIComponent(id)}`;
}

/** Start a sweep of scenarios; a 400 names the field (and parameter) at fault. */
export function startSweep(body: SweepRequest): Promise<Sweep> {
  return sendJson<Sweep>('sweeps', 'POST', body);
}

/** Sweeps of one digital twin, newest first. */
export async function fetchSweeps(dt: string, limit: number): Promise<Sweep[]> {
  const body = await request<{ sweeps: Sweep[] }>(
    `sweeps?dt=${encodeURIComponent(dt)}&limit=${limit}`
  );
  return body?.sweeps ?? [];
}

export function fetchSweep(id: string): Promise<Sweep> {
  return request<Sweep>(sweepEndpoint(id));
}

/** The finished scenarios, ranked, and the analysis once the sweep ended. */
export function fetchSweepResults(id: string): Promise<SweepResults> {
  return request<SweepResults>(`${sweepEndpoint(id)}/results`);
}

export function cancelSweep(id: string): Promise<Sweep> {
  return request<Sweep>(`${sweepEndpoint(id)}/cancel`, { method: 'POST' });
}

/** Go on with the scenarios an interrupted or cancelled sweep has not finished. */
export function resumeSweep(id: string): Promise<Sweep> {
  return request<Sweep>(`${sweepEndpoint(id)}/resume`, { method: 'POST' });
}

/** A new twin in the user's library: the sweep's twin with a scenario's values as defaults. */
export function twinFromScenario(
  id: string,
  scenario: number,
  body: NewTwin
): Promise<CreatedTwin> {
  return sendJson<CreatedTwin>(`${sweepEndpoint(id)}/scenarios/${scenario}/twin`, 'POST', body);
}

function calibrationEndpoint(id: string): string {
  return `calibrations/${encodeURIComponent(id)}`;
}

/** Fit parameters of a twin to a data asset; a 400 names the field (series, parameter). */
export function startCalibration(body: CalibrationRequest): Promise<Calibration> {
  return sendJson<Calibration>('calibrations', 'POST', body);
}

/** Calibrations of one digital twin, newest first (without their reports). */
export async function fetchCalibrations(dt: string): Promise<Calibration[]> {
  const body = await request<{ calibrations: Calibration[] }>(
    `calibrations?dt=${encodeURIComponent(dt)}`
  );
  return body?.calibrations ?? [];
}

/** One calibration, with its report once it ended. */
export function fetchCalibration(id: string): Promise<Calibration> {
  return request<Calibration>(calibrationEndpoint(id));
}

/** Where the browser loads a calibration's residual plot (the session cookie authorises it). */
export function calibrationPlotUrl(id: string): string {
  return serverUrl('dtaas/api', calibrationEndpoint(id), 'residuals.png');
}

/** Save a calibration's fitted values as a configuration of the user's. */
export function saveCalibrationConfig(id: string, name: string): Promise<Config> {
  return sendJson<Config>(`${calibrationEndpoint(id)}/config`, 'POST', { name });
}

/** A new twin in the user's library with a calibration's fitted values as defaults. */
export function twinFromCalibration(id: string, body: NewTwin): Promise<CreatedTwin> {
  return sendJson<CreatedTwin>(`${calibrationEndpoint(id)}/twin`, 'POST', body);
}
