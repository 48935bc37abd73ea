/**
 * A run's live side on the Runs tab: its tick and latest values while a `dtaas.ticks()`
 * loop goes on, Stop, Save (live or ended), and the snapshot it was respawned from.
 */
import { Button } from '@jupyterlab/ui-components';
import React, { useEffect, useState } from 'react';

import { errorText } from '../api/client';
import type { IAssetKey, Run, Snapshot } from '../api/types';
import { isFinished } from '../domain/format';
import {
  canSave,
  isLiveRunning,
  liveText,
  liveValues,
  snapshotTitle
} from '../domain/snapshots';
import { RunsModel } from '../models/runs';
import { snapshotsOf } from '../models/snapshots';
import { ErrorText, Muted } from './common';
import { IDTaaSContext } from './context';
import { useSignal } from './hooks';

/** The page of the twin whose runs these are. */
export function twinKeyOf(runs: RunsModel): IAssetKey {
  return { scope: runs.scope, type: 'digital_twins', name: runs.dt };
}

/** Show a snapshot on the twin's Snapshots tab. */
export function showSnapshot(runs: RunsModel, context: IDTaaSContext, id: string): void {
  snapshotsOf(runs).select(id);
  context.openAsset(twinKeyOf(runs), 'snapshots');
}

type SaveMessage =
  | { kind: 'saved'; snapshot: Snapshot }
  | { kind: 'pending'; text: string }
  | { kind: 'error'; text: string };

