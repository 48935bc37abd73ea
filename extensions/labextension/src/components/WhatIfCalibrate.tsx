/**
 * The What-if tab's Calibrate section: a form that fits chosen parameters of the twin to
 * a data asset, the twin's calibrations with their status and simulations done, and
 * the selected one's fitted values, fit quality and residual plot.
 */
import React, { useEffect, useMemo } from 'react';

import type { Calibration } from '../api/types';
import {
  calibrationTitle,
  evaluationsText,
  fittedSummary,
  mappingText
} from '../domain/calibrate';
import { formatTime } from '../domain/format';
import { calibrationsOf } from '../models/calibrations';
import { CalibrationsModel } from '../models/calibrations';
import { TwinModel } from '../models/twin';
import { ErrorText, Muted } from './common';
import { IDTaaSContext } from './context';
import { useSignal } from './hooks';
import { parameterUnitsOf, unitsOf } from './RunParts';
import { CalibrateForm } from './WhatIfCalibrateForm';
import { CalibrationResult } from './WhatIfCalibrateResult';

function CalibrationRow(props: {
  calibration: Calibration;
  model: CalibrationsModel;
  selected: boolean;
}): JSX.Element {
  const { calibration: c, model } = props;
  const select = () => model.select(c.id);
  return (
    <tr
      className={`dtaas-whatif-sweep dtaas-calibrate-row${props.selected ? ' jp-mod-selected' : ''}`}
      data-calibration-id={c.id}
      data-status={c.status}
      tabIndex={0}
      aria-selected={props.selected}
      title={c.id}
      onClick={select}
      onKeyDown={event => {
        if (event.key === 'Enter' || event.key === ' ') {
          event.preventDefault();
          select();
        }
      }}
    >
      <td>
        <span className={`dtaas-run-row-status dtaas-status-${c.status}`}>{c.status}</span>
      </td>
      <td>{c.created ? formatTime(c.created) : ''}</td>
      <td className="dtaas-whatif-sweep-title">{calibrationTitle(c)}</td>
      <td>{mappingText(c.mapping)}</td>
      <td className="dtaas-num dtaas-calibrate-row-evaluations">{evaluationsText(c)}</td>
      <td className="dtaas-calibrate-row-values">{fittedSummary(c)}</td>
    </tr>
  );
}

function CalibrationList(props: { model: CalibrationsModel }): JSX.Element | null {
  const { model } = props;
  if (!model.calibrations.length) {
    return null;
  }
  return (
    <div className="dtaas-whatif-sweeps-wrap">
      <table className="dtaas-whatif-sweeps dtaas-calibrate-list">
        <thead>
          <tr>
            <th>Status</th>
            <th>Created</th>
            <th>Fits</th>
            <th>Series → columns</th>
            <th>Simulations</th>
            <th>Fitted values</th>
          </tr>
        </thead>
        <tbody>
          {model.calibrations.map(c => (
            <CalibrationRow
              key={c.id}
              calibration={c}
              model={model}
              selected={c.id === model.selectedId}
            />
          ))}
        </tbody>
      </table>
    </div>
  );
}

export function WhatIfCalibrate(props: { twin: TwinModel; context: IDTaaSContext }): JSX.Element {
  const { twin, context } = props;
  const model = calibrationsOf(twin, context.settings);
  useSignal(model.changed);
  useSignal(twin.changed);
  useEffect(() => {
    const watching = model.watch();
    return () => watching.dispose();
  }, [model]);

  const info = twin.info;
  const units = useMemo(() => unitsOf(info), [info]);
  const parameterUnits = useMemo(() => parameterUnitsOf(info), [info]);
  const selected = model.selected;

  return (
    <div className="dtaas-calibrate" data-dt={model.dt} data-scope={model.scope}>
      {info ? <CalibrateForm model={model} /> : twin.infoError ? null : <Muted>Loading…</Muted>}
      <h4 className="dtaas-section-title">Calibrations</h4>
      <ErrorText text={model.error} className="dtaas-calibrate-list-error" />
      {model.calibrations.length ? (
        <CalibrationList model={model} />
      ) : model.loaded ? (
        <Muted className="dtaas-calibrate-empty">No calibrations of this twin yet.</Muted>
      ) : model.error ? null : (
        <Muted>Loading…</Muted>
      )}
      <ErrorText text={model.detailError} className="dtaas-calibrate-detail-error" />
      {selected ? (
        <CalibrationResult
          key={selected.id}
          model={model}
          calibration={selected}
          units={units}
          parameterUnits={parameterUnits}
          context={context}
        />
      ) : null}
    </div>
  );
}
