/**
 * The What-if tab's pure logic: the sweep form from a twin's parameter schema and the
 * request it makes, where a server's 400 belongs in the form, a sweep's progress, the
 * results table (columns, sorting, filtering) and the Vega-Lite specs of its plots.
 */
import type {
  DesignKind,
  DigitalTwin,
  ScenarioRow,
  Sweep,
  SweepAnalysis,
  SweepRequest,
  SweepStatus
} from '../api/types';
import type { Spec } from './charts';

export const DESIGN_KINDS: readonly DesignKind[] = [
  'grid',
  'random',
  'lhs',
  'sobol',
  'saltelli',
  'morris'
];

export const DESIGN_LABELS: Record<DesignKind, string> = {
  grid: 'Grid',
  random: 'Random',
  lhs: 'Latin hypercube',
  sobol: 'Sobol sequence',
  saltelli: 'Saltelli (Sobol indices)',
  morris: 'Morris screening'
};

export type Keep = 'all' | 'failures' | 'none';

/** A numeric parameter of a twin, as its schema describes it. */
export interface INumericParameter {
  name: string;
  integer: boolean;
  unit: string;
  description: string;
  default: number | null;
  minimum: number | null;
  maximum: number | null;
  exclusiveMinimum: number | null;
  exclusiveMaximum: number | null;
}

/** One parameter's row of the form: varied between low and high, or fixed at value. */
export interface IParameterChoice {
  vary: boolean;
  low: string;
  high: string;
  value: string;
}

export interface IObjectiveChoice {
  name: string;
  direction: 'min' | 'max';
}

/** What the sweep form holds; inputs stay text until the request is made. */
export interface ISweepForm {
  parameters: Record<string, IParameterChoice>;
  kind: DesignKind;
  n: string;
  seed: string;
  objectives: IObjectiveChoice[];
  keep: Keep;
}

function num(value: unknown): number | null {
  return typeof value === 'number' && isFinite(value) ? value : null;
}

/** The parameters a sweep can vary between two numbers, in schema order. */
export function numericParameters(info: DigitalTwin | null): INumericParameter[] {
  const properties =
    (info?.parameters as { properties?: Record<string, Record<string, unknown>> } | undefined)
      ?.properties ?? {};
  const found: INumericParameter[] = [];
  for (const [name, prop] of Object.entries(properties)) {
    if (!prop || (prop.type !== 'number' && prop.type !== 'integer') || Array.isArray(prop.enum)) {
      continue;
    }
    // JSON Schema draft 4 spells exclusive bounds as booleans beside minimum/maximum
    const exMin = prop.exclusiveMinimum === true ? num(prop.minimum) : num(prop.exclusiveMinimum);
    const exMax = prop.exclusiveMaximum === true ? num(prop.maximum) : num(prop.exclusiveMaximum);
    found.push({
      name,
      integer: prop.type === 'integer',
      unit: typeof prop['x-unit'] === 'string' ? (prop['x-unit'] as string) : '',
      description: typeof prop.description === 'string' ? prop.description : '',
      default: num(prop.default),
      minimum: prop.exclusiveMinimum === true ? null : num(prop.minimum),
      maximum: prop.exclusiveMaximum === true ? null : num(prop.maximum),
      exclusiveMinimum: exMin,
      exclusiveMaximum: exMax
    });
  }
  return found;
}

/** A short decimal text of a number for an input (no float noise such as 0.30000000000000004). */
export function numberText(value: number): string {
  return String(Number(value.toPrecision(12)));
}

/**
 * The range a parameter's low/high inputs start with: its minimum and maximum, or its
 * default ± 50 % on a side the schema leaves open (± 1 around a default of 0), kept
 * inside exclusive bounds; integers are rounded inwards.
 */
export function defaultRange(p: INumericParameter): [number, number] {
  const centre = p.default ?? p.minimum ?? p.exclusiveMinimum ?? p.maximum ?? 0;
  const half = centre === 0 ? 1 : Math.abs(centre) / 2;
  let low = p.minimum ?? centre - half;
  let high = p.maximum ?? centre + half;
  if (p.exclusiveMinimum !== null && low <= p.exclusiveMinimum) {
    low =
      p.minimum === null && centre > p.exclusiveMinimum
        ? (centre + p.exclusiveMinimum) / 2
        : p.exclusiveMinimum;
  }
  if (p.exclusiveMaximum !== null && high >= p.exclusiveMaximum) {
    high = centre < p.exclusiveMaximum ? (centre + p.exclusiveMaximum) / 2 : p.exclusiveMaximum;
  }
  if (p.integer) {
    low = Math.ceil(low);
    high = Math.floor(high);
  }
  return [low, high];
}

