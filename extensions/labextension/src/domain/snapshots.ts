/** Snapshots and live runs as the website shows them: pure helpers, tested with jest. */
import type {
  Live,
  Run,
  Snapshot,
  SnapshotChanges,
  SnapshotDiff,
  SnapshotSummary
} from '../api/types';
import { formatSize, formatValue, isFinished } from './format';

/** How many hex digits of a sha256 the pages show. */
export const HASH_CHARS = 12;

export function shortHash(sha256: string | undefined, chars = HASH_CHARS): string {
  return (sha256 ?? '').slice(0, chars);
}

/** What a snapshot is called: its label, else its id. */
export function snapshotTitle(snapshot: { id: string; label?: string | null }): string {
  return (snapshot.label ?? '').trim() || snapshot.id;
}

function plural(count: number, one: string, many = `${one}s`): string {
  return `${count} ${count === 1 ? one : many}`;
}

/** "3 files, 1 variable, 2 skipped". */
export function countsText(
  snapshot: Pick<SnapshotSummary, 'files_count' | 'variables_count' | 'skipped_count'>
): string {
  const parts = [
    plural(snapshot.files_count ?? 0, 'file'),
    plural(snapshot.variables_count ?? 0, 'variable')
  ];
  if (snapshot.skipped_count) {
    parts.push(`${snapshot.skipped_count} skipped`);
  }
  return parts.join(', ');
}

/** What it holds and what this save wrote anew (the rest is shared with other snapshots). */
export function sizesText(snapshot: Pick<SnapshotSummary, 'bytes_total' | 'bytes_written'>): string {
  const total = formatSize(snapshot.bytes_total ?? 0);
  const written = snapshot.bytes_written ?? 0;
  return `${total}, ${written > 0 ? `${formatSize(written)} new` : 'nothing new'}`;
}

/** Where the run was: "execute, tick 12" (live) or "execute". */
export function pointText(snapshot: Pick<SnapshotSummary, 'step' | 'live' | 'tick'>): string {
  const step = snapshot.step ?? '';
  const tick = snapshot.live && typeof snapshot.tick === 'number' ? `tick ${snapshot.tick}` : '';
  return [step, tick].filter(Boolean).join(', ') || '–';
}

/** POST runs/{id}/save answers a snapshot (201) or the run, to be saved at its step's end (202). */
export function isSnapshot(body: Snapshot | Run): body is Snapshot {
  return (
    !!body &&
    typeof body === 'object' &&
    'files' in body &&
    'run' in body &&
    !('steps' in body && 'status' in body)
  );
}

export type ChangeKind = 'added' | 'removed' | 'changed';

export interface IChange {
  name: string;
  change: ChangeKind;
}

/** The names added, removed or changed, by name. */
export function changeRows(changes: SnapshotChanges | undefined | null): IChange[] {
  if (!changes) {
    return [];
  }
  const rows: IChange[] = [];
  for (const change of ['added', 'removed', 'changed'] as const) {
    for (const name of changes[change] ?? []) {
      rows.push({ name, change });
    }
  }
  return rows.sort((x, y) => (x.name < y.name ? -1 : x.name > y.name ? 1 : 0));
}

export interface IParameterChange {
  name: string;
  a: string;
  b: string;
}

/** The parameters whose values differ, by name, as text. */
export function parameterChanges(diff: SnapshotDiff | null | undefined): IParameterChange[] {
  return Object.entries(diff?.parameters ?? {})
    .map(([name, pair]) => ({
      name,
      a: formatValue(Array.isArray(pair) ? pair[0] : undefined),
      b: formatValue(Array.isArray(pair) ? pair[1] : undefined)
    }))
    .sort((x, y) => (x.name < y.name ? -1 : x.name > y.name ? 1 : 0));
}

/** Nothing differs between the two snapshots. */
export function sameContent(diff: SnapshotDiff): boolean {
  return (
    changeRows(diff.files).length === 0 &&
    changeRows(diff.variables).length === 0 &&
    parameterChanges(diff).length === 0
  );
}

/**
 * The two ticked snapshots to diff, the older first (by when they were taken, else in
 * the order ticked); null unless exactly two are ticked.
 */
export function diffPair(
  ticked: readonly string[],
  list: readonly Pick<SnapshotSummary, 'id' | 'created'>[]
): [string, string] | null {
  if (ticked.length !== 2) {
    return null;
  }
  const [x, y] = ticked;
  const cx = list.find(s => s.id === x)?.created ?? '';
  const cy = list.find(s => s.id === y)?.created ?? '';
  return cx && cy && cy < cx ? [y, x] : [x, y];
}

/** The step a respawn proposes: the snapshot's own, if the twin still has it. */
export function respawnStep(
  snapshot: Pick<SnapshotSummary, 'step'> | null,
  steps: readonly string[]
): string {
  const own = snapshot?.step ?? '';
  if (own && steps.includes(own)) {
    return own;
  }
  return steps.includes('execute') ? 'execute' : (steps[0] ?? own);
}

export interface ILiveValue {
  name: string;
  value: string;
  unit: string;
  /** Kept as a time series in outputs/records/<name>.csv. */
  series: boolean;
}

/** The latest live values, by name, with their units. */
export function liveValues(live: Live | null | undefined, units: Record<string, string>): ILiveValue[] {
  const series = new Set(live?.series ?? []);
  return Object.entries(live?.values ?? {})
    .map(([name, value]) => ({
      name,
      value: formatValue(value),
      unit: units[name] ?? '',
      series: series.has(name)
    }))
    .sort((x, y) => (x.name < y.name ? -1 : x.name > y.name ? 1 : 0));
}

/** The live loop goes on: the run has not ended and its loop has not said it is done. */
export function isLiveRunning(run: Pick<Run, 'live' | 'status'>): boolean {
  return !!run.live && !isFinished(run.status) && run.live.running !== false;
}

/** "tick 12 · every 0.2 s · t = 12". */
export function liveText(live: Live): string {
  const parts = [`tick ${live.tick}`];
  if (typeof live.period_s === 'number') {
    parts.push(`every ${formatValue(live.period_s)} s`);
  }
  if (typeof live.t === 'number') {
    parts.push(`t = ${formatValue(live.t)}`);
  }
  return parts.join(' · ');
}

/** A run may be saved once it started: live, between steps, or ended. */
export function canSave(run: Pick<Run, 'status'>): boolean {
  return run.status !== 'queued' && run.status !== 'skipped';
}
