/** What the Runs tab explores: output files (paths, previews, CSV tables) and plots; pure. */
import Papa from 'papaparse';

import type { IOutputFile } from '../api/runtime';
import type { Run } from '../api/types';
import type { Spec } from './charts';
import { ITable, parseCsv } from './csv';

/** CSV files up to this size are fetched for a preview or a plot. */
export const MAX_CSV_BYTES = 5_000_000;

export interface ICsvTable extends ITable {
  /** Data rows in the whole file (the table keeps at most MAX_ROWS of them). */
  rowCount: number;
}

/** Workspace-relative path of one of a run's output files. */
export function outputPath(run: Pick<Run, 'dir'>, path: string): string {
  return `${run.dir}/outputs/${path}`;
}

/** A CSV file small enough to fetch for a preview. */
export function isPreviewable(file: IOutputFile): boolean {
  return file.kind === 'csv' && file.size <= MAX_CSV_BYTES;
}

/** Rows of CSV text after its header, counted the way the table parses them. */
export function countRows(text: string): number {
  let rows = 0;
  Papa.parse(text.trim(), { skipEmptyLines: true, step: () => void rows++ });
  return Math.max(rows - 1, 0);
}

/** Parse a CSV file's text for the preview, with the count of all its rows. */
export function csvTable(text: string): ICsvTable {
  const table = parseCsv(text);
  return { ...table, rowCount: table.truncated ? countRows(text) : table.rows.length };
}

/**
 * Runs one after another, numbered oldest first: runs started seconds apart stay apart
 * (a time axis would crowd them), and the time each started is in the tooltip.
 */
export function byRunNumber(spec: Spec): Spec {
  const data = spec.data as { values: Array<Record<string, unknown>> };
  const encoding = spec.encoding as Record<string, unknown>;
  return {
    ...spec,
    data: { values: data.values.map((point, i) => ({ ...point, number: i + 1 })) },
    encoding: {
      ...encoding,
      x: { field: 'number', type: 'ordinal', title: 'run', axis: { labelAngle: 0 } },
      tooltip: [
        { field: 'number', type: 'ordinal', title: 'run' },
        { field: 'created', type: 'temporal', title: 'started', format: '%Y-%m-%d %H:%M:%S' },
        ...((encoding.tooltip as unknown[]) ?? [])
      ]
    }
  };
}