/** The form as it first shows: nothing varied, each value its default, one objective if any. */
export function initialForm(info: DigitalTwin | null): ISweepForm {
  const parameters: Record<string, IParameterChoice> = {};
  for (const p of numericParameters(info)) {
    const [low, high] = defaultRange(p);
    parameters[p.name] = {
      vary: false,
      low: numberText(low),
      high: numberText(high),
      value: p.default === null ? '' : numberText(p.default)
    };
  }
  return { parameters, kind: 'lhs', n: '20', seed: '', objectives: [], keep: 'failures' };
}

/** The recorded values a twin declares, in its order. */
export function recordNames(info: DigitalTwin | null): string[] {
  return Object.keys(info?.records ?? {});
}

/** Where in the form a problem belongs: a parameter's row, or a named field. */
export type FormPlace =
  | `parameter:${string}`
  | 'kind'
  | 'n'
  | 'seed'
  | 'objectives'
  | 'keep'
  | 'form';

export interface IFormProblem {
  place: FormPlace;
  message: string;
}

function parseNumber(text: string): number | null {
  const trimmed = text.trim();
  if (!trimmed) {
    return null;
  }
  const value = Number(trimmed);
  return isFinite(value) ? value : null;
}

/**
 * The request the form makes, or the problems that keep it from being made (inputs
 * that are not numbers; the server checks the ranges themselves against the schema).
 */
export function sweepRequest(
  form: ISweepForm,
  dt: string,
  scope: string,
  info: DigitalTwin | null
): { request: SweepRequest; problems: [] } | { request: null; problems: IFormProblem[] } {
  const problems: IFormProblem[] = [];
  const ranges: Record<string, [number, number]> = {};
  const fixed: Record<string, number> = {};
  const known = new Map(numericParameters(info).map(p => [p.name, p]));
  for (const [name, choice] of Object.entries(form.parameters)) {
    const place: FormPlace = `parameter:${name}`;
    if (choice.vary) {
      const low = parseNumber(choice.low);
      const high = parseNumber(choice.high);
      if (low === null || high === null) {
        problems.push({ place, message: `${name}: give low and high as numbers` });
      } else {
        ranges[name] = [low, high];
      }
    } else {
      const p = known.get(name);
      if (!choice.value.trim() && (p?.default ?? null) === null) {
        continue; // no default, no value: the twin's own notebook decides
      }
      const value = parseNumber(choice.value);
      if (value === null) {
        problems.push({ place, message: `${name}: give its value as a number` });
      } else if (p?.integer && !Number.isInteger(value)) {
        problems.push({ place, message: `${name}: give a whole number` });
      } else if (value !== p?.default) {
        fixed[name] = value; // the defaults are the server's own
      }
    }
  }
  if (!Object.values(form.parameters).some(choice => choice.vary)) {
    problems.push({ place: 'form', message: 'Tick at least one parameter to vary.' });
  }
  const n = parseNumber(form.n);
  if (n === null || !Number.isInteger(n) || n < 1) {
    problems.push({ place: 'n', message: 'N must be a whole number of at least 1' });
  }
  const seed = parseNumber(form.seed);
  if (form.seed.trim() && (seed === null || !Number.isInteger(seed) || seed < 0)) {
    problems.push({ place: 'seed', message: 'The seed must be a whole number of at least 0' });
  }
  const names = form.objectives.map(o => o.name);
  if (new Set(names).size !== names.length) {
    problems.push({
      place: 'objectives',
      message: 'Each recorded value can be one objective only'
    });
  }
  if (problems.length) {
    return { request: null, problems };
  }
  const request: SweepRequest = {
    dt,
    scope,
    design: { kind: form.kind, n: n as number, seed: form.seed.trim() ? (seed as number) : null },
    ranges,
    objectives: form.objectives.map(o => `${o.direction}:${o.name}`),
    keep: form.keep
  };
  if (Object.keys(fixed).length) {
    request.parameters = fixed;
  }
  return { request, problems: [] };
}

