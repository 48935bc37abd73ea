/** The run selected: status, progress, actions, how it was run, failure, values, outputs, log. */
import { Button } from '@jupyterlab/ui-components';
import React, { useLayoutEffect, useMemo, useRef, useState } from 'react';

import { errorText } from '../api/client';
import { notebookHtmlUrl, outputsZipUrl } from '../api/runtime';
import type { Run } from '../api/types';
import {
  durationOf,
  formatDuration,
  formatTime,
  isFinished,
  parametersText,
  progressFraction,
  progressText,
  stepsOf,
  stripAnsi
} from '../domain/format';
import { RunsModel } from '../models/runs';
import { ErrorText, Muted } from './common';
import { IDTaaSContext } from './context';
import { LiveRun, SnapshotLines } from './LiveRun';
import { Outputs } from './Outputs';
import { ResultShareButton, ResultSharePanel } from './ResultShare';
import { RecordedValues } from './RunParts';

function InfoLine(props: { label: string; value: string; name: string }): JSX.Element {
  return (
    <div className="dtaas-run-info-line" data-info={props.name}>
      <span className="dtaas-label">{props.label}</span>
      <span className="dtaas-run-info-value">{props.value}</span>
    </div>
  );
}

function Progress(props: { run: Run }): JSX.Element {
  const fraction = progressFraction(props.run);
  const text = progressText(props.run);
  return (
    <div className="dtaas-run-progress-box">
      <div className="dtaas-run-progress">{text}</div>
      <div
        className="dtaas-run-progress-bar"
        role="progressbar"
        aria-label={text}
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={Math.round(fraction * 100)}
      >
        <div className="dtaas-run-progress-fill" style={{ width: `${fraction * 100}%` }} />
      </div>
    </div>
  );
}

/** The error, the failing step and cell, and its traceback. */
function Failure(props: { run: Run }): JSX.Element {
  const { run } = props;
  const failed = run.step_results?.find(r => r.status === 'failed');
  const cell = run.cell ?? failed?.cell ?? null;
  const traceback = run.traceback ?? failed?.traceback ?? '';
  const where = [failed?.step ? `step ${failed.step}` : '', cell !== null ? `cell ${cell + 1}` : '']
    .filter(Boolean)
    .join(', ');
  return (
    <div className="dtaas-run-failure">
      <div className="dtaas-error">
        {(where ? `Failed in ${where}: ` : '') + (run.error || 'the run failed')}
      </div>
      {traceback ? <pre className="dtaas-run-traceback">{stripAnsi(traceback)}</pre> : null}
    </div>
  );
}

/** The log, following its end unless the user scrolled up to read. */
function Log(props: { text: string }): JSX.Element {
  const box = useRef<HTMLPreElement>(null);
  const atEnd = useRef(true);
  const text = useMemo(() => stripAnsi(props.text), [props.text]);
  useLayoutEffect(() => {
    if (box.current && atEnd.current) {
      box.current.scrollTop = box.current.scrollHeight;
    }
  }, [text]);
  return (
    <pre
      className="dtaas-run-log"
      ref={box}
      tabIndex={0}
      onScroll={event => {
        const log = event.currentTarget;
        atEnd.current = log.scrollTop + log.clientHeight >= log.scrollHeight - 4;
      }}
    >
      {text}
    </pre>
  );
}

