import { trendChart } from '../src/domain/charts';
import { MAX_ROWS } from '../src/domain/csv';
import {
  byRunNumber,
  countRows,
  csvTable,
  isPreviewable,
  MAX_CSV_BYTES,
  outputPath
} from '../src/domain/explore';

describe('run outputs', () => {
  it('finds output files below the run folder', () => {
    expect(outputPath({ dir: 'runs/msd/r1' }, 'plots/a.png')).toBe(
      'runs/msd/r1/outputs/plots/a.png'
    );
  });

  it('previews CSV files up to the size limit only', () => {
    const csv = { path: 'a.csv', kind: 'csv' as const, mime: 'text/csv' };
    expect(isPreviewable({ ...csv, size: MAX_CSV_BYTES })).toBe(true);
    expect(isPreviewable({ ...csv, size: MAX_CSV_BYTES + 1 })).toBe(false);
    expect(isPreviewable({ ...csv, kind: 'text', size: 10 })).toBe(false);
  });

  it('counts every row of a CSV file, also beyond the rows it keeps', () => {
    const small = csvTable('t,x\n0,1\n1,2\n\n');
    expect(small.columns).toEqual(['t', 'x']);
    expect(small.rowCount).toBe(2);
    const lines = ['t,x', ...Array.from({ length: MAX_ROWS + 7 }, (_, i) => `${i},${2 * i}`)];
    const big = csvTable(lines.join('\n'));
    expect(big.truncated).toBe(true);
    expect(big.rows).toHaveLength(MAX_ROWS);
    expect(big.rowCount).toBe(MAX_ROWS + 7);
    expect(countRows('a,b\n"x\ny",1\n')).toBe(1); // a quoted line break is one row
    expect(countRows('')).toBe(0);
  });
});

describe('trend by run number', () => {
  it('numbers the runs oldest first and keeps when they started in the tooltip', () => {
    const points = [
      { run: 'a', created: '2026-01-01T00:00:00.100Z', value: 1 },
      { run: 'b', created: '2026-01-01T00:00:00.900Z', value: 2 }
    ];
    const spec = byRunNumber(trendChart(points, 'peak', 'm'));
    const values = (spec.data as { values: Array<{ number: number; run: string }> }).values;
    expect(values.map(v => [v.number, v.run])).toEqual([
      [1, 'a'],
      [2, 'b']
    ]);
    const encoding = spec.encoding as Record<string, any>;
    expect(encoding.x).toMatchObject({ field: 'number', type: 'ordinal' });
    expect(encoding.y.title).toBe('peak (m)');
    expect(encoding.tooltip.map((t: { field: string }) => t.field)).toEqual([
      'number',
      'created',
      'run',
      'value'
    ]);
  });
});
