/** The twin's sweeps, newest first, and the selected one's live progress, Cancel and Resume. */
import { Button } from '@jupyterlab/ui-components';
import React, { useState } from 'react';

import type { Sweep } from '../api/types';
import { formatTime } from '../domain/format';
import {
  canCancel,
  canResume,
  etaText,
  isSweepRunning,
  objectivesText,
  sweepFraction,
  sweepProgressText,
  sweepTitle
} from '../domain/whatif';
import { WhatIfModel } from '../models/whatif';
import { ErrorText } from './common';

function SweepRow(props: { sweep: Sweep; model: WhatIfModel; selected: boolean }): JSX.Element {
  const { sweep, model } = props;
  const select = () => model.select(sweep.id);
  return (
    <tr
      className={`dtaas-whatif-sweep${props.selected ? ' jp-mod-selected' : ''}`}
      data-sweep-id={sweep.id}
      data-status={sweep.status}
      tabIndex={0}
      aria-selected={props.selected}
      title={sweep.id}
      onClick={select}
      onKeyDown={event => {
        if (event.key === 'Enter' || event.key === ' ') {
          event.preventDefault();
          select();
        }
      }}
    >
      <td>
        <span className={`dtaas-run-row-status dtaas-status-${sweep.status}`}>{sweep.status}</span>
      </td>
      <td>{formatTime(sweep.created)}</td>
      <td className="dtaas-whatif-sweep-title">{sweepTitle(sweep)}</td>
      <td>{objectivesText(sweep)}</td>
      <td className="dtaas-num">
        {sweep.done}/{sweep.total}
        {sweep.failed ? ` (${sweep.failed} failed)` : ''}
      </td>
    </tr>
  );
}

export function SweepList(props: { model: WhatIfModel }): JSX.Element | null {
  const { model } = props;
  if (!model.sweeps.length) {
    return null;
  }
  return (
    <div className="dtaas-whatif-sweeps-wrap">
      <table className="dtaas-whatif-sweeps">
        <thead>
          <tr>
            <th>Status</th>
            <th>Created</th>
            <th>Design</th>
            <th>Objectives</th>
            <th>Done</th>
          </tr>
        </thead>
        <tbody>
          {model.sweeps.map(sweep => (
            <SweepRow
              key={sweep.id}
              sweep={sweep}
              model={model}
              selected={sweep.id === model.selectedId}
            />
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** Done of total, failed, the ETA and a bar; Cancel while it runs, Resume once stopped. */
export function SweepProgress(props: { sweep: Sweep; model: WhatIfModel }): JSX.Element {
  const { sweep, model } = props;
  const [busy, setBusy] = useState(false);
  const act = async (action: (id: string) => Promise<void>) => {
    setBusy(true);
    try {
      await action(sweep.id);
    } finally {
      setBusy(false);
    }
  };
  const running = isSweepRunning(sweep.status);
  const percent = Math.round(sweepFraction(sweep) * 100);
  return (
    <div
      className="dtaas-whatif-progress"
      data-sweep-id={sweep.id}
      data-status={sweep.status}
      data-done={sweep.done}
      data-total={sweep.total}
      data-failed={sweep.failed}
    >
      <div className="dtaas-whatif-progress-head">
        <span className={`dtaas-run-row-status dtaas-status-${sweep.status}`}>{sweep.status}</span>
        <span className="dtaas-whatif-progress-text">{sweepProgressText(sweep)}</span>
        <span className="dtaas-spacer" />
        {canCancel(sweep) ? (
          <Button
            className="dtaas-whatif-cancel jp-mod-styled jp-mod-warn"
            disabled={busy}
            onClick={() => void act(id => model.cancel(id))}
          >
            Cancel
          </Button>
        ) : null}
        {canResume(sweep) ? (
          <Button
            className="dtaas-whatif-resume jp-mod-styled jp-mod-accept"
            disabled={busy}
            title="Run the scenarios this sweep has not finished"
            onClick={() => void act(id => model.resume(id))}
          >
            Resume
          </Button>
        ) : null}
      </div>
      <div
        className="dtaas-whatif-progress-bar"
        role="progressbar"
        aria-valuemin={0}
        aria-valuemax={sweep.total}
        aria-valuenow={sweep.done}
        aria-label="Scenarios done"
      >
        <div
          className={`dtaas-whatif-progress-fill${running ? ' dtaas-mod-running' : ''}`}
          style={{ width: `${percent}%` }}
        />
        {sweep.total && sweep.failed ? (
          <div
            className="dtaas-whatif-progress-failed"
            style={{ width: `${Math.round((sweep.failed / sweep.total) * 100)}%` }}
          />
        ) : null}
      </div>
      <div className="dtaas-whatif-progress-meta dtaas-muted">
        <span>
          {sweep.step} · {sweep.backend ?? 'local'}
          {sweep.keep ? ` · notebooks kept: ${sweep.keep}` : ''}
        </span>
        {sweep.elapsed_s ? <span> · {etaText(sweep.elapsed_s)} elapsed</span> : null}
        <span className="dtaas-whatif-sweep-dir" title="Where its record and results are">
          {' '}
          · {sweep.dir}
        </span>
      </div>
      {sweep.note ? <div className="dtaas-muted dtaas-whatif-note">{sweep.note}</div> : null}
      <ErrorText text={sweep.error ?? ''} className="dtaas-whatif-sweep-error" />
      <ErrorText text={model.actionError} className="dtaas-whatif-action-error" />
    </div>
  );
}
