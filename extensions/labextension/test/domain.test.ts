import type { Run } from '../src/api/types';
import { assetRef, manifestType, parseRef, problemText, runScope, scopeLabel } from '../src/domain/assets';
import { lineChart, trendChart } from '../src/domain/charts';
import {
  commonFiles,
  numericRecords,
  parameterDifferences,
  recordedDifferences,
  trendOf
} from '../src/domain/compare';
import { numericColumns, parseCsv, seriesOf } from '../src/domain/csv';
import { formatDuration, formatSize, formatValue, stripAnsi } from '../src/domain/format';

function run(id: string, created: string, parameters: object, recorded: object): Run {
  return { id, created, parameters, recorded, status: 'succeeded' } as unknown as Run;
}

describe('asset names', () => {
  it('names the user library "mine" in references and labels', () => {
    expect(assetRef({ scope: 'private', type: 'functions', name: 'solver' })).toBe(
      'mine/functions/solver'
    );
    expect(scopeLabel('private')).toBe('mine');
    expect(scopeLabel('group:lab')).toBe('lab');
  });

  it('reads a reference back, and refuses what is not one', () => {
    expect(parseRef('mine/models/m')).toEqual({ scope: 'private', type: 'models', name: 'm' });
    expect(parseRef('common/nothing/m')).toBeNull();
    expect(parseRef('mine/models')).toBeNull();
  });

  it('runs twins of the own, the common and a group library, and those shared', () => {
    expect(runScope('private')).toBe('private');
    expect(runScope('group:lab')).toBe('group:lab');
    expect(runScope('group:')).toBeNull();
    expect(runScope('user:bob')).toBe('user:bob');
    expect(runScope('user:')).toBeNull();
    expect(runScope('mine')).toBeNull();
  });

  it('knows manifests by their file and folder', () => {
    expect(manifestType('digital_twins/x/dt.yaml')).toBe('digital_twins');
    expect(manifestType('models/m/asset.yaml')).toBe('models');
    expect(manifestType('notes/m/asset.yaml')).toBeNull();
    expect(manifestType('digital_twins/x/README.md')).toBeNull();
  });

  it('prints problems as compilers do', () => {
    expect(problemText({ file: 'dt.yaml', line: 3, field: 'title', message: 'not text' })).toBe(
      'dt.yaml:3 title: not text'
    );
    expect(problemText({ file: 'dt.yaml', line: null, field: '', message: 'empty' })).toBe(
      'dt.yaml: empty'
    );
  });
});

describe('formatting', () => {
  it('shows sizes, durations and values compactly', () => {
    expect(formatSize(512)).toBe('512 B');
    expect(formatSize(1500)).toBe('1.5 kB');
    expect(formatDuration(4.25)).toBe('4.3 s');
    expect(formatDuration(185)).toBe('3 min 5 s');
    expect(formatDuration(-1)).toBe('');
    expect(formatValue('text')).toBe('text');
    expect(formatValue({ a: 1 })).toBe('{"a":1}');
    expect(stripAnsi('\u001b[31mred\u001b[0m')).toBe('red');
  });
});

describe('CSV outputs', () => {
  const table = parseCsv('t,x1,label\n0,1.5,a\n1,2.5,b\n2,,c\n');

  it('parses a header and typed rows', () => {
    expect(table.columns).toEqual(['t', 'x1', 'label']);
    expect(table.rows).toHaveLength(3);
    expect(table.rows[1]).toEqual([1, 2.5, 'b']);
    expect(table.truncated).toBe(false);
  });

  it('plots only columns of numbers, against the first', () => {
    expect(numericColumns(table)).toEqual(['t', 'x1']);
    expect(seriesOf(table, ['x1'])).toEqual([
      { x: 0, y: 1.5, series: 'x1' },
      { x: 1, y: 2.5, series: 'x1' }
    ]);
    expect(seriesOf(table, ['x1'], 'run a')[0].series).toBe('run a x1');
  });

  it('keeps a preview short', () => {
    const long = parseCsv('t\n' + Array.from({ length: 20 }, (_, i) => i).join('\n'), 5);
    expect(long.rows).toHaveLength(5);
    expect(long.truncated).toBe(true);
  });
});

describe('comparing runs', () => {
  const runs = [
    run('b', '2026-01-02T00:00:00Z', { m1: 5, k: 1 }, { x1: 0.2, note: 'ok' }),
    run('a', '2026-01-01T00:00:00Z', { m1: 1, k: 1 }, { x1: 0.1 })
  ];

  it('marks the parameters and records that differ', () => {
    expect(parameterDifferences(runs)).toEqual([
      { name: 'k', values: [1, 1], differs: false },
      { name: 'm1', values: [5, 1], differs: true }
    ]);
    const recorded = recordedDifferences(runs);
    expect(recorded.find(d => d.name === 'note')).toEqual({
      name: 'note',
      values: ['ok', undefined],
      differs: true
    });
  });

  it('trends a numeric record oldest first', () => {
    expect(numericRecords(runs)).toEqual(['x1']);
    expect(trendOf(runs, 'x1').map(p => p.run)).toEqual(['a', 'b']);
  });

  it('overlays only files every run has', () => {
    expect(commonFiles([['a.csv', 'b.csv'], ['b.csv']])).toEqual(['b.csv']);
    expect(commonFiles([])).toEqual([]);
  });
});

describe('chart specifications', () => {
  it('are Vega-Lite with the data inline', () => {
    const spec = lineChart([{ x: 0, y: 1, series: 'x1' }], 't');
    expect(spec.$schema).toContain('vega-lite/v5');
    expect((spec.data as { values: unknown[] }).values).toHaveLength(1);
    const trend = trendChart([{ run: 'a', created: '2026-01-01', value: 1 }], 'x1', 'm');
    expect(JSON.stringify(trend.encoding)).toContain('x1 (m)');
  });
});
