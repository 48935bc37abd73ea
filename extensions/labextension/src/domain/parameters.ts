/**
 * Parameter values of a digital twin as the Configure tab edits them: defaults,
 * checks against the schema, errors by parameter, configurations, steps and
 * profiles; pure, so the unit tests cover them.
 */
import type { RJSFSchema } from '@rjsf/utils';
import validator from '@rjsf/validator-ajv8';

import type { Config, ParameterError, Profile } from '../api/types';
import { formatValue } from './format';

export type Values = Record<string, unknown>;

/** Error messages by parameter name; '' holds those about the values as a whole. */
export type FieldErrors = Record<string, string[]>;

/** One parameter of a twin's JSON Schema, with its unit. */
export interface IParameterProperty {
  type?: string | string[];
  title?: string;
  description?: string;
  default?: unknown;
  enum?: unknown[];
  'x-unit'?: string;
  [key: string]: unknown;
}

/** The JSON Schema of a twin's parameters (an object schema). */
export interface IParameterSchema {
  type?: string;
  title?: string;
  description?: string;
  properties?: Record<string, IParameterProperty>;
  required?: string[];
  [key: string]: unknown;
}

/** Allowed configuration names, as the server checks them. */
export const CONFIG_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** The step ticked when the tab opens. */
export const DEFAULT_STEP = 'execute';

/** The profile the runtime calls this workspace; offered as the first option instead. */
export const WORKSPACE_PROFILE = 'workspace';

export function parameterNames(schema: IParameterSchema): string[] {
  return Object.keys(schema.properties ?? {});
}

/** Key order must not make equal values look different; absent and undefined are alike. */
export function stableJson(values: Values): string {
  const sorted = Object.keys(values)
    .filter(key => values[key] !== undefined)
    .sort()
    .map(key => [key, values[key]]);
  return JSON.stringify(sorted);
}

export function sameValues(a: Values, b: Values): boolean {
  return stableJson(a) === stableJson(b);
}

/** The values with each missing parameter set to its default, as the form shows them. */
export function withDefaults(schema: IParameterSchema, values: Values): Values {
  const filled: Values = {};
  for (const [name, property] of Object.entries(schema.properties ?? {})) {
    if (property.default !== undefined) {
      filled[name] = property.default;
    }
  }
  return { ...filled, ...values };
}

/** The values checked against the schema in the browser, as the form marks them. */
export function clientErrors(schema: IParameterSchema, values: Values): FieldErrors {
  const result = validator.validateFormData(values, schema as RJSFSchema);
  const errors: FieldErrors = {};
  for (const error of result.errors) {
    const name = (error.property ?? '').replace(/^\./, '').split('.')[0] ?? '';
    (errors[name] = errors[name] ?? []).push(error.message ?? error.stack);
  }
  return errors;
}

/** The per-parameter errors of a 400 answer's body, if it has any. */
export function parameterErrors(body: Record<string, unknown>): ParameterError[] {
  const errors = body.errors;
  if (!Array.isArray(errors)) {
    return [];
  }
  return errors.filter(
    (e): e is ParameterError => !!e && typeof e === 'object' && typeof e.message === 'string'
  );
}

/** Server errors by parameter; unknown or absent names go to ''. */
export function errorsByParameter(errors: ParameterError[], known: string[]): FieldErrors {
  const result: FieldErrors = {};
  for (const error of errors) {
    let name = error.parameter ?? '';
    if (!name && error.pointer) {
      name = decodeURIComponent(error.pointer.split('/')[1] ?? '');
    }
    if (!known.includes(name)) {
      name = '';
    }
    (result[name] = result[name] ?? []).push(error.message);
  }
  return result;
}

/** A server error no longer applies once its value changed; those about the whole stay. */
export function keepUnchanged(errors: FieldErrors, before: Values, after: Values): FieldErrors {
  const kept: FieldErrors = {};
  for (const [name, messages] of Object.entries(errors)) {
    if (name === '' || JSON.stringify(before[name]) === JSON.stringify(after[name])) {
      kept[name] = messages;
    }
  }
  return kept;
}

