/** CSV outputs of runs, read for a preview table and a line plot (papaparse parses). */
import Papa from 'papaparse';

export interface ITable {
  columns: string[];
  rows: unknown[][];
  /** Rows left out of the preview. */
  truncated: boolean;
}

/** At most this many rows are kept for a preview or a plot. */
export const MAX_ROWS = 5000;

/** Parse CSV text with a header row; numbers become numbers. */
export function parseCsv(text: string, maxRows = MAX_ROWS): ITable {
  const parsed = Papa.parse<unknown[]>(text.trim(), {
    dynamicTyping: true,
    skipEmptyLines: true,
    preview: maxRows + 1
  });
  const [header = [], ...rows] = parsed.data;
  const columns = header.map((name, i) => (name === null || name === '' ? `column ${i + 1}` : String(name)));
  return {
    columns,
    rows: rows.slice(0, maxRows),
    truncated: rows.length > maxRows || (parsed.meta.truncated ?? false)
  };
}

/** The columns holding numbers in every row that has a value: the ones worth plotting. */
export function numericColumns(table: ITable): string[] {
  return table.columns.filter((_, i) => {
    let seen = false;
    for (const row of table.rows) {
      const value = row[i];
      if (value === null || value === undefined || value === '') {
        continue;
      }
      if (typeof value !== 'number' || !isFinite(value)) {
        return false;
      }
      seen = true;
    }
    return seen;
  });
}

/** Long-form points of the chosen columns against the first, as Vega-Lite wants them. */
export function seriesOf(
  table: ITable,
  columns: string[],
  label = ''
): Array<{ x: number; y: number; series: string }> {
  const points: Array<{ x: number; y: number; series: string }> = [];
  const indices = columns.map(c => table.columns.indexOf(c)).filter(i => i > 0);
  for (const row of table.rows) {
    const x = row[0];
    if (typeof x !== 'number' || !isFinite(x)) {
      continue;
    }
    for (const i of indices) {
      const y = row[i];
      if (typeof y === 'number' && isFinite(y)) {
        points.push({ x, y, series: label ? `${label} ${table.columns[i]}` : table.columns[i] });
      }
    }
  }
  return points;
}
