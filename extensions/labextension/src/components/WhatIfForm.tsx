/** The sweep form: which parameters vary and between what, the design, objectives, Start. */
import { Button, HTMLSelect } from '@jupyterlab/ui-components';
import React from 'react';

import type { DesignKind } from '../api/types';
import {
  DESIGN_KINDS,
  DESIGN_LABELS,
  FormPlace,
  INumericParameter,
  ISweepForm,
  Keep,
  numericParameters,
  recordNames
} from '../domain/whatif';
import { WhatIfModel } from '../models/whatif';
import { Muted } from './common';
import { useSignal } from './hooks';
import { unitsOf, withUnit } from './RunParts';

/** A server's or the form's complaint, next to the field it is about. */
export function Problem(props: { model: WhatIfModel; place: FormPlace }): JSX.Element | null {
  const found = props.model.problems.filter(p => p.place === props.place);
  if (!found.length) {
    return null;
  }
  return (
    <div className="dtaas-error dtaas-whatif-problem" role="alert" data-place={props.place}>
      {found.map((p, i) => (
        <div key={i}>{p.message}</div>
      ))}
    </div>
  );
}

function ParameterRow(props: {
  model: WhatIfModel;
  parameter: INumericParameter;
  form: ISweepForm;
  update: (form: ISweepForm) => void;
}): JSX.Element {
  const { model, parameter, form, update } = props;
  const name = parameter.name;
  const choice = form.parameters[name];
  const set = (patch: Partial<typeof choice>) =>
    update({ ...form, parameters: { ...form.parameters, [name]: { ...choice, ...patch } } });
  const place: FormPlace = `parameter:${name}`;
  const bad = model.problems.some(p => p.place === place);
  const step = parameter.integer ? 1 : 'any';
  return (
    <>
      <tr
        className={[
          'dtaas-whatif-param',
          choice.vary ? 'dtaas-mod-varied' : '',
          bad ? 'dtaas-mod-invalid' : ''
        ].join(' ')}
        data-parameter={name}
      >
        <td className="dtaas-whatif-vary-cell">
          <input
            type="checkbox"
            className="dtaas-whatif-vary"
            checked={choice.vary}
            aria-label={`Vary ${name}`}
            disabled={model.starting}
            onChange={event => set({ vary: event.target.checked })}
          />
        </td>
        <td className="dtaas-whatif-param-name" title={parameter.description}>
          {withUnit(name, parameter.unit)}
        </td>
        <td>
          <input
            type="number"
            step={step}
            className="dtaas-whatif-low jp-mod-styled"
            aria-label={`${name} low`}
            value={choice.low}
            disabled={!choice.vary || model.starting}
            aria-invalid={bad && choice.vary}
            onChange={event => set({ low: event.target.value })}
          />
        </td>
        <td>
          <input
            type="number"
            step={step}
            className="dtaas-whatif-high jp-mod-styled"
            aria-label={`${name} high`}
            value={choice.high}
            disabled={!choice.vary || model.starting}
            aria-invalid={bad && choice.vary}
            onChange={event => set({ high: event.target.value })}
          />
        </td>
        <td>
          <input
            type="number"
            step={step}
            className="dtaas-whatif-value jp-mod-styled"
            aria-label={`${name} fixed value`}
            value={choice.vary ? '' : choice.value}
            placeholder={choice.vary ? 'varied' : ''}
            disabled={choice.vary || model.starting}
            aria-invalid={bad && !choice.vary}
            onChange={event => set({ value: event.target.value })}
          />
        </td>
      </tr>
      {bad ? (
        <tr className="dtaas-whatif-param-problem" data-parameter={name}>
          <td />
          <td colSpan={4}>
            <Problem model={model} place={place} />
          </td>
        </tr>
      ) : null}
    </>
  );
}

function Objectives(props: {
  model: WhatIfModel;
  form: ISweepForm;
  update: (form: ISweepForm) => void;
}): JSX.Element {
  const { model, form, update } = props;
  const records = recordNames(model.twin.info);
  const units = unitsOf(model.twin.info);
  if (!records.length) {
    return <Muted>This twin records no values to rank the scenarios by.</Muted>;
  }
  const direction = (name: string) => form.objectives.find(o => o.name === name)?.direction ?? '';
  const choose = (name: string, value: string) => {
    const chosen = new Map(form.objectives.map(o => [o.name, o.direction]));
    if (value === 'min' || value === 'max') {
      chosen.set(name, value);
    } else {
      chosen.delete(name);
    }
    // in the order the twin declares its records
    const objectives = records
      .filter(r => chosen.has(r))
      .map(r => ({ name: r, direction: chosen.get(r) as 'min' | 'max' }));
    update({ ...form, objectives });
  };
  return (
    <div className="dtaas-whatif-objectives">
      {records.map(name => (
        <label key={name} className="dtaas-whatif-objective-field" data-record={name}>
          <span className="dtaas-label">{withUnit(name, units[name])}</span>
          <HTMLSelect
            className="dtaas-whatif-objective"
            aria-label={`Objective on ${name}`}
            value={direction(name)}
            disabled={model.starting}
            onChange={event => choose(name, event.currentTarget.value)}
            options={[
              { value: '', label: 'not an objective' },
              { value: 'min', label: 'minimise' },
              { value: 'max', label: 'maximise' }
            ]}
          />
        </label>
      ))}
    </div>
  );
}