/** The latest value of each record, with its unit; the tick the loop is at. */
function LiveValues(props: { run: Run; units: Record<string, string> }): JSX.Element | null {
  const live = props.run.live;
  if (!live) {
    return null;
  }
  const values = liveValues(live, props.units);
  const running = isLiveRunning(props.run);
  return (
    <div className="dtaas-live-state">
      <div className="dtaas-live-head">
        <span className={`dtaas-live-badge${running ? ' dtaas-mod-running' : ''}`}>
          {running ? 'live' : 'was live'}
        </span>
        <span className="dtaas-live-tick" data-tick={live.tick}>
          {liveText(live)}
        </span>
      </div>
      {values.length ? (
        <table className="dtaas-live-values">
          <tbody>
            {values.map(v => (
              <tr key={v.name} className="dtaas-live-value" data-name={v.name}>
                <th className="dtaas-live-value-name">{v.name}</th>
                <td className="dtaas-num dtaas-live-value-value">{v.value}</td>
                <td className="dtaas-live-value-unit">{v.unit}</td>
                <td className="dtaas-live-value-series">
                  {v.series ? `records/${v.name}.csv` : ''}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : (
        <Muted>No live values yet</Muted>
      )}
    </div>
  );
}

/**
 * Live values, Stop while the loop goes on, and Save: a live run is saved between two
 * ticks and goes on; an ended run keeps its state folder and outputs.
 */
export function LiveRun(props: {
  run: Run;
  runs: RunsModel;
  context: IDTaaSContext;
  units: Record<string, string>;
}): JSX.Element | null {
  const { run, runs, context, units } = props;
  const [label, setLabel] = useState('');
  const [saving, setSaving] = useState(false);
  const [stopping, setStopping] = useState(false);
  const [message, setMessage] = useState<SaveMessage | null>(null);
  const [stopError, setStopError] = useState('');
  const running = isLiveRunning(run);
  const live = !!run.live;
  if (!live && !canSave(run)) {
    return null;
  }

  const save = async () => {
    setSaving(true);
    setMessage(null);
    try {
      const result = await snapshotsOf(runs).save(run.id, label);
      setLabel('');
      setMessage(
        result.snapshot
          ? { kind: 'saved', snapshot: result.snapshot }
          : {
              kind: 'pending',
              text: `The snapshot will be taken when step ${result.run.step ?? run.step ?? ''} ends.`
            }
      );
    } catch (reason) {
      setMessage({ kind: 'error', text: `Cannot save: ${errorText(reason)}` });
    } finally {
      setSaving(false);
    }
  };
  const stop = async () => {
    setStopping(true);
    setStopError('');
    try {
      await runs.stop(run.id);
    } catch (reason) {
      setStopError(`Cannot stop: ${errorText(reason)}`);
    } finally {
      setStopping(false);
    }
  };

  return (
    <div
      className="dtaas-live"
      data-live={live ? (running ? 'running' : 'ended') : 'no'}
      data-tick={run.live?.tick ?? ''}
    >
      {live ? <h4 className="dtaas-section-title">Live</h4> : null}
      <LiveValues run={run} units={units} />
      <div className="dtaas-live-actions">
        <input
          type="text"
          className="dtaas-live-label jp-mod-styled"
          aria-label="Snapshot label"
          placeholder="label (optional)"
          maxLength={200}
          value={label}
          disabled={saving}
          onChange={event => setLabel(event.target.value)}
          onKeyDown={event => {
            if (event.key === 'Enter') {
              event.preventDefault();
              void save();
            }
          }}
        />
        <Button
          className="dtaas-live-save jp-mod-styled jp-mod-accept"
          disabled={saving}
          title={
            running
              ? 'Take a snapshot between two ticks; the run goes on'
              : isFinished(run.status)
                ? 'Take a snapshot of what the run left: its state folder and outputs'
                : 'Take a snapshot when the step running now ends'
          }
          onClick={() => void save()}
        >
          {saving ? 'Saving…' : 'Save'}
        </Button>
        {running ? (
          <Button
            className="dtaas-live-stop jp-mod-styled jp-mod-warn"
            disabled={stopping || !!run.stop_requested}
            title="End the live loop after its tick, then the twin's terminate step"
            onClick={() => void stop()}
          >
            {run.stop_requested ? 'Stopping…' : 'Stop'}
          </Button>
        ) : null}
      </div>
      {message?.kind === 'saved' ? (
        <div className="dtaas-live-saved" role="status" data-snapshot-id={message.snapshot.id}>
          <span>
            Saved snapshot{' '}
            <span className="dtaas-live-saved-label">{snapshotTitle(message.snapshot)}</span>
            {message.snapshot.label ? (
              <span className="dtaas-live-saved-id"> ({message.snapshot.id})</span>
            ) : null}
          </span>
          <Button
            className="dtaas-live-show-snapshot"
            minimal
            small
            onClick={() => showSnapshot(runs, context, message.snapshot.id)}
          >
            Show in Snapshots
          </Button>
        </div>
      ) : message?.kind === 'pending' ? (
        <Muted className="dtaas-live-saved">{message.text}</Muted>
      ) : message?.kind === 'error' ? (
        <ErrorText text={message.text} className="dtaas-live-error" />
      ) : null}
      <ErrorText text={stopError} className="dtaas-live-error" />
    </div>
  );
}

/** "Respawned from <snapshot>" and the snapshots taken of the run, each a way to it. */
export function SnapshotLines(props: {
  run: Run;
  runs: RunsModel;
  context: IDTaaSContext;
}): JSX.Element | null {
  const { run, runs, context } = props;
  const snapshots = snapshotsOf(runs);
  useSignal(snapshots.changed);
  const taken = run.snapshots ?? [];
  const wanted = !!run.snapshot || taken.length > 0;
  useEffect(() => {
    // names rather than ids: the list once, if nothing listed it yet
    if (wanted && !snapshots.loaded) {
      void snapshots.refresh();
    }
  }, [wanted, snapshots]);
  if (!wanted) {
    return null;
  }
  const link = (id: string, className: string) => {
    const listed = snapshots.find(id);
    return (
      <Button
        key={id}
        className={`${className} dtaas-link-button`}
        minimal
        small
        data-snapshot-id={id}
        title={`Show snapshot ${id}`}
        onClick={() => showSnapshot(runs, context, id)}
      >
        {listed ? snapshotTitle(listed) : id}
      </Button>
    );
  };
  return (
    <>
      {run.snapshot ? (
        <div className="dtaas-run-info-line" data-info="snapshot">
          <span className="dtaas-label">Respawned from</span>
          <span className="dtaas-run-info-value dtaas-run-respawned-from">
            {link(run.snapshot, 'dtaas-run-snapshot')}
            {run.live && run.live.tick > 0 && snapshots.find(run.snapshot)?.tick != null
              ? ` at tick ${snapshots.find(run.snapshot)?.tick}`
              : ''}
          </span>
        </div>
      ) : null}
      {taken.length ? (
        <div className="dtaas-run-info-line" data-info="snapshots">
          <span className="dtaas-label">Snapshots</span>
          <span className="dtaas-run-info-value dtaas-run-snapshots">
            {taken.map(id => link(id, 'dtaas-run-taken-snapshot'))}
          </span>
        </div>
      ) : null}
    </>
  );
}
