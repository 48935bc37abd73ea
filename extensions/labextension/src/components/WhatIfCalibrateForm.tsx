/**
 * The calibration form: the data asset, its time column, which recorded series match
 * which columns, the parameters to fit and their bounds, Start.
 */
import { Button, HTMLSelect } from '@jupyterlab/ui-components';
import React from 'react';

import {
  CalibrationPlace,
  DEFAULT_MAX_EVALUATIONS,
  DEFAULT_TIME_COLUMN,
  fittableParameters,
  ICalibrationForm,
  schemaBounds,
  seriesNames
} from '../domain/calibrate';
import type { INumericParameter } from '../domain/whatif';
import { numberText } from '../domain/whatif';
import { CalibrationsModel } from '../models/calibrations';
import { Muted } from './common';
import { useSignal } from './hooks';
import { unitsOf, withUnit } from './RunParts';

/** A server's or the form's complaint, next to the field it is about. */
export function CalibrateProblem(props: {
  model: CalibrationsModel;
  place: CalibrationPlace;
}): JSX.Element | null {
  const found = props.model.problems.filter(p => p.place === props.place);
  if (!found.length) {
    return null;
  }
  return (
    <div
      className="dtaas-error dtaas-whatif-problem dtaas-calibrate-problem"
      role="alert"
      data-place={props.place}
    >
      {found.map((p, i) => (
        <div key={i}>{p.message}</div>
      ))}
    </div>
  );
}

function invalid(model: CalibrationsModel, place: CalibrationPlace): boolean {
  return model.problems.some(p => p.place === place);
}

function DataField(props: {
  model: CalibrationsModel;
  form: ICalibrationForm;
  update: (form: ICalibrationForm) => void;
}): JSX.Element {
  const { model, form, update } = props;
  const choices = model.dataChoices;
  const picked = choices.some(c => c.ref === form.data.trim()) ? form.data.trim() : '';
  return (
    <div className="dtaas-calibrate-data">
      <label className="dtaas-whatif-field dtaas-calibrate-data-field">
        <span className="dtaas-label">Data asset</span>
        <input
          type="text"
          className="dtaas-calibrate-data-ref jp-mod-styled"
          aria-label="Data asset"
          placeholder="mine/data/run7.csv or common/data/<name>"
          spellCheck={false}
          value={form.data}
          disabled={model.starting}
          aria-invalid={invalid(model, 'data')}
          onChange={event => update({ ...form, data: event.target.value })}
        />
      </label>
      {choices.length ? (
        <label className="dtaas-whatif-field">
          <span className="dtaas-label">From the library</span>
          <HTMLSelect
            className="dtaas-calibrate-data-pick"
            aria-label="Pick a data asset from the library"
            value={picked}
            disabled={model.starting}
            onChange={event => {
              const ref = event.currentTarget.value;
              if (ref) {
                update({ ...form, data: ref });
              }
            }}
            options={[
              { value: '', label: 'pick a data asset…' },
              ...choices.map(c => ({ value: c.ref, label: c.label }))
            ]}
          />
        </label>
      ) : null}
      <label className="dtaas-whatif-field">
        <span className="dtaas-label">Time column</span>
        <input
          type="text"
          className="dtaas-calibrate-time-column jp-mod-styled"
          aria-label="Time column"
          placeholder={DEFAULT_TIME_COLUMN}
          spellCheck={false}
          value={form.timeColumn}
          disabled={model.starting}
          aria-invalid={invalid(model, 'time_column')}
          onChange={event => update({ ...form, timeColumn: event.target.value })}
        />
      </label>
    </div>
  );
}

