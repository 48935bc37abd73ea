/**
 * The Calibrate section's pure logic: the form from a twin's schema and records, the
 * request it makes, where a server's 400 belongs in the form, and a calibration's
 * fitted values and fit quality as rows to show.
 */
import type {
  Asset,
  Calibration,
  CalibrationRequest,
  CalibrationStatus,
  DigitalTwin
} from '../api/types';
import { assetRef } from './assets';
import { CONFIG_NAME, INumericParameter, numberText, numericParameters } from './whatif';

/** One parameter's row of the form: fitted or not, and bounds (empty: the schema's). */
export interface IFitChoice {
  fit: boolean;
  low: string;
  high: string;
}

/** What the calibration form holds; inputs stay text until the request is made. */
export interface ICalibrationForm {
  /** A data asset reference: `mine/data/run7.csv`, `common/data/msd-measurement`. */
  data: string;
  timeColumn: string;
  /** Recorded series -> data column; an empty column leaves the series out. */
  mapping: Record<string, string>;
  parameters: Record<string, IFitChoice>;
  maxEvaluations: string;
  saveAs: string;
}

/** The server's default time column, shown as the field's placeholder. */
export const DEFAULT_TIME_COLUMN = 't';

/** The server's default cap on simulations, shown as the field's placeholder. */
export const DEFAULT_MAX_EVALUATIONS = 200;

/**
 * The parameters a calibration can fit: numbers of the schema (an integer or a choice
 * has no derivative to follow), in schema order.
 */
export function fittableParameters(info: DigitalTwin | null): INumericParameter[] {
  return numericParameters(info).filter(p => !p.integer);
}

/** The series a twin records (those that are series are the ones a calibration maps). */
export function seriesNames(info: DigitalTwin | null): string[] {
  return Object.keys(info?.records ?? {});
}

/** The bounds the schema gives a parameter: [low, high], null on an open side. */
export function schemaBounds(p: INumericParameter): [number | null, number | null] {
  return [p.minimum ?? p.exclusiveMinimum, p.maximum ?? p.exclusiveMaximum];
}

/** The form as it first shows: nothing mapped, nothing fitted, bounds the schema's. */
export function initialCalibrationForm(info: DigitalTwin | null): ICalibrationForm {
  const parameters: Record<string, IFitChoice> = {};
  for (const p of fittableParameters(info)) {
    parameters[p.name] = { fit: false, low: '', high: '' };
  }
  const mapping: Record<string, string> = {};
  for (const name of seriesNames(info)) {
    mapping[name] = '';
  }
  return { data: '', timeColumn: '', mapping, parameters, maxEvaluations: '', saveAs: '' };
}

/** Where in the form a problem belongs: a parameter's row, a series' row, or a field. */
export type CalibrationPlace =
  | `parameter:${string}`
  | `series:${string}`
  | 'data'
  | 'time_column'
  | 'mapping'
  | 'fit'
  | 'max_evaluations'
  | 'save_as'
  | 'form';