export function hasErrors(errors: FieldErrors): boolean {
  return Object.values(errors).some(messages => messages.length > 0);
}

/** The first parameter with an error, '' if only the values as a whole have one. */
export function firstErrorParameter(errors: FieldErrors): string {
  return Object.keys(errors).find(name => name && errors[name].length > 0) ?? '';
}

export interface IErrorItem {
  parameter: string;
  message: string;
}

/** Client and server errors, listed once each with the parameter they concern. */
export function errorItems(...lists: FieldErrors[]): IErrorItem[] {
  const items: IErrorItem[] = [];
  const seen = new Set<string>();
  for (const errors of lists) {
    for (const [parameter, messages] of Object.entries(errors)) {
      for (const message of messages) {
        const key = `${parameter}\n${message}`;
        if (!seen.has(key)) {
          seen.add(key);
          items.push({ parameter, message });
        }
      }
    }
  }
  return items;
}

/** Configurations by name. */
export function sortedConfigs(configs: readonly Config[]): Config[] {
  return [...configs].sort((a, b) => a.name.localeCompare(b.name));
}

/** Why a name cannot be saved to, or '' if it can. */
export function configNameProblem(name: string, configs: readonly Config[]): string {
  if (!CONFIG_NAME.test(name)) {
    return (
      `"${name}" is not a valid name: start with a letter or digit, ` +
      'then use letters, digits, ".", "_" or "-" (at most 64).'
    );
  }
  if (configs.some(c => c.name === name && c.readonly)) {
    return `"${name}" is a read-only configuration; choose another name.`;
  }
  return '';
}

/** The steps ticked at first: execute if the twin has it, else its first. */
export function initialSteps(steps: readonly { name: string }[]): string[] {
  if (steps.some(s => s.name === DEFAULT_STEP)) {
    return [DEFAULT_STEP];
  }
  return steps.length ? [steps[0].name] : [];
}

/** Ticked steps in the twin's own order. */
export function orderedSteps(steps: readonly { name: string }[], ticked: readonly string[]): string[] {
  return steps.map(s => s.name).filter(name => ticked.includes(name));
}

export interface IProfileOption {
  /** '' is this workspace. */
  value: string;
  label: string;
  title: string;
}

/** This workspace first, then the other profiles with their size. */
export function profileOptions(profiles: readonly Profile[]): IProfileOption[] {
  const options: IProfileOption[] = [{ value: '', label: 'This workspace', title: '' }];
  for (const profile of profiles) {
    if (profile.name === WORKSPACE_PROFILE) {
      continue;
    }
    const size = [profile.cpu !== undefined ? `${profile.cpu} CPU` : '', profile.memory ?? '']
      .filter(Boolean)
      .join(', ');
    options.push({
      value: profile.name,
      label: size ? `${profile.name} (${size})` : profile.name,
      title: profile.description ?? ''
    });
  }
  return options;
}

/** The profile proposed: the one the settings name if it is offered, else this workspace. */
export function initialProfile(options: readonly IProfileOption[], wanted: string): string {
  return wanted && options.some(o => o.value === wanted) ? wanted : '';
}

export interface IRecordInfo {
  name: string;
  unit: string;
  description: string;
}

/** The values a twin records, with their units, from its `records` declaration. */
export function recordsOf(records: Record<string, unknown> | undefined): IRecordInfo[] {
  return Object.entries(records ?? {}).map(([name, spec]) => {
    const fields = spec && typeof spec === 'object' ? (spec as Record<string, unknown>) : {};
    return {
      name,
      unit: typeof fields['x-unit'] === 'string' ? fields['x-unit'] : '',
      description: typeof fields.description === 'string' ? fields.description : ''
    };
  });
}

/** "1.5 kg", or the value alone without a unit. */
export function withUnit(value: unknown, unit: string | undefined): string {
  return unit ? `${formatValue(value)} ${unit}` : formatValue(value);
}
