import type { Asset, Calibration, DigitalTwin } from '../src/api/types';
import {
  calibratedTwinName,
  calibrationConfigName,
  calibrationProblemOf,
  calibrationRequest,
  calibrationTitle,
  dataChoices,
  evaluationsText,
  fittableParameters,
  fittedSummary,
  fittedValues,
  ICalibrationForm,
  initialCalibrationForm,
  isCalibrationRunning,
  mappingText,
  newestCalibrationsFirst,
  seriesQuality,
  shortNumber,
  valueWithError
} from '../src/domain/calibrate';
import { CONFIG_NAME, TWIN_NAME } from '../src/domain/whatif';

const TANK = {
  name: 'tank',
  parameters: {
    type: 'object',
    properties: {
      gain: { type: 'number', minimum: 0.1, maximum: 10, default: 1.0, 'x-unit': 'm' },
      tau: { type: 'number', minimum: 0.1, maximum: 20, default: 1.0, 'x-unit': 's' },
      offset: { type: 'number', default: 0 },
      steps: { type: 'integer', minimum: 1, maximum: 100, default: 10 },
      mode: { type: 'number', enum: [1, 2], default: 1 },
      label: { type: 'string', default: 'x' }
    }
  },
  records: { level: { 'x-unit': 'm' }, flow: {} }
} as unknown as DigitalTwin;

function filled(patch: Partial<ICalibrationForm> = {}): ICalibrationForm {
  const form = initialCalibrationForm(TANK);
  return {
    ...form,
    data: 'mine/data/tank-run.csv',
    timeColumn: 'time',
    mapping: { ...form.mapping, level: 'measured' },
    parameters: {
      ...form.parameters,
      gain: { fit: true, low: '', high: '' },
      tau: { fit: true, low: '', high: '' }
    },
    ...patch
  };
}

function calibration(fields: Partial<Calibration> = {}): Calibration {
  return {
    id: '20250101T100000000-abc123',
    dt: 'tank',
    scope: 'private',
    step: 'execute',
    data: 'mine/data/tank-run.csv',
    data_sha256: 'f'.repeat(64),
    time_column: 'time',
    mapping: { level: 'measured' },
    fit: ['gain', 'tau'],
    bounds: { gain: [0.1, 10], tau: [0.1, 20] },
    start: { gain: 1, tau: 1 },
    status: 'succeeded',
    created: '2025-01-01T10:00:00Z',
    evaluations: 14,
    max_evaluations: 200,
    values: { gain: 2.0000001, tau: 2.9999 },
    std_errors: { gain: 0.0012, tau: null },
    dir: 'calibrations/tank/20250101T100000000-abc123',
    ...fields
  };
}

describe('the calibration form from the schema', () => {
  it('offers number parameters only: no integers, choices or strings', () => {
    expect(fittableParameters(TANK).map(p => p.name)).toEqual(['gain', 'tau', 'offset']);
  });

  it('maps no series and fits nothing at first', () => {
    const form = initialCalibrationForm(TANK);
    expect(form.mapping).toEqual({ level: '', flow: '' });
    expect(Object.values(form.parameters).every(p => !p.fit && !p.low && !p.high)).toBe(true);
    expect(form.data).toBe('');
    expect(form.timeColumn).toBe('');
  });

  it('is empty for a twin not yet loaded', () => {
    expect(initialCalibrationForm(null)).toEqual({
      data: '',
      timeColumn: '',
      mapping: {},
      parameters: {},
      maxEvaluations: '',
      saveAs: ''
    });
  });
});