/** Where the server's 400 goes: the parameter it names, else the field it names. */
export function problemOf(body: Record<string, unknown>, message: string): IFormProblem {
  const parameter = typeof body.parameter === 'string' ? body.parameter : '';
  const field = typeof body.field === 'string' ? body.field : '';
  if (parameter && (field === 'ranges' || field === 'parameters' || !field)) {
    return { place: `parameter:${parameter}`, message };
  }
  const places: Record<string, FormPlace> = {
    design: 'kind',
    kind: 'kind',
    levels: 'kind',
    constraint: 'kind',
    n: 'n',
    seed: 'seed',
    objectives: 'objectives',
    constraints: 'objectives',
    weights: 'objectives',
    keep: 'keep'
  };
  return { place: places[field] ?? 'form', message };
}

// --- sweeps and their progress ------------------------------------------------------

const RUNNING: readonly SweepStatus[] = ['queued', 'running', 'cancelling'];

/** The sweep still runs (or waits to, or is stopping): its progress is followed. */
export function isSweepRunning(status: SweepStatus): boolean {
  return RUNNING.includes(status);
}

/** An interrupted or cancelled sweep goes on with the scenarios it has not finished. */
export function canResume(sweep: Sweep): boolean {
  const stopped = sweep.status === 'interrupted' || sweep.status === 'cancelled';
  return stopped && sweep.done < sweep.total;
}

export function canCancel(sweep: Sweep): boolean {
  return sweep.status === 'queued' || sweep.status === 'running';
}

/** Scenarios done of all, as a fraction for a progress bar. */
export function sweepFraction(sweep: Sweep): number {
  return sweep.total > 0 ? Math.min(1, Math.max(0, sweep.done / sweep.total)) : 0;
}

/** Seconds as a person reads an ETA: "45 s", "3 min 20 s", "2 h 5 min". */
export function etaText(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !isFinite(seconds) || seconds < 0) {
    return '';
  }
  const s = Math.round(seconds);
  if (s < 60) {
    return `${s} s`;
  }
  if (s < 3600) {
    const rest = s % 60;
    return `${Math.floor(s / 60)} min${rest ? ` ${rest} s` : ''}`;
  }
  const minutes = Math.round((s % 3600) / 60);
  return `${Math.floor(s / 3600)} h${minutes ? ` ${minutes} min` : ''}`;
}

/** "5 of 8 done, 1 failed, about 12 s left". */
export function sweepProgressText(sweep: Sweep): string {
  const parts = [`${sweep.done} of ${sweep.total} done`];
  if (sweep.failed) {
    parts.push(`${sweep.failed} failed`);
  }
  if (isSweepRunning(sweep.status)) {
    const eta = etaText(sweep.eta_s);
    if (eta && sweep.done < sweep.total) {
      parts.push(`about ${eta} left`);
    }
  }
  return parts.join(', ');
}

/** The parameters a sweep varies, in the order its record gives them. */
export function variedOf(sweep: Sweep): string[] {
  return Object.keys(sweep.ranges ?? {});
}

/** A sweep in a list: design, N and what it varies, e.g. "lhs × 8: c1, k1". */
export function sweepTitle(sweep: Sweep): string {
  const design = sweep.design as { kind?: string; n?: number };
  const varied = variedOf(sweep);
  return `${design.kind ?? '?'} × ${sweep.total}${varied.length ? `: ${varied.join(', ')}` : ''}`;
}

/** Objectives as the sweep states them: "min x1, max x2". */
export function objectivesText(sweep: Sweep): string {
  return (sweep.objectives ?? []).map(o => `${o.direction} ${o.name}`).join(', ');
}

/** Newest first, by when each was created (the server's order, kept when it is equal). */
export function newestFirst(sweeps: readonly Sweep[]): Sweep[] {
  return sweeps
    .map((s, i) => ({ s, i }))
    .sort((a, b) => (a.s.created < b.s.created ? 1 : a.s.created > b.s.created ? -1 : a.i - b.i))
    .map(x => x.s);
}

// --- results ------------------------------------------------------------------------

export type ColumnKind = 'scenario' | 'parameter' | 'recorded' | 'status' | 'rank' | 'score';

/** A column of the results table. */
export interface IColumn {
  key: string;
  kind: ColumnKind;
  name: string;
  unit: string;
  /** 'min' or 'max' for an objective. */
  direction: '' | 'min' | 'max';
}

