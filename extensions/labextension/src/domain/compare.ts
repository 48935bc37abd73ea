/** What differs between runs of one twin, and how a recorded value trends over runs; pure. */
import type { Run } from '../api/types';
import { formatValue } from './format';

export interface IDifference {
  name: string;
  /** One value per run, in the order the runs were given; undefined where a run has none. */
  values: unknown[];
  /** Not all runs have the same value. */
  differs: boolean;
}

function same(a: unknown, b: unknown): boolean {
  return formatValue(a) === formatValue(b);
}

/** Every name the runs have in `pick`, sorted, with its value in each run. */
export function differences(
  runs: Run[],
  pick: (run: Run) => Record<string, unknown> | undefined
): IDifference[] {
  const names = new Set<string>();
  for (const run of runs) {
    Object.keys(pick(run) ?? {}).forEach(name => names.add(name));
  }
  return [...names].sort().map(name => {
    const values = runs.map(run => (pick(run) ?? {})[name]);
    return { name, values, differs: values.some(v => !same(v, values[0])) };
  });
}

export function parameterDifferences(runs: Run[]): IDifference[] {
  return differences(runs, run => run.parameters);
}

export function recordedDifferences(runs: Run[]): IDifference[] {
  return differences(runs, run => run.recorded);
}

/** Names of recorded values that are numbers in at least one run: the ones a trend can show. */
export function numericRecords(runs: Run[]): string[] {
  const names = new Set<string>();
  for (const run of runs) {
    for (const [name, value] of Object.entries(run.recorded ?? {})) {
      if (typeof value === 'number' && isFinite(value)) {
        names.add(name);
      }
    }
  }
  return [...names].sort();
}

/** A recorded value over the runs that have it, oldest first. */
export function trendOf(
  runs: Run[],
  record: string
): Array<{ run: string; created: string; value: number }> {
  return runs
    .filter(run => {
      const value = (run.recorded ?? {})[record];
      return typeof value === 'number' && isFinite(value);
    })
    .map(run => ({ run: run.id, created: run.created, value: run.recorded[record] as number }))
    .sort((a, b) => a.created.localeCompare(b.created));
}

/** Output files every one of the runs has: the ones an overlay can show. */
export function commonFiles(files: string[][]): string[] {
  if (files.length === 0) {
    return [];
  }
  return files[0].filter(path => files.every(list => list.includes(path))).sort();
}