export function WhatIfForm(props: { model: WhatIfModel }): JSX.Element {
  const { model } = props;
  useSignal(model.changed);
  useSignal(model.twin.changed);
  const form = model.form;
  const update = (next: ISweepForm) => model.setForm(next);
  const parameters = numericParameters(model.twin.info).filter(p => p.name in form.parameters);
  const varied = parameters.filter(p => form.parameters[p.name].vary).length;
  return (
    <form
      className="dtaas-whatif-form"
      onSubmit={event => {
        event.preventDefault();
        void model.start();
      }}
    >
      <h4 className="dtaas-section-title">New sweep</h4>
      {parameters.length ? (
        <table className="dtaas-whatif-params">
          <thead>
            <tr>
              <th title="Tick the parameters to vary">Vary</th>
              <th>Parameter</th>
              <th>Low</th>
              <th>High</th>
              <th>Fixed value</th>
            </tr>
          </thead>
          <tbody>
            {parameters.map(p => (
              <ParameterRow key={p.name} model={model} parameter={p} form={form} update={update} />
            ))}
          </tbody>
        </table>
      ) : (
        <Muted>This twin has no numeric parameters to vary.</Muted>
      )}
      <div className="dtaas-whatif-design">
        <label className="dtaas-whatif-field">
          <span className="dtaas-label">Design</span>
          <HTMLSelect
            className="dtaas-whatif-kind"
            aria-label="Design"
            value={form.kind}
            disabled={model.starting}
            onChange={event => update({ ...form, kind: event.currentTarget.value as DesignKind })}
            options={DESIGN_KINDS.map(kind => ({ value: kind, label: DESIGN_LABELS[kind] }))}
          />
        </label>
        <label className="dtaas-whatif-field">
          <span className="dtaas-label" title="Scenarios (for saltelli and morris, base samples)">
            N
          </span>
          <input
            type="number"
            min={1}
            step={1}
            className="dtaas-whatif-n jp-mod-styled"
            aria-label="N"
            value={form.n}
            disabled={model.starting}
            onChange={event => update({ ...form, n: event.target.value })}
          />
        </label>
        <label className="dtaas-whatif-field">
          <span className="dtaas-label">Seed</span>
          <input
            type="number"
            min={0}
            step={1}
            className="dtaas-whatif-seed jp-mod-styled"
            aria-label="Seed"
            placeholder="random"
            value={form.seed}
            disabled={model.starting}
            onChange={event => update({ ...form, seed: event.target.value })}
          />
        </label>
        <label className="dtaas-whatif-field">
          <span className="dtaas-label">Keep notebooks</span>
          <HTMLSelect
            className="dtaas-whatif-keep"
            aria-label="Keep executed notebooks"
            value={form.keep}
            disabled={model.starting}
            onChange={event => update({ ...form, keep: event.currentTarget.value as Keep })}
            options={[
              { value: 'failures', label: 'of failed scenarios' },
              { value: 'all', label: 'of every scenario' },
              { value: 'none', label: 'none' }
            ]}
          />
        </label>
      </div>
      <Problem model={model} place="kind" />
      <Problem model={model} place="n" />
      <Problem model={model} place="seed" />
      <Problem model={model} place="keep" />
      <h4 className="dtaas-section-title">Objectives</h4>
      <Objectives model={model} form={form} update={update} />
      <Problem model={model} place="objectives" />
      <div className="dtaas-whatif-actions">
        <Button
          type="submit"
          className="dtaas-whatif-start jp-mod-styled jp-mod-accept"
          disabled={model.starting || varied === 0}
          title={varied ? 'Start the sweep' : 'Tick at least one parameter to vary'}
        >
          {model.starting ? 'Starting…' : 'Start sweep'}
        </Button>
        <Button
          className="dtaas-whatif-reset jp-mod-styled jp-mod-reject"
          disabled={model.starting}
          onClick={() => model.resetForm()}
        >
          Reset
        </Button>
        <span className="dtaas-muted">
          {varied ? `${varied} parameter${varied > 1 ? 's' : ''} varied` : ''}
        </span>
      </div>
      <Problem model={model} place="form" />
    </form>
  );
}
