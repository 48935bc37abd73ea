import type { Config, Profile } from '../src/api/types';
import {
  clientErrors,
  configNameProblem,
  errorItems,
  errorsByParameter,
  firstErrorParameter,
  initialProfile,
  initialSteps,
  IParameterSchema,
  keepUnchanged,
  orderedSteps,
  parameterErrors,
  profileOptions,
  recordsOf,
  sameValues,
  sortedConfigs,
  withDefaults,
  withUnit
} from '../src/domain/parameters';

const schema: IParameterSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    m1: { type: 'number', exclusiveMinimum: 0, default: 1.0, 'x-unit': 'kg' },
    n: { type: 'integer', minimum: 2, default: 10 },
    label: { type: 'string' }
  }
};

function config(name: string, readonly = false): Config {
  return { name, readonly, values: {} };
}

describe('parameter values', () => {
  it('fills defaults under the values given', () => {
    expect(withDefaults(schema, { m1: 5 })).toEqual({ m1: 5, n: 10 });
  });

  it('compares values whatever their key order, absent as undefined', () => {
    expect(sameValues({ a: 1, b: 2 }, { b: 2, a: 1 })).toBe(true);
    expect(sameValues({ a: 1, b: undefined }, { a: 1 })).toBe(true);
    expect(sameValues({ a: 1 }, { a: 2 })).toBe(false);
  });

  it('checks values against the schema by parameter', () => {
    expect(clientErrors(schema, { m1: 1, n: 10 })).toEqual({});
    const errors = clientErrors(schema, { m1: -1, n: 10 });
    expect(Object.keys(errors)).toEqual(['m1']);
    expect(firstErrorParameter(errors)).toBe('m1');
  });
});

describe('server errors', () => {
  it('reads the errors of a 400 body and puts them on their parameters', () => {
    const body = {
      message: 'invalid',
      errors: [
        { parameter: 'm1', pointer: '/m1', message: 'must be > 0' },
        { parameter: '', pointer: '/n', message: 'too small' },
        { parameter: 'zz', pointer: '/zz', message: 'unknown' },
        'not an error'
      ]
    };
    const errors = parameterErrors(body);
    expect(errors).toHaveLength(3);
    expect(errorsByParameter(errors, ['m1', 'n'])).toEqual({
      m1: ['must be > 0'],
      n: ['too small'],
      '': ['unknown']
    });
    expect(parameterErrors({ message: 'x' })).toEqual([]);
  });

  it('drops an error once its value changed, keeps those about the whole', () => {
    const errors = { m1: ['bad'], n: ['bad'], '': ['whole'] };
    expect(keepUnchanged(errors, { m1: 1, n: 2 }, { m1: 3, n: 2 })).toEqual({
      n: ['bad'],
      '': ['whole']
    });
  });

  it('lists client and server errors once each', () => {
    expect(errorItems({ m1: ['bad'] }, { m1: ['bad', 'worse'], '': ['whole'] })).toEqual([
      { parameter: 'm1', message: 'bad' },
      { parameter: 'm1', message: 'worse' },
      { parameter: '', message: 'whole' }
    ]);
  });
});

describe('configurations, steps and profiles', () => {
  it('sorts configurations and refuses bad or read-only names', () => {
    expect(sortedConfigs([config('b'), config('a')]).map(c => c.name)).toEqual(['a', 'b']);
    expect(configNameProblem('heavy', [config('default', true)])).toBe('');
    expect(configNameProblem('-x', [])).toMatch(/not a valid name/);
    expect(configNameProblem('default', [config('default', true)])).toMatch(/read-only/);
  });

  it('ticks execute first, else the first step; keeps the twin order', () => {
    const steps = [{ name: 'create' }, { name: 'execute' }, { name: 'analyze' }];
    expect(initialSteps(steps)).toEqual(['execute']);
    expect(initialSteps([{ name: 'create' }])).toEqual(['create']);
    expect(initialSteps([])).toEqual([]);
    expect(orderedSteps(steps, ['analyze', 'create'])).toEqual(['create', 'analyze']);
  });

  it('offers this workspace first and the settings profile when it exists', () => {
    const profiles: Profile[] = [
      { name: 'workspace' },
      { name: 'large', cpu: 4, memory: '8G', description: 'Big' }
    ];
    const options = profileOptions(profiles);
    expect(options.map(o => o.value)).toEqual(['', 'large']);
    expect(options[1].label).toBe('large (4 CPU, 8G)');
    expect(initialProfile(options, 'large')).toBe('large');
    expect(initialProfile(options, 'gone')).toBe('');
  });

  it('reads recorded values with their units', () => {
    expect(recordsOf({ x1: { description: 'Final', 'x-unit': 'm' }, y: null })).toEqual([
      { name: 'x1', unit: 'm', description: 'Final' },
      { name: 'y', unit: '', description: '' }
    ]);
    expect(withUnit(1.5, 'kg')).toBe('1.5 kg');
    expect(withUnit(2, undefined)).toBe('2');
  });
});