describe('the request the calibration form makes', () => {
  it('sends the mapped series only, the fitted parameters and the time column', () => {
    const made = calibrationRequest(filled(), 'tank', 'private', TANK);
    expect(made.problems).toEqual([]);
    expect(made.request).toEqual({
      dt: 'tank',
      scope: 'private',
      data: 'mine/data/tank-run.csv',
      time_column: 'time',
      mapping: { level: 'measured' },
      fit: ['gain', 'tau']
    });
  });

  it("leaves the server's defaults to it: time column, bounds, most simulations", () => {
    const made = calibrationRequest(filled({ timeColumn: ' ' }), 'tank', 'private', TANK);
    expect(made.request).not.toHaveProperty('time_column');
    expect(made.request).not.toHaveProperty('ranges');
    expect(made.request).not.toHaveProperty('max_evaluations');
    expect(made.request).not.toHaveProperty('save_as');
  });

  it("fills a bound left empty from the schema's, and sends the others given", () => {
    const form = filled({
      maxEvaluations: '50',
      saveAs: 'fitted',
      parameters: {
        ...filled().parameters,
        gain: { fit: true, low: '1', high: '' },
        tau: { fit: true, low: '2', high: '4' }
      }
    });
    const made = calibrationRequest(form, 'tank', 'private', TANK);
    expect(made.request?.ranges).toEqual({ gain: [1, 10], tau: [2, 4] });
    expect(made.request?.max_evaluations).toBe(50);
    expect(made.request?.save_as).toBe('fitted');
  });

  it('wants both bounds where the schema leaves a side open, and low below high', () => {
    const open = filled({
      parameters: { ...filled().parameters, offset: { fit: true, low: '-1', high: '' } }
    });
    expect(calibrationRequest(open, 'tank', 'private', TANK).problems).toEqual([
      { place: 'parameter:offset', message: expect.stringContaining('both bounds') }
    ]);
    const crossed = filled({
      parameters: { ...filled().parameters, tau: { fit: true, low: '5', high: '4' } }
    });
    expect(calibrationRequest(crossed, 'tank', 'private', TANK).problems).toEqual([
      { place: 'parameter:tau', message: expect.stringContaining('below') }
    ]);
  });

  it('puts each missing part where it belongs', () => {
    const form = initialCalibrationForm(TANK);
    const made = calibrationRequest(
      { ...form, maxEvaluations: '1', saveAs: '-bad' },
      'tank',
      'private',
      TANK
    );
    expect(made.request).toBeNull();
    expect(made.problems.map(p => p.place)).toEqual([
      'data',
      'mapping',
      'fit',
      'max_evaluations',
      'save_as'
    ]);
  });
});

describe("where a server's 400 goes", () => {
  const form = filled();

  it('next to the series it names', () => {
    const body = { field: 'mapping', series: 'level', column: 'nope' };
    expect(calibrationProblemOf(body, 'no column', form)).toEqual({
      place: 'series:level',
      message: 'no column'
    });
  });

  it('next to the series mapped to the column it names, when it names no series', () => {
    const body = { field: 'mapping', column: 'measured' };
    expect(calibrationProblemOf(body, 'no values', form).place).toBe('series:level');
    expect(calibrationProblemOf({ field: 'mapping' }, 'm', form).place).toBe('mapping');
  });

  it('next to the parameter it names, else the field', () => {
    expect(calibrationProblemOf({ field: 'ranges', parameter: 'tau' }, 'm').place).toBe(
      'parameter:tau'
    );
    expect(calibrationProblemOf({ field: 'fit', parameter: 'steps' }, 'm').place).toBe(
      'parameter:steps'
    );
    expect(calibrationProblemOf({ field: 'fit' }, 'm').place).toBe('fit');
    expect(calibrationProblemOf({ field: 'data', ref: 'mine/data/x' }, 'm').place).toBe('data');
    expect(calibrationProblemOf({ field: 'time_column', column: 'tt' }, 'm').place).toBe(
      'time_column'
    );
    expect(calibrationProblemOf({ field: 'save_as' }, 'm').place).toBe('save_as');
    expect(calibrationProblemOf({ field: 'step' }, 'm').place).toBe('form');
    expect(calibrationProblemOf({}, 'm').place).toBe('form');
  });
});