function Mapping(props: {
  model: CalibrationsModel;
  form: ICalibrationForm;
  update: (form: ICalibrationForm) => void;
}): JSX.Element {
  const { model, form, update } = props;
  const series = seriesNames(model.twin.info).filter(name => name in form.mapping);
  const units = unitsOf(model.twin.info);
  if (!series.length) {
    return <Muted>This twin records no series to compare with data.</Muted>;
  }
  return (
    <table className="dtaas-calibrate-mapping">
      <thead>
        <tr>
          <th>Recorded series</th>
          <th title="Leave empty to leave the series out">Data column</th>
        </tr>
      </thead>
      <tbody>
        {series.map(name => {
          const place: CalibrationPlace = `series:${name}`;
          const bad = invalid(model, place);
          return (
            <React.Fragment key={name}>
              <tr
                className={`dtaas-calibrate-series${bad ? ' dtaas-mod-invalid' : ''}`}
                data-series={name}
              >
                <td className="dtaas-calibrate-series-name">{withUnit(name, units[name])}</td>
                <td>
                  <input
                    type="text"
                    className="dtaas-calibrate-column jp-mod-styled"
                    aria-label={`Data column of ${name}`}
                    placeholder="not mapped"
                    spellCheck={false}
                    value={form.mapping[name]}
                    disabled={model.starting}
                    aria-invalid={bad}
                    onChange={event =>
                      update({ ...form, mapping: { ...form.mapping, [name]: event.target.value } })
                    }
                  />
                </td>
              </tr>
              {bad ? (
                <tr className="dtaas-calibrate-series-problem" data-series={name}>
                  <td colSpan={2}>
                    <CalibrateProblem model={model} place={place} />
                  </td>
                </tr>
              ) : null}
            </React.Fragment>
          );
        })}
      </tbody>
    </table>
  );
}

function boundText(value: number | null): string {
  return value === null ? 'open' : numberText(value);
}

function FitRow(props: {
  model: CalibrationsModel;
  parameter: INumericParameter;
  form: ICalibrationForm;
  update: (form: ICalibrationForm) => void;
}): JSX.Element {
  const { model, parameter, form, update } = props;
  const name = parameter.name;
  const choice = form.parameters[name];
  const set = (patch: Partial<typeof choice>) =>
    update({ ...form, parameters: { ...form.parameters, [name]: { ...choice, ...patch } } });
  const place: CalibrationPlace = `parameter:${name}`;
  const bad = invalid(model, place);
  const [low, high] = schemaBounds(parameter);
  return (
    <>
      <tr
        className={[
          'dtaas-calibrate-param',
          choice.fit ? 'dtaas-mod-varied' : '',
          bad ? 'dtaas-mod-invalid' : ''
        ].join(' ')}
        data-parameter={name}
      >
        <td className="dtaas-whatif-vary-cell">
          <input
            type="checkbox"
            className="dtaas-calibrate-fit"
            checked={choice.fit}
            aria-label={`Fit ${name}`}
            disabled={model.starting}
            onChange={event => set({ fit: event.target.checked })}
          />
        </td>
        <td className="dtaas-whatif-param-name" title={parameter.description}>
          {withUnit(name, parameter.unit)}
        </td>
        <td className="dtaas-num dtaas-muted">
          {parameter.default === null ? '' : numberText(parameter.default)}
        </td>
        <td>
          <input
            type="number"
            step="any"
            className="dtaas-calibrate-low jp-mod-styled"
            aria-label={`${name} low bound`}
            placeholder={boundText(low)}
            value={choice.low}
            disabled={!choice.fit || model.starting}
            aria-invalid={bad && choice.fit}
            onChange={event => set({ low: event.target.value })}
          />
        </td>
        <td>
          <input
            type="number"
            step="any"
            className="dtaas-calibrate-high jp-mod-styled"
            aria-label={`${name} high bound`}
            placeholder={boundText(high)}
            value={choice.high}
            disabled={!choice.fit || model.starting}
            aria-invalid={bad && choice.fit}
            onChange={event => set({ high: event.target.value })}
          />
        </td>
      </tr>
      {bad ? (
        <tr className="dtaas-calibrate-param-problem" data-parameter={name}>
          <td />
          <td colSpan={4}>
            <CalibrateProblem model={model} place={place} />
          </td>
        </tr>
      ) : null}
    </>
  );
}

