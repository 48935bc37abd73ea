/**
 * The selected calibration: its progress while it runs; once it ended, the fitted values
 * with their standard errors, the fit quality per series, the residual plot, and Save
 * as configuration and New twin from this.
 */
import { Button } from '@jupyterlab/ui-components';
import React, { useMemo, useState } from 'react';

import { errorText } from '../api/client';
import { calibrationPlotUrl } from '../api/runtime';
import type { Calibration, CreatedTwin } from '../api/types';
import {
  calibratedTwinName,
  calibrationConfigName,
  evaluationsText,
  fittedValues,
  isCalibrationRunning,
  mappingText,
  seriesQuality,
  shortNumber
} from '../domain/calibrate';
import { formatTime } from '../domain/format';
import { CONFIG_NAME, numberText, TWIN_NAME } from '../domain/whatif';
import { CalibrationsModel } from '../models/calibrations';
import { ErrorText, Muted } from './common';
import { IDTaaSContext } from './context';
import { withUnit } from './RunParts';

function FittedValues(props: {
  calibration: Calibration;
  parameterUnits: Record<string, string>;
}): JSX.Element {
  const rows = useMemo(() => fittedValues(props.calibration), [props.calibration]);
  return (
    <table className="dtaas-calibrate-values">
      <thead>
        <tr>
          <th>Parameter</th>
          <th>Fitted value</th>
          <th title="One standard error, from the Jacobian at the fit">± std. error</th>
          <th>Relative</th>
          <th>Started at</th>
          <th>Bounds</th>
        </tr>
      </thead>
      <tbody>
        {rows.map(row => (
          <tr
            key={row.name}
            className="dtaas-calibrate-value"
            data-parameter={row.name}
            data-value={row.value ?? ''}
            data-std-error={row.stdError ?? ''}
          >
            <td>{withUnit(row.name, props.parameterUnits[row.name])}</td>
            <td
              className="dtaas-num dtaas-calibrate-fitted"
              title={row.value === null ? '' : String(row.value)}
            >
              {shortNumber(row.value)}
            </td>
            <td
              className="dtaas-num dtaas-calibrate-std-error"
              title={row.stdError === null ? 'not estimable' : String(row.stdError)}
            >
              {row.stdError === null ? '—' : `± ${shortNumber(row.stdError)}`}
            </td>
            <td className="dtaas-num">
              {row.relative === null ? '' : `${shortNumber(row.relative * 100)} %`}
            </td>
            <td className="dtaas-num dtaas-muted">{shortNumber(row.initial)}</td>
            <td className="dtaas-muted">
              {row.bounds ? `[${numberText(row.bounds[0])}, ${numberText(row.bounds[1])}]` : ''}
              {row.atBound ? <span className="dtaas-calibrate-at-bound"> at a bound</span> : null}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function Quality(props: {
  calibration: Calibration;
  units: Record<string, string>;
}): JSX.Element | null {
  const rows = useMemo(() => seriesQuality(props.calibration), [props.calibration]);
  if (!rows.length) {
    return null;
  }
  return (
    <table className="dtaas-calibrate-quality">
      <thead>
        <tr>
          <th>Series</th>
          <th>Column</th>
          <th>Points</th>
          <th title="Root mean square of the residuals">RMSE</th>
          <th title="Coefficient of determination">R²</th>
          <th>Largest residual</th>
        </tr>
      </thead>
      <tbody>
        {rows.map(row => (
          <tr
            key={row.name}
            className="dtaas-calibrate-series-quality"
            data-series={row.name}
            data-rmse={row.rmse ?? ''}
            data-r2={row.r2 ?? ''}
          >
            <td>{withUnit(row.name, props.units[row.name])}</td>
            <td>{row.column}</td>
            <td className="dtaas-num">{row.points ?? ''}</td>
            <td className="dtaas-num dtaas-calibrate-rmse" title={String(row.rmse ?? '')}>
              {shortNumber(row.rmse)}
            </td>
            <td className="dtaas-num dtaas-calibrate-r2" title={String(row.r2 ?? '')}>
              {shortNumber(row.r2)}
            </td>
            <td className="dtaas-num">{shortNumber(row.maxAbsResidual)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function ResidualPlot(props: { id: string }): JSX.Element {
  const [failed, setFailed] = useState(false);
  return (
    <figure className="dtaas-output-figure dtaas-calibrate-plot">
      {failed ? (
        <Muted>Cannot show the residual plot.</Muted>
      ) : (
        <img
          className="dtaas-output-image dtaas-calibrate-plot-image"
          src={calibrationPlotUrl(props.id)}
          alt="The data against the fitted simulation, and the residuals, per series"
          onError={() => setFailed(true)}
        />
      )}
      <figcaption className="dtaas-muted">
        The data against the fitted simulation, and the residuals, per series
      </figcaption>
    </figure>
  );
}

/** A name input, its button and what came of it; the shape both save actions share. */
function NamedAction(props: {
  label: string;
  className: string;
  initial: string;
  valid: RegExp;
  button: string;
  buttonClass: string;
  title: string;
  invalidTitle: string;
  act: (name: string) => Promise<React.ReactNode>;
  failure: string;
}): JSX.Element {
  const [name, setName] = useState(props.initial);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState('');
  const [done, setDone] = useState<React.ReactNode>(null);
  const valid = props.valid.test(name.trim());
  const run = async () => {
    setBusy(true);
    setError('');
    setDone(null);
    try {
      setDone(await props.act(name.trim()));
    } catch (reason) {
      setError(`${props.failure}: ${errorText(reason)}`);
    } finally {
      setBusy(false);
    }
  };
  return (
    <div className={`dtaas-whatif-save ${props.className}`}>
      <label className="dtaas-label">
        {props.label}{' '}
        <input
          type="text"
          className={`${props.className}-name jp-mod-styled`}
          maxLength={64}
          spellCheck={false}
          value={name}
          disabled={busy}
          aria-invalid={!valid}
          onChange={event => {
            setName(event.target.value);
            setDone(null);
          }}
          onKeyDown={event => {
            if (event.key === 'Enter' && valid) {
              event.preventDefault();
              void run();
            }
          }}
        />
      </label>
      <Button
        className={`${props.className}-button jp-mod-styled ${props.buttonClass}`}
        disabled={busy || !valid}
        title={valid ? props.title : props.invalidTitle}
        onClick={() => void run()}
      >
        {props.button}
      </Button>
      {done}
      <ErrorText text={error} className={`${props.className}-error`} />
    </div>
  );
}

function Actions(props: {
  model: CalibrationsModel;
  calibration: Calibration;
  context: IDTaaSContext;
}): JSX.Element {
  const { model, calibration, context } = props;
  const open = (twin: CreatedTwin) =>
    context.openAsset({ scope: twin.scope, type: 'digital_twins', name: twin.name });
  return (
    <>
      <NamedAction
        label="Configuration"
        className="dtaas-calibrate-config"
        initial={calibration.save_as || calibrationConfigName(calibration)}
        valid={CONFIG_NAME}
        button="Save as configuration"
        buttonClass="jp-mod-accept"
        title="Save the fitted values as a configuration of yours"
        invalidTitle='Letters, digits, ".", "_" and "-", starting with a letter or digit'
        failure="Cannot save the configuration"
        act={async name => {
          const config = await model.saveConfig(calibration.id, name);
          const saved = config.name ?? name;
          return (
            <span className="dtaas-whatif-saved dtaas-calibrate-saved" data-config={saved}>
              Saved as {saved}; it is on the Configure tab.
            </span>
          );
        }}
      />
      <NamedAction
        label="New twin"
        className="dtaas-calibrate-twin"
        initial={calibratedTwinName(calibration.dt)}
        valid={TWIN_NAME}
        button="New twin from this"
        buttonClass="jp-mod-reject"
        title="A copy of this twin in your library with the fitted values as its defaults"
        invalidTitle='Lower-case letters, digits, ".", "_" and "-", starting with a letter or digit'
        failure="Cannot make the twin"
        act={async name => {
          const twin = await model.newTwin(calibration.id, name);
          void context.library.search(); // the sidebar lists it
          return (
            <span
              className="dtaas-whatif-created dtaas-calibrate-created"
              data-name={twin.name}
              data-path={twin.path}
            >
              Made {twin.name}.{' '}
              <Button
                className="dtaas-calibrate-open-twin jp-mod-styled jp-mod-accept"
                minimal
                onClick={() => open(twin)}
              >
                Open it
              </Button>
            </span>
          );
        }}
      />
    </>
  );
}

export function CalibrationResult(props: {
  model: CalibrationsModel;
  calibration: Calibration;
  units: Record<string, string>;
  parameterUnits: Record<string, string>;
  context: IDTaaSContext;
}): JSX.Element {
  const { model, calibration, units, parameterUnits, context } = props;
  const running = isCalibrationRunning(calibration.status);
  const succeeded = calibration.status === 'succeeded';
  const report = (calibration.report ?? null) as { message?: unknown } | null;
  return (
    <div
      className="dtaas-calibrate-result"
      data-calibration-id={calibration.id}
      data-status={calibration.status}
      data-evaluations={calibration.evaluations}
    >
      <div className="dtaas-whatif-progress-head">
        <span className={`dtaas-run-row-status dtaas-status-${calibration.status}`}>
          {calibration.status}
        </span>
        <span className="dtaas-calibrate-evaluations">{evaluationsText(calibration)}</span>
        <span className="dtaas-spacer" />
        <span className="dtaas-muted dtaas-whatif-sweep-dir" title="Where its record is">
          {calibration.dir}
        </span>
      </div>
      {running ? (
        <div
          className="dtaas-whatif-progress-bar dtaas-calibrate-running"
          role="progressbar"
          aria-label="Fitting"
        >
          <div className="dtaas-whatif-progress-fill dtaas-mod-running dtaas-calibrate-busy" />
        </div>
      ) : null}
      <div className="dtaas-muted dtaas-calibrate-meta">
        {calibration.data} · {mappingText(calibration.mapping)} · time column{' '}
        {calibration.time_column ?? 't'} · {calibration.step}
        {calibration.created ? ` · started ${formatTime(calibration.created)}` : ''}
        {calibration.save_as ? ` · saved as ${calibration.save_as}` : ''}
      </div>
      <div className="dtaas-muted dtaas-calibrate-hash" title={calibration.data_sha256}>
        data sha256 {calibration.data_sha256.slice(0, 12)}…
      </div>
      <ErrorText text={calibration.error ?? ''} className="dtaas-calibrate-error" />
      {calibration.values ? (
        <>
          <h4 className="dtaas-section-title">Fitted values</h4>
          <FittedValues calibration={calibration} parameterUnits={parameterUnits} />
        </>
      ) : null}
      {calibration.report ? (
        <>
          <h4 className="dtaas-section-title">Fit quality</h4>
          <Quality calibration={calibration} units={units} />
          {typeof report?.message === 'string' && report.message ? (
            <div className="dtaas-muted dtaas-calibrate-message">
              least_squares: {report.message}
            </div>
          ) : null}
        </>
      ) : succeeded ? (
        <Muted>Loading the report…</Muted>
      ) : null}
      {succeeded ? <ResidualPlot key={calibration.id} id={calibration.id} /> : null}
      {succeeded && calibration.values ? (
        <Actions
          key={calibration.id}
          model={model}
          calibration={calibration}
          context={context}
        />
      ) : null}
    </div>
  );
}

