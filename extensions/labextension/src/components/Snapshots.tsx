/**
 * A twin's Snapshots tab: the snapshots taken of its runs, the one selected in detail
 * (label, delete, respawn, its files and variables), and the differences of two ticked.
 */
import { Button, refreshIcon } from '@jupyterlab/ui-components';
import React, { useEffect } from 'react';

import type { SnapshotSummary } from '../api/types';
import { formatTime } from '../domain/format';
import { countsText, pointText, sizesText, snapshotTitle } from '../domain/snapshots';
import { RunsModel } from '../models/runs';
import { SnapshotsModel, snapshotsOf } from '../models/snapshots';
import { TwinModel } from '../models/twin';
import { ErrorText, Muted } from './common';
import { IDTaaSContext } from './context';
import { useSignal } from './hooks';
import { SnapshotDetail } from './SnapshotDetail';
import { SnapshotDiffView } from './SnapshotDiff';

function SnapshotRow(props: {
  snapshot: SnapshotSummary;
  model: SnapshotsModel;
  selected: boolean;
  ticked: boolean;
}): JSX.Element {
  const { snapshot, model } = props;
  const select = () => model.select(snapshot.id);
  return (
    <tr
      className={`dtaas-snapshot-row${props.selected ? ' jp-mod-selected' : ''}`}
      data-snapshot-id={snapshot.id}
      data-run-id={snapshot.run}
      tabIndex={0}
      aria-selected={props.selected}
      title={snapshot.id}
      onClick={select}
      onKeyDown={event => {
        if (event.target === event.currentTarget && (event.key === 'Enter' || event.key === ' ')) {
          event.preventDefault();
          select();
        }
      }}
    >
      <td className="dtaas-snapshot-tick-cell">
        <input
          type="checkbox"
          className="dtaas-snapshot-compare"
          checked={props.ticked}
          aria-label={`Compare snapshot ${snapshot.id}`}
          title="Tick two snapshots to see what changed"
          onClick={event => event.stopPropagation()}
          onChange={() => model.toggleTicked(snapshot.id)}
        />
      </td>
      <td className="dtaas-snapshot-row-label">{snapshotTitle(snapshot)}</td>
      <td className="dtaas-snapshot-row-created">{formatTime(snapshot.created)}</td>
      <td className="dtaas-snapshot-row-run" title={snapshot.run}>
        {snapshot.run.slice(-6)}
      </td>
      <td className="dtaas-snapshot-row-point" data-tick={snapshot.live ? (snapshot.tick ?? '') : ''}>
        {pointText(snapshot)}
      </td>
      <td className="dtaas-num dtaas-snapshot-row-size">{sizesText(snapshot)}</td>
      <td className="dtaas-snapshot-row-counts">{countsText(snapshot)}</td>
    </tr>
  );
}

function SnapshotsTable(props: { model: SnapshotsModel }): JSX.Element {
  const { model } = props;
  return (
    <div className="dtaas-snapshots-table-wrap">
      <table className="dtaas-snapshots-table">
        <thead>
          <tr>
            <th className="dtaas-snapshot-tick-cell" title="Tick two snapshots to compare them">
              Diff
            </th>
            <th>Label</th>
            <th>Taken</th>
            <th>Run</th>
            <th>Step, tick</th>
            <th>Size</th>
            <th>Holds</th>
          </tr>
        </thead>
        <tbody>
          {model.list.map(snapshot => (
            <SnapshotRow
              key={snapshot.id}
              snapshot={snapshot}
              model={model}
              selected={snapshot.id === model.selectedId}
              ticked={model.ticked.includes(snapshot.id)}
            />
          ))}
        </tbody>
      </table>
    </div>
  );
}

export function Snapshots(props: {
  model: TwinModel;
  runs: RunsModel;
  context: IDTaaSContext;
}): JSX.Element {
  const { model, runs, context } = props;
  const snapshots = snapshotsOf(runs);
  useSignal(snapshots.changed);
  useSignal(model.changed);
  useEffect(() => {
    const watching = snapshots.watch();
    return () => watching.dispose();
  }, [snapshots]);

  const selected = snapshots.selected;
  const ticked = snapshots.ticked.length;
  return (
    <div className="dtaas-snapshots" data-dt={snapshots.dt} data-scope={snapshots.scope}>
      <div className="dtaas-snapshots-head">
        <h3 className="dtaas-snapshots-title">Snapshots</h3>
        <span className="dtaas-spacer" />
        <Button
          className="dtaas-snapshots-refresh"
          minimal
          title="Refresh"
          aria-label="Refresh"
          onClick={() => void snapshots.refresh()}
        >
          <refreshIcon.react tag="span" />
        </Button>
      </div>
      <ErrorText text={snapshots.error} className="dtaas-snapshots-error" />
      {snapshots.list.length > 0 ? (
        <SnapshotsTable model={snapshots} />
      ) : snapshots.loaded ? (
        <Muted className="dtaas-snapshots-empty">
          No snapshots yet. Save a run on the Runs tab to keep its state, outputs and variables.
        </Muted>
      ) : snapshots.error ? null : (
        <Muted>Loading…</Muted>
      )}
      {ticked === 2 ? (
        <SnapshotDiffView model={snapshots} />
      ) : ticked === 1 ? (
        <Muted className="dtaas-snapshot-diff-hint">Tick another snapshot to see what changed.</Muted>
      ) : ticked > 2 ? (
        <Muted className="dtaas-snapshot-diff-hint">Tick two snapshots only to compare them.</Muted>
      ) : null}
      {selected ? (
        <SnapshotDetail
          key={selected.id}
          summary={selected}
          snapshots={snapshots}
          twin={model}
          context={context}
        />
      ) : null}
    </div>
  );
}
