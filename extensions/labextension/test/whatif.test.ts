import type { DigitalTwin, ScenarioRow, Sweep } from '../src/api/types';
import {
  bestScenario,
  canResume,
  cellText,
  configNameOf,
  CONFIG_NAME,
  defaultRange,
  etaText,
  filterRows,
  FRONT_VIEWS,
  front3dSpec,
  initialForm,
  IColumn,
  isSweepRunning,
  newestFirst,
  nextSort,
  numericParameters,
  parallelPoints,
  parallelSpec,
  plottableColumns,
  problemOf,
  resultColumns,
  scatterSpec,
  sensitivityOf,
  sensitivitySpec,
  sortRows,
  sweepProgressText,
  sweepRequest,
  TWIN_NAME,
  twinNameOf
} from '../src/domain/whatif';

const INFO = {
  name: 'msd',
  parameters: {
    type: 'object',
    properties: {
      m1: { type: 'number', exclusiveMinimum: 0, default: 1.0, 'x-unit': 'kg' },
      c1: { type: 'number', minimum: 0, default: 0.5, 'x-unit': 'N s/m' },
      x2_0: { type: 'number', default: 0 },
      t_end: { type: 'number', exclusiveMinimum: 0, maximum: 100, default: 10 },
      n: { type: 'integer', minimum: 2, maximum: 11, default: 5 },
      mode: { type: 'string', enum: ['a', 'b'], default: 'a' },
      label: { type: 'string', default: 'x' },
      fast: { type: 'boolean', default: false }
    }
  },
  records: { x1: { 'x-unit': 'm' }, x2: { 'x-unit': 'm' } }
} as unknown as DigitalTwin;

function sweep(fields: Partial<Sweep> = {}): Sweep {
  return {
    id: '20250101T100000000-abc123',
    dt: 'msd',
    scope: 'common',
    step: 'execute',
    design: { kind: 'lhs', n: 4 },
    ranges: { c1: { name: 'c1', kind: 'float', low: 0.1, high: 2 } },
    parameters: {},
    objectives: [{ name: 'x1', direction: 'min' }],
    status: 'succeeded',
    total: 4,
    done: 4,
    failed: 0,
    created: '2025-01-01T10:00:00Z',
    dir: 'sweeps/msd/20250101T100000000-abc123',
    ...fields
  };
}

function row(scenario: number, c1: number, x1: number | null, rank: number | null): ScenarioRow {
  return {
    scenario,
    parameters: { c1, m1: 1 },
    recorded: x1 === null ? {} : { x1, x2: -x1 },
    status: x1 === null ? 'failed' : 'succeeded',
    error: x1 === null ? 'ZeroDivisionError: division by zero' : null,
    rank,
    score: x1 === null ? null : 1 - scenario / 10
  };
}

const ROWS = [
  row(0, 0.5, 0.3, 3),
  row(1, 1.0, -0.2, 1),
  row(2, 1.5, null, null),
  row(3, 2.0, 0.1, 2)
];

describe('the form from the schema', () => {
  it('offers the numeric parameters only, draft-4 exclusive bounds read', () => {
    const draft4 = {
      parameters: { properties: { k: { type: 'number', minimum: 0, exclusiveMinimum: true } } }
    } as unknown as DigitalTwin;
    expect(numericParameters(INFO).map(p => p.name)).toEqual(['m1', 'c1', 'x2_0', 't_end', 'n']);
    const [k] = numericParameters(draft4);
    expect(k.minimum).toBeNull();
    expect(k.exclusiveMinimum).toBe(0);
  });

  it('prefills ranges from the bounds, else the default ± 50 %', () => {
    const ranges = Object.fromEntries(numericParameters(INFO).map(p => [p.name, defaultRange(p)]));
    expect(ranges.c1).toEqual([0, 0.75]); // minimum, and default + 50 %
    expect(ranges.m1).toEqual([0.5, 1.5]); // 1 ± 0.5, above the exclusive 0
    expect(ranges.x2_0).toEqual([-1, 1]); // a default of 0: ± 1
    expect(ranges.t_end).toEqual([5, 100]);
    expect(ranges.n).toEqual([2, 11]);
  });

  it('keeps an open bound out of the range', () => {
    const [p] = numericParameters({
      parameters: { properties: { a: { type: 'number', exclusiveMaximum: 1, default: 0.8 } } }
    } as unknown as DigitalTwin);
    const [low, high] = defaultRange(p);
    expect(low).toBeCloseTo(0.4);
    expect(high).toBeCloseTo(0.9); // 0.8 + 50 % passes 1: half way from the default to it
  });

  it('starts with nothing varied, the defaults fixed, failures kept', () => {
    const form = initialForm(INFO);
    expect(form.parameters.c1).toEqual({ vary: false, low: '0', high: '0.75', value: '0.5' });
    expect(form.keep).toBe('failures');
    expect(Object.keys(form.parameters)).not.toContain('mode');
  });
});