describe('calibrations', () => {
  it('run while queued or running', () => {
    expect(isCalibrationRunning('queued')).toBe(true);
    expect(isCalibrationRunning('running')).toBe(true);
    expect(isCalibrationRunning('succeeded')).toBe(false);
    expect(isCalibrationRunning('failed')).toBe(false);
  });

  it('are listed newest first', () => {
    const a = calibration({ id: 'a', created: '2025-01-01T10:00:00Z' });
    const b = calibration({ id: 'b', created: '2025-01-02T10:00:00Z' });
    const c = calibration({ id: 'c', created: '2025-01-02T10:00:00Z' });
    expect(newestCalibrationsFirst([a, b, c]).map(x => x.id)).toEqual(['c', 'b', 'a']);
  });

  it('say what they fit to what, and how many simulations they ran', () => {
    expect(calibrationTitle(calibration())).toBe('gain, tau ← mine/data/tank-run.csv');
    expect(mappingText({ level: 'measured', flow: 'q' })).toBe('level → measured, flow → q');
    expect(evaluationsText(calibration({ status: 'running', evaluations: 1 }))).toBe(
      '1 simulation of at most 200'
    );
    expect(evaluationsText(calibration())).toBe('14 simulations');
  });

  it("give the fitted values with their standard errors, the report's when listed without", () => {
    const reported = calibration({
      values: null,
      std_errors: null,
      report: {
        parameters: {
          gain: {
            value: 2,
            std_error: 0.01,
            relative_std_error: 0.005,
            initial: 1,
            bounds: [0.1, 10],
            at_bound: false
          },
          tau: { value: 20, std_error: null, initial: 1, bounds: [0.1, 20], at_bound: true }
        }
      }
    });
    expect(fittedValues(reported)).toEqual([
      {
        name: 'gain',
        value: 2,
        stdError: 0.01,
        relative: 0.005,
        bounds: [0.1, 10],
        initial: 1,
        atBound: false
      },
      {
        name: 'tau',
        value: 20,
        stdError: null,
        relative: null,
        bounds: [0.1, 20],
        initial: 1,
        atBound: true
      }
    ]);
    const listed = fittedValues(calibration());
    expect(listed[0].relative).toBeCloseTo(0.0012 / 2.0000001, 12);
    expect(listed[1]).toMatchObject({ name: 'tau', value: 2.9999, stdError: null });
  });

  it('give the fit quality per series, in the order they are mapped', () => {
    const c = calibration({
      mapping: { level: 'measured', flow: 'q' },
      report: {
        series: {
          flow: { points: 21, rmse: 0.5, r2: 0.9, max_abs_residual: 1.2 },
          level: { points: 21, rmse: 1e-7, r2: 1.0, max_abs_residual: 3e-7 }
        }
      }
    });
    expect(seriesQuality(c)).toEqual([
      { name: 'level', column: 'measured', points: 21, rmse: 1e-7, r2: 1, maxAbsResidual: 3e-7 },
      { name: 'flow', column: 'q', points: 21, rmse: 0.5, r2: 0.9, maxAbsResidual: 1.2 }
    ]);
    expect(seriesQuality(calibration())).toEqual([]);
  });

  it('show numbers short, with their errors', () => {
    expect(shortNumber(2.0000001)).toBe('2');
    expect(shortNumber(2.99994)).toBe('3');
    expect(shortNumber(-0.012345)).toBe('-0.01235');
    expect(shortNumber(1e-7)).toBe('1.000e-7');
    expect(shortNumber(null)).toBe('');
    expect(valueWithError(2.0000001, 0.0012)).toBe('2 ± 0.0012');
    expect(valueWithError(3, null)).toBe('3');
    expect(fittedSummary(calibration())).toBe('gain = 2 ± 0.0012, tau = 3');
  });

  it('offer valid names for a configuration and a new twin', () => {
    const name = calibrationConfigName(calibration());
    expect(name).toBe('calibrated-abc123');
    expect(CONFIG_NAME.test(name)).toBe(true);
    expect(calibratedTwinName('Tank Model')).toBe('tank-model-calibrated');
    expect(TWIN_NAME.test(calibratedTwinName('_x'))).toBe(true);
  });
});

describe('the pick list of data assets', () => {
  it("gives each data asset's reference once, sorted, leaving other types out", () => {
    const asset = (scope: string, type: string, name: string, title = name) =>
      ({ scope, type, name, title }) as unknown as Asset;
    expect(
      dataChoices([
        asset('private', 'data', 'tank-run.csv'),
        asset('common', 'data', 'msd-measurement', 'A measurement'),
        asset('common', 'models', 'm'),
        asset('private', 'data', 'tank-run.csv')
      ])
    ).toEqual([
      { ref: 'common/data/msd-measurement', label: 'common/data/msd-measurement — A measurement' },
      { ref: 'mine/data/tank-run.csv', label: 'mine/data/tank-run.csv' }
    ]);
  });
});