export function columnLabel(column: IColumn): string {
  return column.unit ? `${column.name} (${column.unit})` : column.name;
}

/**
 * The table's columns: the scenario, the varied parameters, the objectives and then the
 * other recorded values, status, rank and score.
 */
export function resultColumns(
  sweep: Sweep,
  rows: readonly ScenarioRow[],
  units: Record<string, string>,
  parameterUnits: Record<string, string>
): IColumn[] {
  const columns: IColumn[] = [
    { key: 'scenario', kind: 'scenario', name: '#', unit: '', direction: '' }
  ];
  for (const name of variedOf(sweep)) {
    columns.push({
      key: `p:${name}`,
      kind: 'parameter',
      name,
      unit: parameterUnits[name] ?? '',
      direction: ''
    });
  }
  const objectives = (sweep.objectives ?? []).filter(o => o.name);
  const seen = new Set<string>();
  for (const o of objectives) {
    seen.add(o.name as string);
    columns.push({
      key: `r:${o.name}`,
      kind: 'recorded',
      name: o.name as string,
      unit: units[o.name as string] ?? '',
      direction: o.direction ?? 'min'
    });
  }
  const others = new Set<string>();
  rows.forEach(row => Object.keys(row.recorded ?? {}).forEach(name => others.add(name)));
  for (const name of [...others].sort()) {
    if (!seen.has(name)) {
      const unit = units[name] ?? '';
      columns.push({ key: `r:${name}`, kind: 'recorded', name, unit, direction: '' });
    }
  }
  columns.push({ key: 'status', kind: 'status', name: 'status', unit: '', direction: '' });
  if (objectives.length) {
    columns.push({ key: 'rank', kind: 'rank', name: 'rank', unit: '', direction: '' });
    columns.push({ key: 'score', kind: 'score', name: 'score', unit: '', direction: '' });
  }
  return columns;
}

/** A row's value in a column. */
export function cellOf(row: ScenarioRow, column: IColumn): unknown {
  switch (column.kind) {
    case 'scenario':
      return row.scenario;
    case 'parameter':
      return row.parameters?.[column.name];
    case 'recorded':
      return row.recorded?.[column.name];
    case 'status':
      return row.status;
    case 'rank':
      return row.rank ?? null;
    case 'score':
      return row.score ?? null;
  }
}

/** A number in a table cell: four significant digits, integers as they are. */
export function formatNumber(value: number): string {
  if (Number.isInteger(value) && Math.abs(value) < 1e9) {
    return String(value);
  }
  const abs = Math.abs(value);
  if (abs !== 0 && (abs < 1e-3 || abs >= 1e6)) {
    return value.toExponential(3);
  }
  return String(Number(value.toPrecision(4)));
}