describe('the request the form makes', () => {
  it('sends the ranges varied, the values changed and the objectives', () => {
    const form = initialForm(INFO);
    form.parameters.c1 = { ...form.parameters.c1, vary: true, low: '0.1', high: '2' };
    form.parameters.m1 = { ...form.parameters.m1, value: '2' };
    form.kind = 'lhs';
    form.n = '8';
    form.seed = '3';
    form.objectives = [{ name: 'x1', direction: 'min' }];
    const made = sweepRequest(form, 'msd', 'common', INFO);
    expect(made.problems).toEqual([]);
    expect(made.request).toEqual({
      dt: 'msd',
      scope: 'common',
      design: { kind: 'lhs', n: 8, seed: 3 },
      ranges: { c1: [0.1, 2] },
      parameters: { m1: 2 },
      objectives: ['min:x1'],
      keep: 'failures'
    });
  });

  it('leaves the order of low and high to the server, but wants numbers', () => {
    const form = initialForm(INFO);
    form.parameters.c1 = { ...form.parameters.c1, vary: true, low: '2', high: '0.1' };
    expect(sweepRequest(form, 'msd', 'common', INFO).request?.ranges).toEqual({ c1: [2, 0.1] });
    form.parameters.c1.low = 'abc';
    form.n = '0';
    form.seed = '-1';
    const made = sweepRequest(form, 'msd', 'common', INFO);
    expect(made.request).toBeNull();
    expect(made.problems.map(p => p.place)).toEqual(['parameter:c1', 'n', 'seed']);
  });

  it('needs a parameter to vary, and whole numbers for integers', () => {
    const form = initialForm(INFO);
    form.parameters.n = { ...form.parameters.n, value: '2.5' };
    const made = sweepRequest(form, 'msd', 'common', INFO);
    expect(made.problems.map(p => p.place).sort()).toEqual(['form', 'parameter:n']);
  });

  it('puts a 400 next to the parameter or field it names', () => {
    expect(problemOf({ field: 'ranges', parameter: 'c1' }, 'm').place).toBe('parameter:c1');
    expect(problemOf({ field: 'parameters', parameter: 'k1' }, 'm').place).toBe('parameter:k1');
    expect(problemOf({ field: 'n' }, 'm').place).toBe('n');
    expect(problemOf({ field: 'design' }, 'm').place).toBe('kind');
    expect(problemOf({ field: 'objectives' }, 'm').place).toBe('objectives');
    expect(problemOf({ field: 'ranges' }, 'm').place).toBe('form');
    expect(problemOf({}, 'some message')).toEqual({ place: 'form', message: 'some message' });
  });
});

describe('sweeps and their progress', () => {
  it('says done of total, failed and the time left while it runs', () => {
    const running = sweep({ status: 'running', total: 8, done: 5, failed: 1, eta_s: 12.4 });
    expect(sweepProgressText(running)).toBe('5 of 8 done, 1 failed, about 12 s left');
    expect(sweepProgressText(sweep())).toBe('4 of 4 done');
    expect(isSweepRunning('cancelling')).toBe(true);
    expect(isSweepRunning('interrupted')).toBe(false);
  });

  it('writes ETAs in seconds, minutes and hours', () => {
    expect(etaText(59.4)).toBe('59 s');
    expect(etaText(200)).toBe('3 min 20 s');
    expect(etaText(7500)).toBe('2 h 5 min');
    expect(etaText(null)).toBe('');
    expect(etaText(-1)).toBe('');
  });

  it('resumes interrupted and cancelled sweeps that miss scenarios', () => {
    expect(canResume(sweep({ status: 'interrupted', done: 2 }))).toBe(true);
    expect(canResume(sweep({ status: 'cancelled', done: 3 }))).toBe(true);
    expect(canResume(sweep({ status: 'cancelled', done: 4 }))).toBe(false);
    expect(canResume(sweep({ status: 'running', done: 1 }))).toBe(false);
  });

  it('lists the newest first', () => {
    const a = sweep({ id: 'a', created: '2025-01-01T10:00:00Z' });
    const b = sweep({ id: 'b', created: '2025-01-02T10:00:00Z' });
    expect(newestFirst([a, b]).map(s => s.id)).toEqual(['b', 'a']);
  });
});