export function RunDetail(props: {
  run: Run;
  runs: RunsModel;
  context: IDTaaSContext;
  units: Record<string, string>;
}): JSX.Element {
  const { run, runs, context, units } = props;
  const [message, setMessage] = useState<{ text: string; error: boolean } | null>(null);
  const [busy, setBusy] = useState(false);
  const [sharing, setSharing] = useState(false);
  const active = !isFinished(run.status);
  const notebooks = run.notebooks?.length ? run.notebooks : run.notebook ? [run.notebook] : [];
  const outputs = runs.outputs?.run === run.id ? runs.outputs : null;
  const recorded = run.recorded ?? {};

  const cancel = async () => {
    setBusy(true);
    try {
      await runs.cancel(run.id);
      setMessage({ text: 'Cancelling…', error: false });
    } catch (reason) {
      setMessage({ text: `Cannot cancel: ${errorText(reason)}`, error: true });
    } finally {
      setBusy(false);
    }
  };
  const rerun = async () => {
    try {
      await runs.rerun(run); // selects the new run
    } catch (reason) {
      setMessage({ text: `Cannot start the run again: ${errorText(reason)}`, error: true });
    }
  };
  const openOutputs = () => {
    // a run that wrote nothing has no outputs folder: its own folder is the next best place
    context.goTo(outputs && outputs.files.length === 0 ? run.dir : `${run.dir}/outputs`);
  };

  return (
    <div className="dtaas-run-detail" data-run-id={run.id} data-status={run.status}>
      <div className="dtaas-run-detail-head">
        <h3 className="dtaas-run-detail-title">Run {run.id}</h3>
        <span className={`dtaas-run-detail-status dtaas-status-${run.status}`}>{run.status}</span>
      </div>
      {active ? <Progress run={run} /> : null}
      <div className="dtaas-run-actions">
        {active ? (
          <Button
            className="dtaas-run-cancel jp-mod-warn"
            disabled={busy}
            onClick={() => void cancel()}
          >
            Cancel
          </Button>
        ) : null}
        <Button
          className="dtaas-run-rerun"
          onClick={() => void rerun()}
          title="Run the same steps with the same values again"
        >
          Re-run
        </Button>
        <Button
          className="dtaas-run-open-outputs"
          disabled={!run.dir}
          onClick={openOutputs}
          title="Show the run's outputs in the file browser"
        >
          Open outputs folder
        </Button>
        {notebooks.map(path => {
          const name = path.split('/').pop() ?? path;
          return (
            <Button
              key={path}
              className="dtaas-run-open-notebook"
              data-path={path}
              title={path}
              onClick={() => context.open(path)}
            >
              Open {name}
            </Button>
          );
        })}
        {!active
          ? notebooks.map(path => (
              <a
                key={path}
                className="dtaas-run-export-html jp-Button jp-mod-styled"
                data-path={path}
                href={notebookHtmlUrl(path)}
                download
                title={`Download ${path} as HTML`}
              >
                Export {path.split('/').pop()} as HTML
              </a>
            ))
          : null}
        {!active ? (
          <a
            className="dtaas-run-download-zip jp-Button jp-mod-styled"
            href={outputsZipUrl(run.id)}
            download
            title="Download the outputs, executed notebooks and log as a zip"
          >
            Download outputs (zip)
          </a>
        ) : null}
        <ResultShareButton open={sharing} onClick={() => setSharing(!sharing)} />
      </div>
      {sharing ? <ResultSharePanel kind="runs" dt={run.dt} id={run.id} context={context} /> : null}
      <LiveRun run={run} runs={runs} context={context} units={units} />
      {message && (message.error || active) ? (
        message.error ? (
          <ErrorText text={message.text} className="dtaas-run-message" />
        ) : (
          <Muted className="dtaas-run-message">{message.text}</Muted>
        )
      ) : null}
      <div className="dtaas-run-info">
        <InfoLine name="steps" label="Steps" value={stepsOf(run).join(' → ')} />
        <SnapshotLines run={run} runs={runs} context={context} />
        <InfoLine name="config" label="Configuration" value={run.config ?? 'none'} />
        <InfoLine name="compute" label="Compute" value={run.profile ?? 'this workspace'} />
        <InfoLine name="started" label="Started" value={formatTime(run.started ?? run.created)} />
        <InfoLine
          name="duration"
          label="Duration"
          value={formatDuration(durationOf(run)) || '–'}
        />
        <InfoLine
          name="parameters"
          label="Parameters"
          value={parametersText(run.parameters) || 'defaults'}
        />
      </div>
      {run.status === 'failed' ? <Failure run={run} /> : null}
      {run.status === 'succeeded' || Object.keys(recorded).length > 0 ? (
        <>
          <h4 className="dtaas-section-title">Recorded values</h4>
          <RecordedValues recorded={recorded} units={units} />
        </>
      ) : null}
      {!active ? (
        <>
          <h4 className="dtaas-section-title">Outputs</h4>
          {outputs ? (
            <Outputs
              run={run}
              outputs={outputs}
              rendermime={context.rendermime}
              open={context.open}
            />
          ) : runs.outputsError ? (
            <ErrorText text={`Cannot list the outputs: ${runs.outputsError}`} />
          ) : (
            <Muted>Loading the outputs…</Muted>
          )}
        </>
      ) : null}
      <h4 className="dtaas-section-title">Log</h4>
      <Log text={runs.log} />
    </div>
  );
}