export interface ICalibrationProblem {
  place: CalibrationPlace;
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
 * The request the form makes, or the problems that keep it from being made (empty
 * fields, bounds that are not numbers; the server checks the data, its columns and
 * the bounds against the schema).
 */
export function calibrationRequest(
  form: ICalibrationForm,
  dt: string,
  scope: string,
  info: DigitalTwin | null
): { request: CalibrationRequest; problems: [] } | {
  request: null;
  problems: ICalibrationProblem[];
} {
  const problems: ICalibrationProblem[] = [];
  const data = form.data.trim();
  if (!data) {
    problems.push({
      place: 'data',
      message: 'Name the data asset, e.g. mine/data/run7.csv or common/data/<name>'
    });
  }
  const mapping: Record<string, string> = {};
  for (const [series, column] of Object.entries(form.mapping)) {
    if (column.trim()) {
      mapping[series] = column.trim();
    }
  }
  if (!Object.keys(mapping).length) {
    problems.push({
      place: 'mapping',
      message: 'Map at least one recorded series to a column of the data'
    });
  }
  const known = new Map(fittableParameters(info).map(p => [p.name, p]));
  const fit: string[] = [];
  const ranges: Record<string, [number, number]> = {};
  for (const [name, choice] of Object.entries(form.parameters)) {
    if (!choice.fit) {
      continue;
    }
    fit.push(name);
    if (!choice.low.trim() && !choice.high.trim()) {
      continue; // the schema's bounds
    }
    const place: CalibrationPlace = `parameter:${name}`;
    const p = known.get(name);
    const [schemaLow, schemaHigh] = p ? schemaBounds(p) : [null, null];
    const low = choice.low.trim() ? parseNumber(choice.low) : schemaLow;
    const high = choice.high.trim() ? parseNumber(choice.high) : schemaHigh;
    if ((choice.low.trim() && low === null) || (choice.high.trim() && high === null)) {
      problems.push({ place, message: `${name}: give the bounds as numbers` });
    } else if (low === null || high === null) {
      problems.push({ place, message: `${name}: the schema leaves a side open; give both bounds` });
    } else if (!(low < high)) {
      problems.push({ place, message: `${name}: the low bound must be below the high one` });
    } else {
      ranges[name] = [low, high];
    }
  }
  if (!fit.length) {
    problems.push({ place: 'fit', message: 'Tick at least one parameter to fit.' });
  }
  const limit = parseNumber(form.maxEvaluations);
  if (form.maxEvaluations.trim() && (limit === null || !Number.isInteger(limit) || limit < 2)) {
    problems.push({
      place: 'max_evaluations',
      message: 'The most simulations must be a whole number of at least 2'
    });
  }
  const saveAs = form.saveAs.trim();
  if (saveAs && !CONFIG_NAME.test(saveAs)) {
    problems.push({
      place: 'save_as',
      message: 'A configuration name: letters, digits, ".", "_" and "-", starting with a letter or digit'
    });
  }
  if (problems.length) {
    return { request: null, problems };
  }
  const request: CalibrationRequest = { dt, scope, data, mapping, fit };
  if (form.timeColumn.trim()) {
    request.time_column = form.timeColumn.trim();
  }
  if (Object.keys(ranges).length) {
    request.ranges = ranges;
  }
  if (form.maxEvaluations.trim()) {
    request.max_evaluations = limit as number;
  }
  if (saveAs) {
    request.save_as = saveAs;
  }
  return { request, problems: [] };
}

/**
 * Where the server's 400 goes: the series or parameter it names, the series mapped to
 * the column it names, else the field it names.
 */
export function calibrationProblemOf(
  body: Record<string, unknown>,
  message: string,
  form?: ICalibrationForm
): ICalibrationProblem {
  const text = (key: string) => (typeof body[key] === 'string' ? (body[key] as string) : '');
  const field = text('field');
  const series = text('series');
  const parameter = text('parameter');
  const column = text('column');
  if (field === 'mapping') {
    if (series) {
      return { place: `series:${series}`, message };
    }
    const mapped = Object.entries(form?.mapping ?? {}).find(([, c]) => column && c.trim() === column);
    return mapped ? { place: `series:${mapped[0]}`, message } : { place: 'mapping', message };
  }
  if (parameter && (field === 'fit' || field === 'ranges' || field === 'start' || !field)) {
    return { place: `parameter:${parameter}`, message };
  }
  const places: Record<string, CalibrationPlace> = {
    data: 'data',
    time_column: 'time_column',
    fit: 'fit',
    ranges: 'fit',
    start: 'fit',
    max_evaluations: 'max_evaluations',
    save_as: 'save_as'
  };
  return { place: places[field] ?? 'form', message };
}

// --- calibrations -------------------------------------------------------------------

/** The calibration still runs (or waits to): its evaluations are followed. */
export function isCalibrationRunning(status: CalibrationStatus): boolean {
  return status === 'queued' || status === 'running';
}

/** Newest first: by when each was created, then by id (ids grow with time). */
export function newestCalibrationsFirst(found: readonly Calibration[]): Calibration[] {
  const key = (c: Calibration) => `${c.created ?? ''}\u0000${c.id}`;
  return [...found].sort((a, b) => (key(a) < key(b) ? 1 : key(a) > key(b) ? -1 : 0));
}

/** A calibration in a list: what it fits to what, e.g. "gain, tau ← mine/data/run7.csv". */
export function calibrationTitle(c: Calibration): string {
  return `${c.fit.join(', ')} ← ${c.data}`;
}

/** "level → measured, flow → q". */
export function mappingText(mapping: Record<string, string>): string {
  return Object.entries(mapping)
    .map(([series, column]) => `${series} → ${column}`)
    .join(', ');
}

/** "12 simulations" while it runs, "done in 12 simulations" once it ended. */
export function evaluationsText(c: Calibration): string {
  const n = c.evaluations;
  const what = `${n} simulation${n === 1 ? '' : 's'}`;
  if (isCalibrationRunning(c.status)) {
    return c.max_evaluations ? `${what} of at most ${c.max_evaluations}` : what;
  }
  return what;
}

function finite(value: unknown): number | null {
  return typeof value === 'number' && isFinite(value) ? value : null;
}

function objectOf(value: unknown): Record<string, unknown> {
  return value && typeof value === 'object' && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {};
}

/** A fitted parameter as the section shows it. */
export interface IFittedValue {
  name: string;
  value: number | null;
  stdError: number | null;
  relative: number | null;
  bounds: [number, number] | null;
  initial: number | null;
  atBound: boolean;
}

/** The fitted values with their standard errors, in the order they were fitted. */
export function fittedValues(c: Calibration): IFittedValue[] {
  const reported = objectOf(objectOf(c.report).parameters);
  return c.fit.map(name => {
    const r = objectOf(reported[name]);
    const value = finite(c.values?.[name]) ?? finite(r.value);
    const stdError = finite(c.std_errors?.[name]) ?? finite(r.std_error);
    const given = Array.isArray(r.bounds) ? r.bounds : c.bounds?.[name];
    const bounds =
      Array.isArray(given) && given.length === 2 && given.every(b => finite(b) !== null)
        ? ([given[0], given[1]] as [number, number])
        : null;
    return {
      name,
      value,
      stdError,
      relative:
        finite(r.relative_std_error) ??
        (value && stdError !== null ? Math.abs(stdError / value) : null),
      bounds,
      initial: finite(r.initial) ?? finite(c.start?.[name]),
      atBound: r.at_bound === true
    };
  });
}

/** The fit quality of one recorded series. */
export interface ISeriesQuality {
  name: string;
  column: string;
  points: number | null;
  rmse: number | null;
  r2: number | null;
  maxAbsResidual: number | null;
}

/** The fit quality per series from the report, in the order the mapping names them. */
export function seriesQuality(c: Calibration): ISeriesQuality[] {
  const series = objectOf(objectOf(c.report).series);
  const names = [...Object.keys(c.mapping), ...Object.keys(series)].filter(
    (name, i, all) => all.indexOf(name) === i && name in series
  );
  return names.map(name => {
    const s = objectOf(series[name]);
    return {
      name,
      column: c.mapping[name] ?? '',
      points: finite(s.points),
      rmse: finite(s.rmse),
      r2: finite(s.r2),
      maxAbsResidual: finite(s.max_abs_residual)
    };
  });
}

/** A number with four significant digits, as the tables show them. */
export function shortNumber(value: number | null): string {
  if (value === null) {
    return '';
  }
  if (value === 0) {
    return '0';
  }
  const abs = Math.abs(value);
  if (abs >= 1e6 || abs < 1e-4) {
    return value.toExponential(3);
  }
  return numberText(Number(value.toPrecision(4)));
}

/** "2.000 ± 0.0012" (the standard error left out when there is none). */
export function valueWithError(value: number | null, stdError: number | null): string {
  if (value === null) {
    return '';
  }
  return stdError === null ? shortNumber(value) : `${shortNumber(value)} ± ${shortNumber(stdError)}`;
}

/** The fitted values in one line, for the list: "gain = 2 ± 0.001, tau = 3 ± 0.002". */
export function fittedSummary(c: Calibration): string {
  return fittedValues(c)
    .filter(row => row.value !== null)
    .map(row => `${row.name} = ${valueWithError(row.value, row.stdError)}`)
    .join(', ');
}

/** A name for a configuration of a calibration's fitted values. */
export function calibrationConfigName(c: Calibration): string {
  const tail = c.id.replace(/[^A-Za-z0-9]/g, '').slice(-6) || 'fit';
  return `calibrated-${tail}`;
}

/** A name for a new twin from a calibration: the twin's, lower case, then "-calibrated". */
export function calibratedTwinName(dt: string): string {
  const base = dt.toLowerCase().replace(/[^a-z0-9._-]/g, '-').replace(/^[^a-z0-9]+/, '');
  return `${(base || 'twin').slice(0, 50)}-calibrated`;
}

/** A data asset to pick from the library: its reference and how the pick list shows it. */
export interface IDataChoice {
  ref: string;
  label: string;
}

/** The library's data assets as choices, sorted by reference. */
export function dataChoices(items: readonly Asset[]): IDataChoice[] {
  const seen = new Set<string>();
  const found: IDataChoice[] = [];
  for (const item of items) {
    if (item.type !== 'data') {
      continue;
    }
    const ref = assetRef(item);
    if (!seen.has(ref)) {
      seen.add(ref);
      const title = item.title && item.title !== item.name ? ` — ${item.title}` : '';
      found.push({ ref, label: `${ref}${title}` });
    }
  }
  return found.sort((a, b) => (a.ref < b.ref ? -1 : a.ref > b.ref ? 1 : 0));
}