describe('the results table', () => {
  const columns = resultColumns(sweep(), ROWS, { x1: 'm', x2: 'm' }, { c1: 'N s/m' });
  const column = (key: string) => columns.find(c => c.key === key) as IColumn;

  it('has the scenario, varied parameters, objectives first, then status, rank, score', () => {
    expect(columns.map(c => c.key)).toEqual([
      'scenario',
      'p:c1',
      'r:x1',
      'r:x2',
      'status',
      'rank',
      'score'
    ]);
    expect(column('r:x1')).toMatchObject({ unit: 'm', direction: 'min' });
    expect(column('p:c1').unit).toBe('N s/m');
  });

  it('sorts numbers as numbers, with missing values last both ways', () => {
    const up = sortRows(ROWS, columns, { key: 'r:x1', direction: 'asc' });
    expect(up.map(r => r.scenario)).toEqual([1, 3, 0, 2]);
    const down = sortRows(ROWS, columns, { key: 'r:x1', direction: 'desc' });
    expect(down.map(r => r.scenario)).toEqual([0, 3, 1, 2]);
    expect(nextSort(null, 'r:x1')).toEqual({ key: 'r:x1', direction: 'asc' });
    expect(nextSort({ key: 'r:x1', direction: 'asc' }, 'r:x1').direction).toBe('desc');
    expect(nextSort({ key: 'r:x1', direction: 'desc' }, 'r:x1').direction).toBe('asc');
  });

  it('filters by comparisons and by text, errors included', () => {
    const keep = (f: string) => filterRows(ROWS, columns, f).rows.map(r => r.scenario);
    expect(keep('x1 < 0.2')).toEqual([1, 3]);
    expect(keep('x1 >= 0.1, c1 > 1.5')).toEqual([3]);
    expect(keep('status = failed')).toEqual([2]);
    expect(keep('ZeroDivision')).toEqual([2]);
    expect(keep('rank <= 2 and x1 > 0')).toEqual([3]);
    expect(keep('')).toEqual([0, 1, 2, 3]);
    expect(filterRows(ROWS, columns, 'k9 < 1').error).toBe('No column k9');
  });

  it('writes numbers in four digits', () => {
    expect(cellText(0.123456)).toBe('0.1235');
    expect(cellText(12)).toBe('12');
    expect(cellText(0.00012346)).toBe('1.235e-4');
    expect(cellText(null)).toBe('');
    expect(cellText('failed')).toBe('failed');
  });

  it('offers the weighted best, else the best ranked', () => {
    expect(bestScenario(ROWS, { best: 3, front: [1] })).toBe(3);
    expect(bestScenario(ROWS, null)).toBe(1);
    expect(bestScenario([row(0, 1, null, null)], null)).toBeNull();
  });

  it('names configurations and twins as the server accepts them', () => {
    const name = configNameOf(sweep(), 12);
    expect(name).toBe('whatif-abc123-12');
    expect(CONFIG_NAME.test(name)).toBe(true);
    expect(twinNameOf('Mass_Spring', 3)).toBe('mass_spring-s3');
    expect(TWIN_NAME.test(twinNameOf('Mass Spring!', 3))).toBe(true);
  });
});