export function cellText(value: unknown): string {
  if (value === null || value === undefined) {
    return '';
  }
  if (typeof value === 'number') {
    return formatNumber(value);
  }
  if (typeof value === 'string') {
    return value;
  }
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

export type SortDirection = 'asc' | 'desc';

export interface ISort {
  key: string;
  direction: SortDirection;
}

function compareValues(a: unknown, b: unknown): number {
  const an = typeof a === 'number' && isFinite(a);
  const bn = typeof b === 'number' && isFinite(b);
  if (an && bn) {
    return (a as number) - (b as number);
  }
  if (an !== bn) {
    return an ? -1 : 1; // numbers before the rest
  }
  return cellText(a).localeCompare(cellText(b));
}

/** Rows sorted by one column; rows without a value in it stay last either way. */
export function sortRows(
  rows: readonly ScenarioRow[],
  columns: readonly IColumn[],
  sort: ISort | null
): ScenarioRow[] {
  const column = sort ? columns.find(c => c.key === sort.key) : undefined;
  if (!sort || !column) {
    return [...rows];
  }
  const sign = sort.direction === 'asc' ? 1 : -1;
  return rows
    .map((row, i) => ({ row, i, value: cellOf(row, column) }))
    .sort((a, b) => {
      const aMissing = a.value === null || a.value === undefined;
      const bMissing = b.value === null || b.value === undefined;
      if (aMissing || bMissing) {
        return aMissing === bMissing ? a.i - b.i : aMissing ? 1 : -1;
      }
      return sign * compareValues(a.value, b.value) || a.i - b.i;
    })
    .map(x => x.row);
}

/** The next sort when a column's header is clicked: ascending, descending, ascending... */
export function nextSort(current: ISort | null, key: string): ISort {
  return current && current.key === key && current.direction === 'asc'
    ? { key, direction: 'desc' }
    : { key, direction: 'asc' };
}

const COMPARISON = /^\s*([A-Za-z_#][\w.#]*)\s*(<=|>=|!=|==|=|<|>)\s*(\S+)\s*$/;

/** One term of a filter: a comparison on a column, or text a row must show somewhere. */
type Term =
  | { column: IColumn; op: string; value: number | string }
  | { text: string }
  | { unknown: string };

function termsOf(filter: string, columns: readonly IColumn[]): Term[] {
  return filter
    .split(/[,;]|\s+and\s+/i)
    .map(t => t.trim())
    .filter(Boolean)
    .map(term => {
      const m = COMPARISON.exec(term);
      if (!m) {
        return { text: term.toLowerCase() };
      }
      const column = columns.find(c => c.name === m[1] || c.key === m[1]);
      if (!column) {
        return { unknown: m[1] };
      }
      const value = Number(m[3]);
      return { column, op: m[2], value: isFinite(value) ? value : m[3] };
    });
}

function holds(op: string, a: unknown, b: number | string): boolean {
  if (typeof b === 'string') {
    const text = cellText(a);
    return op === '!=' ? text !== b : op === '=' || op === '==' ? text === b : false;
  }
  if (typeof a !== 'number') {
    return op === '!=';
  }
  switch (op) {
    case '<':
      return a < b;
    case '<=':
      return a <= b;
    case '>':
      return a > b;
    case '>=':
      return a >= b;
    case '!=':
      return a !== b;
    default:
      return a === b;
  }
}

/**
 * The rows a filter keeps: terms separated by commas (or "and"), each a comparison such
 * as `x1 < 0.1` or `status = failed`, or text that some cell of the row (or its error)
 * contains. A comparison on a column the table has not is an error.
 */
export function filterRows(
  rows: readonly ScenarioRow[],
  columns: readonly IColumn[],
  filter: string
): { rows: ScenarioRow[]; error: string } {
  const terms = termsOf(filter, columns);
  const unknown = terms.find((t): t is { unknown: string } => 'unknown' in t);
  if (unknown) {
    return { rows: [...rows], error: `No column ${unknown.unknown}` };
  }
  const kept = rows.filter(row =>
    terms.every(term => {
      if ('column' in term) {
        return holds(term.op, cellOf(row, term.column), term.value);
      }
      if ('text' in term) {
        const texts = columns.map(c => cellText(cellOf(row, c)).toLowerCase());
        texts.push((row.error ?? '').toLowerCase());
        return texts.some(t => t.includes(term.text));
      }
      return true;
    })
  );
  return { rows: kept, error: '' };
}

/** The scenario to offer first: the analysis's weighted best, else the best-ranked. */
export function bestScenario(
  rows: readonly ScenarioRow[],
  analysis: SweepAnalysis | null | undefined
): number | null {
  const best = analysis?.best;
  if (typeof best === 'number' && rows.some(r => r.scenario === best)) {
    return best;
  }
  const ranked = rows
    .filter(r => typeof r.rank === 'number')
    .sort((a, b) => (a.rank as number) - (b.rank as number) || (b.score ?? 0) - (a.score ?? 0));
  return ranked[0]?.scenario ?? null;
}

/** A name for a scenario's configuration: the sweep's id end and the scenario. */
export function configNameOf(sweep: Sweep, scenario: number): string {
  const tail = sweep.id.replace(/[^A-Za-z0-9]/g, '').slice(-6) || 'sweep';
  return `whatif-${tail}-${scenario}`;
}

/** A name for a new twin from a scenario: the twin's and the scenario's (lower case). */
export function twinNameOf(dt: string, scenario: number): string {
  const base = dt.toLowerCase().replace(/[^a-z0-9._-]/g, '-').replace(/^[^a-z0-9]+/, '');
  return `${(base || 'twin').slice(0, 50)}-s${scenario}`;
}

/** A twin's name in the library: lower case letters, digits, ".", "_" and "-". */
export const TWIN_NAME = /^[a-z0-9][a-z0-9._-]{0,63}$/;

export const CONFIG_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** The values a scenario ran with, for a configuration: numbers, strings, booleans. */
export function scenarioValues(row: ScenarioRow): Record<string, unknown> {
  return { ...(row.parameters ?? {}) };
}

// --- plots --------------------------------------------------------------------------

const BASE: Spec = {
  $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
  width: 'container',
  height: 260,
  autosize: { type: 'fit-x', contains: 'padding' }
};

function isNumber(value: unknown): value is number {
  return typeof value === 'number' && isFinite(value);
}

/** Columns with a number in at least two rows: what a scatter plot can take as axes. */
export function plottableColumns(
  rows: readonly ScenarioRow[],
  columns: readonly IColumn[]
): IColumn[] {
  return columns.filter(
    c =>
      (c.kind === 'parameter' || c.kind === 'recorded' || c.kind === 'score') &&
      rows.filter(r => isNumber(cellOf(r, c))).length >= 2
  );
}

/** The rank a plot colours a scenario by: its Pareto rank, or "unranked" (failed, infeasible). */
function rankLabel(row: ScenarioRow): string {
  return typeof row.rank === 'number' ? String(row.rank) : 'unranked';
}

/**
 * Two columns against each other, a point per scenario coloured by Pareto rank; the front
 * (rank 1) is drawn larger and joined by a line in the order of x.
 */
export function scatterSpec(rows: readonly ScenarioRow[], x: IColumn, y: IColumn): Spec {
  const points = rows
    .map(row => ({
      scenario: row.scenario,
      x: cellOf(row, x),
      y: cellOf(row, y),
      rank: rankLabel(row),
      front: row.rank === 1
    }))
    .filter(p => isNumber(p.x) && isNumber(p.y));
  const ranks = [...new Set(points.map(p => p.rank))].sort((a, b) =>
    a === 'unranked' ? 1 : b === 'unranked' ? -1 : Number(a) - Number(b)
  );
  const front = points.filter(p => p.front).sort((a, b) => (a.x as number) - (b.x as number));
  const xTitle = columnLabel(x);
  const yTitle = columnLabel(y);
  const encoding = {
    x: { field: 'x', type: 'quantitative', title: xTitle, scale: { zero: false } },
    y: { field: 'y', type: 'quantitative', title: yTitle, scale: { zero: false } }
  };
  const layers: Spec[] = [];
  if (front.length >= 2) {
    layers.push({
      data: { values: front },
      mark: { type: 'line', strokeDash: [4, 3], opacity: 0.7 },
      encoding: { ...encoding, color: { value: '#e45756' } }
    });
  }
  layers.push({
    data: { values: points },
    mark: { type: 'point', filled: true, tooltip: true },
    encoding: {
      ...encoding,
      color: {
        field: 'rank',
        type: 'ordinal',
        title: 'Pareto rank',
        scale: { domain: ranks, scheme: 'viridis' }
      },
      size: { condition: { test: 'datum.front', value: 140 }, value: 50 },
      stroke: { condition: { test: 'datum.front', value: '#e45756' }, value: null },
      strokeWidth: { value: 2 },
      tooltip: [
        { field: 'scenario', type: 'quantitative', title: 'scenario' },
        { field: 'x', type: 'quantitative', title: xTitle },
        { field: 'y', type: 'quantitative', title: yTitle },
        { field: 'rank', type: 'nominal', title: 'rank' }
      ]
    }
  });
  return { ...BASE, layer: layers };
}

/** The views of the three-objective front, by name (the hover selection joins them). */
export const FRONT_VIEWS = ['front_0_1', 'front_0_2', 'front_1_2'];

/**
 * Three objectives as a 3-D front: the three pairwise projections side by side, each a
 * scatter coloured by Pareto rank with the front (rank 1) drawn larger and outlined. One
 * hover selection, on the scenario, spans the three, so a scenario shows in all of them.
 */
export function front3dSpec(rows: readonly ScenarioRow[], objectives: readonly IColumn[]): Spec {
  if (objectives.length !== 3) {
    throw new Error('A 3-D front takes exactly three objectives');
  }
  const points = rows
    .map(row => {
      const point: Record<string, unknown> = {
        scenario: row.scenario,
        rank: rankLabel(row),
        front: row.rank === 1
      };
      objectives.forEach((c, i) => (point[`o${i}`] = cellOf(row, c)));
      return point;
    })
    .filter(p => objectives.every((_, i) => isNumber(p[`o${i}`])));
  const ranks = [...new Set(points.map(p => p.rank as string))].sort((a, b) =>
    a === 'unranked' ? 1 : b === 'unranked' ? -1 : Number(a) - Number(b)
  );
  const titles = objectives.map(c => `${c.direction || 'min'} ${columnLabel(c)}`);
  const pairs: Array<[number, number]> = [
    [0, 1],
    [0, 2],
    [1, 2]
  ];
  const axis = (i: number) => ({
    field: `o${i}`,
    type: 'quantitative',
    title: titles[i],
    scale: { zero: false }
  });
  const panels = pairs.map(([i, j], k) => ({
    name: FRONT_VIEWS[k],
    width: 190,
    height: 190,
    mark: { type: 'point', filled: true, tooltip: true },
    encoding: {
      x: axis(i),
      y: axis(j),
      color: {
        field: 'rank',
        type: 'ordinal',
        title: 'Pareto rank',
        scale: { domain: ranks, scheme: 'viridis' }
      },
      size: {
        condition: [
          { param: 'hover', empty: false, value: 300 },
          { test: 'datum.front', value: 140 }
        ],
        value: 50
      },
      stroke: {
        condition: [
          { param: 'hover', empty: false, value: 'black' },
          { test: 'datum.front', value: '#e45756' }
        ],
        value: null
      },
      strokeWidth: { value: 2 },
      tooltip: [
        { field: 'scenario', type: 'quantitative', title: 'scenario' },
        ...objectives.map((c, n) => ({
          field: `o${n}`,
          type: 'quantitative',
          title: columnLabel(c)
        })),
        { field: 'rank', type: 'nominal', title: 'rank' }
      ]
    }
  }));
  return {
    $schema: BASE.$schema,
    data: { values: points },
    params: [
      {
        name: 'hover',
        views: FRONT_VIEWS,
        select: { type: 'point', fields: ['scenario'], on: 'mouseover', clear: 'mouseout' }
      }
    ],
    hconcat: panels,
    spacing: 28,
    resolve: { scale: { color: 'shared' } }
  };
}

/** A point of the parallel-coordinates plot: one axis of one scenario, scaled to [0, 1]. */
export interface IParallelPoint {
  scenario: number;
  axis: string;
  order: number;
  value: number;
  scaled: number;
  rank: string;
}

/** Rows in long form for parallel coordinates: each column scaled to its own min..max. */
export function parallelPoints(
  rows: readonly ScenarioRow[],
  columns: readonly IColumn[]
): IParallelPoint[] {
  const complete = rows.filter(row => columns.every(c => isNumber(cellOf(row, c))));
  const bounds = columns.map(c => {
    const values = complete.map(r => cellOf(r, c) as number);
    return [Math.min(...values), Math.max(...values)];
  });
  const points: IParallelPoint[] = [];
  for (const row of complete) {
    columns.forEach((c, i) => {
      const value = cellOf(row, c) as number;
      const [low, high] = bounds[i];
      points.push({
        scenario: row.scenario,
        axis: columnLabel(c),
        order: i,
        value,
        scaled: high > low ? (value - low) / (high - low) : 0.5,
        rank: rankLabel(row)
      });
    });
  }
  return points;
}

/** Parallel coordinates: a line per scenario across the columns, coloured by Pareto rank. */
export function parallelSpec(rows: readonly ScenarioRow[], columns: readonly IColumn[]): Spec {
  const points = parallelPoints(rows, columns);
  return {
    ...BASE,
    data: { values: points },
    mark: { type: 'line', tooltip: true, opacity: 0.8 },
    encoding: {
      x: {
        field: 'axis',
        type: 'nominal',
        title: null,
        sort: columns.map(c => columnLabel(c)),
        axis: { labelAngle: 0, grid: true }
      },
      y: { field: 'scaled', type: 'quantitative', title: null, axis: null },
      detail: { field: 'scenario', type: 'nominal' },
      color: { field: 'rank', type: 'ordinal', title: 'Pareto rank', scale: { scheme: 'viridis' } },
      strokeWidth: { condition: { test: "datum.rank === '1'", value: 2.5 }, value: 1 },
      tooltip: [
        { field: 'scenario', type: 'quantitative' },
        { field: 'axis', type: 'nominal', title: 'column' },
        { field: 'value', type: 'quantitative' },
        { field: 'rank', type: 'nominal' }
      ]
    }
  };
}

/** One bar of the sensitivity chart with its error bar. */
export interface ISensitivityBar {
  parameter: string;
  index: string;
  value: number;
  low: number | null;
  high: number | null;
}

export type SensitivityKind = 'sobol' | 'morris';

/** A recorded value's sensitivity: bars by parameter, or why it could not be computed. */
export interface ISensitivity {
  output: string;
  kind: SensitivityKind | null;
  bars: ISensitivityBar[];
  error: string;
  /** Per parameter, the indices as the table shows them. */
  table: Array<Record<string, number | string | null>>;
}

function bar(
  parameter: string,
  index: string,
  value: unknown,
  conf: unknown
): ISensitivityBar | null {
  if (!isNumber(value)) {
    return null;
  }
  return {
    parameter,
    index,
    value,
    low: isNumber(conf) ? value - conf : null,
    high: isNumber(conf) ? value + conf : null
  };
}

/** `analysis.sensitivity` per recorded value: Sobol S1/ST or Morris μ*, σ. */
export function sensitivityOf(analysis: SweepAnalysis | null | undefined): ISensitivity[] {
  const found = (analysis?.sensitivity ?? {}) as Record<string, unknown>;
  const out: ISensitivity[] = [];
  for (const [output, entry] of Object.entries(found)) {
    if (!Array.isArray(entry)) {
      const said = (entry as { error?: unknown } | null)?.error;
      const error = typeof said === 'string' ? said : 'No indices';
      out.push({ output, kind: null, bars: [], error, table: [] });
      continue;
    }
    const items = entry as Array<Record<string, unknown>>;
    const sobol = items.some(i => 'S1' in i || 'ST' in i);
    const bars: ISensitivityBar[] = [];
    const table: Array<Record<string, number | string | null>> = [];
    for (const item of items) {
      const parameter = String(item.parameter ?? '');
      const pick = (k: string) => (isNumber(item[k]) ? (item[k] as number) : null);
      if (sobol) {
        bars.push(
          ...[
            bar(parameter, 'S1', item.S1, item.S1_conf),
            bar(parameter, 'ST', item.ST, item.ST_conf)
          ].filter((b): b is ISensitivityBar => b !== null)
        );
        table.push({
          parameter,
          S1: pick('S1'),
          S1_conf: pick('S1_conf'),
          ST: pick('ST'),
          ST_conf: pick('ST_conf')
        });
      } else {
        bars.push(
          ...[
            bar(parameter, 'μ*', item.mu_star, item.mu_star_conf),
            bar(parameter, 'σ', item.sigma, null)
          ].filter((b): b is ISensitivityBar => b !== null)
        );
        table.push({
          parameter,
          mu_star: pick('mu_star'),
          mu_star_conf: pick('mu_star_conf'),
          sigma: pick('sigma')
        });
      }
    }
    out.push({ output, kind: sobol ? 'sobol' : 'morris', bars, error: '', table });
  }
  return out;
}

/** Grouped bars per parameter (S1 and ST, or μ* and σ), confidence intervals as error bars. */
export function sensitivitySpec(sensitivity: ISensitivity, unit = ''): Spec {
  const title =
    sensitivity.kind === 'sobol'
      ? `Sobol indices of ${sensitivity.output}`
      : `Morris effects on ${sensitivity.output}${unit ? ` (${unit})` : ''}`;
  const x = { field: 'parameter', type: 'nominal', title: null, axis: { labelAngle: 0 } };
  const sobol = sensitivity.kind === 'sobol';
  const xOffset = { field: 'index', type: 'nominal', sort: sobol ? ['S1', 'ST'] : ['μ*', 'σ'] };
  return {
    ...BASE,
    height: 220,
    title: { text: title, fontSize: 12 },
    data: { values: sensitivity.bars },
    layer: [
      {
        mark: { type: 'bar', tooltip: true },
        encoding: {
          x,
          xOffset,
          y: { field: 'value', type: 'quantitative', title: sobol ? 'index' : 'effect' },
          color: { field: 'index', type: 'nominal', title: null, sort: xOffset.sort }
        }
      },
      {
        transform: [{ filter: 'datum.low !== null' }],
        mark: { type: 'rule', strokeWidth: 1.5 },
        encoding: {
          x,
          xOffset,
          y: { field: 'low', type: 'quantitative' },
          y2: { field: 'high' },
          color: { value: 'gray' }
        }
      }
    ]
  };
}