export function CalibrateForm(props: { model: CalibrationsModel }): JSX.Element {
  const { model } = props;
  useSignal(model.changed);
  useSignal(model.twin.changed);
  const form = model.form;
  const update = (next: ICalibrationForm) => model.setForm(next);
  const parameters = fittableParameters(model.twin.info).filter(p => p.name in form.parameters);
  const fitted = parameters.filter(p => form.parameters[p.name].fit).length;
  const mapped = Object.values(form.mapping).filter(c => c.trim()).length;
  const ready = fitted > 0 && mapped > 0 && form.data.trim() !== '';
  return (
    <form
      className="dtaas-whatif-form dtaas-calibrate-form"
      onSubmit={event => {
        event.preventDefault();
        void model.start();
      }}
    >
      <h4 className="dtaas-section-title">New calibration</h4>
      <DataField model={model} form={form} update={update} />
      <CalibrateProblem model={model} place="data" />
      <CalibrateProblem model={model} place="time_column" />
      <h4 className="dtaas-section-title">Series to match</h4>
      <Mapping model={model} form={form} update={update} />
      <CalibrateProblem model={model} place="mapping" />
      <h4 className="dtaas-section-title">Parameters to fit</h4>
      {parameters.length ? (
        <table className="dtaas-whatif-params dtaas-calibrate-params">
          <thead>
            <tr>
              <th title="Tick the parameters to fit">Fit</th>
              <th>Parameter</th>
              <th title="Where the fit starts, unless the bounds leave it out">Default</th>
              <th title="Empty: the schema's minimum">Low bound</th>
              <th title="Empty: the schema's maximum">High bound</th>
            </tr>
          </thead>
          <tbody>
            {parameters.map(p => (
              <FitRow key={p.name} model={model} parameter={p} form={form} update={update} />
            ))}
          </tbody>
        </table>
      ) : (
        <Muted>This twin has no number parameters to fit.</Muted>
      )}
      <CalibrateProblem model={model} place="fit" />
      <div className="dtaas-whatif-design">
        <label className="dtaas-whatif-field">
          <span className="dtaas-label">Most simulations</span>
          <input
            type="number"
            min={2}
            step={1}
            className="dtaas-calibrate-max jp-mod-styled"
            aria-label="Most simulations"
            placeholder={String(DEFAULT_MAX_EVALUATIONS)}
            value={form.maxEvaluations}
            disabled={model.starting}
            aria-invalid={invalid(model, 'max_evaluations')}
            onChange={event => update({ ...form, maxEvaluations: event.target.value })}
          />
        </label>
        <label className="dtaas-whatif-field">
          <span className="dtaas-label" title="Saved once the fit succeeds">
            Save as configuration
          </span>
          <input
            type="text"
            className="dtaas-calibrate-save-as jp-mod-styled"
            aria-label="Save the fitted values as configuration"
            placeholder="optional"
            maxLength={64}
            spellCheck={false}
            value={form.saveAs}
            disabled={model.starting}
            aria-invalid={invalid(model, 'save_as')}
            onChange={event => update({ ...form, saveAs: event.target.value })}
          />
        </label>
      </div>
      <CalibrateProblem model={model} place="max_evaluations" />
      <CalibrateProblem model={model} place="save_as" />
      <div className="dtaas-whatif-actions">
        <Button
          type="submit"
          className="dtaas-calibrate-start jp-mod-styled jp-mod-accept"
          disabled={model.starting}
          title={
            ready
              ? 'Start the calibration'
              : 'Name the data, map a series to a column and tick a parameter to fit'
          }
        >
          {model.starting ? 'Starting…' : 'Start calibration'}
        </Button>
        <Button
          className="dtaas-calibrate-reset jp-mod-styled jp-mod-reject"
          disabled={model.starting}
          onClick={() => model.resetForm()}
        >
          Reset
        </Button>
        <span className="dtaas-muted">
          {fitted ? `${fitted} parameter${fitted > 1 ? 's' : ''} fitted` : ''}
          {fitted && mapped ? ', ' : ''}
          {mapped ? `${mapped} series mapped` : ''}
        </span>
      </div>
      <CalibrateProblem model={model} place="form" />
    </form>
  );
}