describe('the plots', () => {
  const columns = resultColumns(sweep(), ROWS, {}, {});
  const c1 = columns.find(c => c.key === 'p:c1') as IColumn;
  const x1 = columns.find(c => c.key === 'r:x1') as IColumn;

  it('plots columns with numbers in two rows or more', () => {
    const keys = plottableColumns(ROWS, columns).map(c => c.key);
    expect(keys).toEqual(['p:c1', 'r:x1', 'r:x2', 'score']);
  });

  it('draws a point per scenario with numbers, the front joined', () => {
    const spec = scatterSpec(ROWS, c1, x1) as any;
    expect(spec.layer).toHaveLength(1); // one point on the front: no line
    const points = spec.layer[0];
    expect(points.data.values.map((p: any) => [p.scenario, p.x, p.y, p.rank])).toEqual([
      [0, 0.5, 0.3, '3'],
      [1, 1.0, -0.2, '1'],
      [3, 2.0, 0.1, '2']
    ]);
    expect(points.encoding.color.scale.domain).toEqual(['1', '2', '3']);
    expect(points.mark.type).toBe('point');
    const two = ROWS.map(r => (r.scenario === 3 ? { ...r, rank: 1 } : r));
    const front = (scatterSpec(two, c1, x1) as any).layer[0];
    expect(front.mark.type).toBe('line');
    expect(front.data.values.map((p: any) => p.scenario)).toEqual([1, 3]); // in order of x
  });

  it('shows three objectives as three pairwise projections sharing one hover', () => {
    const three = sweep({
      objectives: [
        { name: 'x1', direction: 'min' },
        { name: 'x2', direction: 'max' },
        { name: 'settling_time', direction: 'min' }
      ]
    });
    const rows = ROWS.map(r =>
      r.status === 'succeeded'
        ? { ...r, recorded: { ...r.recorded, settling_time: 2 * r.scenario } }
        : r
    );
    const cols = resultColumns(three, rows, { settling_time: 's' }, {});
    const objectives = cols.filter(c => c.direction);
    expect(objectives.map(c => c.key)).toEqual(['r:x1', 'r:x2', 'r:settling_time']);
    const spec = front3dSpec(rows, objectives) as any;
    expect(spec.hconcat).toHaveLength(3);
    // each pair of objectives once: (x1, x2), (x1, settling_time), (x2, settling_time)
    const axes = spec.hconcat.map((p: any) => [p.encoding.x.field, p.encoding.y.field]);
    expect(axes).toEqual([
      ['o0', 'o1'],
      ['o0', 'o2'],
      ['o1', 'o2']
    ]);
    expect(spec.hconcat.map((p: any) => p.encoding.y.title)).toEqual([
      'max x2',
      'min settling_time (s)',
      'min settling_time (s)'
    ]);
    // a point per scenario with the three values; the failed scenario has none
    expect(spec.data.values).toEqual([
      { scenario: 0, rank: '3', front: false, o0: 0.3, o1: -0.3, o2: 0 },
      { scenario: 1, rank: '1', front: true, o0: -0.2, o1: 0.2, o2: 2 },
      { scenario: 3, rank: '2', front: false, o0: 0.1, o1: -0.1, o2: 6 }
    ]);
    // coloured by rank, the front larger and outlined, the hovered scenario larger still
    for (const panel of spec.hconcat) {
      expect(panel.encoding.color.field).toBe('rank');
      expect(panel.encoding.color.scale.domain).toEqual(['1', '2', '3']);
      expect(panel.encoding.size.condition).toEqual([
        { param: 'hover', empty: false, value: 300 },
        { test: 'datum.front', value: 140 }
      ]);
      expect(panel.encoding.stroke.condition[1]).toEqual({ test: 'datum.front', value: '#e45756' });
    }
    // one selection on the scenario, over the three views
    expect(spec.params).toHaveLength(1);
    expect(spec.params[0].select.fields).toEqual(['scenario']);
    expect(spec.params[0].views).toEqual(FRONT_VIEWS);
    expect(spec.hconcat.map((p: any) => p.name)).toEqual(FRONT_VIEWS);
    expect(() => front3dSpec(rows, objectives.slice(0, 2))).toThrow();
  });

  it('scales each axis of the parallel coordinates to its own range', () => {
    const axes = [c1, x1];
    const points = parallelPoints(ROWS, axes);
    expect(points).toHaveLength(6); // the failed scenario has no x1
    const scaled = (scenario: number, axis: string) =>
      points.find(p => p.scenario === scenario && p.axis === axis)?.scaled;
    expect(scaled(0, 'c1')).toBeCloseTo(0); // c1 0.5 of 0.5..2
    expect(scaled(3, 'c1')).toBeCloseTo(1);
    expect(scaled(1, 'c1')).toBeCloseTo(1 / 3);
    expect(scaled(1, 'x1')).toBeCloseTo(0); // x1 -0.2 of -0.2..0.3
    expect(scaled(3, 'x1')).toBeCloseTo(0.6);
    expect((parallelSpec(ROWS, axes) as any).encoding.x.sort).toEqual(['c1', 'x1']);
  });

  it('reads Sobol and Morris indices, and says why there are none', () => {
    const found = sensitivityOf({
      front: [],
      sensitivity: {
        x1: [
          { parameter: 'c1', S1: 0.6, S1_conf: 0.1, ST: 0.7, ST_conf: null },
          { parameter: 'k1', S1: 0.2, S1_conf: 0.05, ST: 0.3, ST_conf: 0.02 }
        ],
        x2: [{ parameter: 'c1', mu_star: 1.5, mu_star_conf: 0.5, sigma: 0.2 }],
        x1_t: { error: 'not a number' }
      }
    });
    const [sobol, morris, none] = found;
    expect(sobol.kind).toBe('sobol');
    expect(sobol.bars).toHaveLength(4);
    const s1 = sobol.bars[0];
    expect([s1.index, s1.value, s1.low, s1.high]).toEqual(['S1', 0.6, 0.5, 0.7]);
    expect(sobol.bars[1]).toMatchObject({ index: 'ST', low: null, high: null });
    expect(morris.kind).toBe('morris');
    expect(morris.bars.map(b => [b.index, b.value, b.low, b.high])).toEqual([
      ['μ*', 1.5, 1.0, 2.0],
      ['σ', 0.2, null, null]
    ]);
    expect(none).toMatchObject({ output: 'x1_t', kind: null, error: 'not a number' });
    const spec = sensitivitySpec(sobol) as any;
    expect(spec.layer[0].mark.type).toBe('bar');
    expect(spec.layer[1].encoding.y2.field).toBe('high');
    expect(spec.data.values).toBe(sobol.bars);
  });
});
