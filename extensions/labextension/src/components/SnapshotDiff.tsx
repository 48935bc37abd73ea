/** What changed from one ticked snapshot to the other: files, variables and parameters. */
import { Button } from '@jupyterlab/ui-components';
import React from 'react';

import { changeRows, IChange, parameterChanges, sameContent, snapshotTitle } from '../domain/snapshots';
import { SnapshotsModel } from '../models/snapshots';
import { ErrorText, Muted } from './common';

const CHANGE_LABELS: Record<IChange['change'], string> = {
  added: 'added',
  removed: 'removed',
  changed: 'changed'
};

function Changes(props: { title: string; name: string; rows: IChange[] }): JSX.Element {
  return (
    <div className={`dtaas-snapshot-diff-part dtaas-snapshot-diff-${props.name}`}>
      <h5 className="dtaas-snapshot-subtitle">{props.title}</h5>
      {props.rows.length ? (
        <ul className="dtaas-snapshot-changes">
          {props.rows.map(row => (
            <li
              key={`${row.change}:${row.name}`}
              className={`dtaas-snapshot-change dtaas-mod-${row.change}`}
              data-name={row.name}
              data-change={row.change}
            >
              <span className="dtaas-snapshot-change-kind">{CHANGE_LABELS[row.change]}</span>
              <code className="dtaas-snapshot-change-name">{row.name}</code>
            </li>
          ))}
        </ul>
      ) : (
        <Muted>no differences</Muted>
      )}
    </div>
  );
}

export function SnapshotDiffView(props: { model: SnapshotsModel }): JSX.Element {
  const { model } = props;
  const diff = model.diff;
  const a = model.find(diff?.a);
  const b = model.find(diff?.b);
  const parameters = parameterChanges(diff);
  return (
    <div className="dtaas-snapshot-diff" data-a={diff?.a ?? ''} data-b={diff?.b ?? ''}>
      <div className="dtaas-snapshot-diff-head">
        <h4 className="dtaas-section-title">
          {diff
            ? `From ${a ? snapshotTitle(a) : diff.a} to ${b ? snapshotTitle(b) : diff.b}`
            : 'Differences'}
        </h4>
        <Button
          className="dtaas-snapshot-diff-clear"
          minimal
          small
          onClick={() => model.clearTicked()}
        >
          Clear
        </Button>
      </div>
      <ErrorText text={model.diffError} className="dtaas-snapshot-diff-error" />
      {diff ? (
        <>
          {sameContent(diff) ? (
            <Muted className="dtaas-snapshot-diff-same">The two snapshots hold the same.</Muted>
          ) : null}
          <Changes title="Files" name="files" rows={changeRows(diff.files)} />
          <Changes title="Variables" name="variables" rows={changeRows(diff.variables)} />
          <div className="dtaas-snapshot-diff-part dtaas-snapshot-diff-parameters">
            <h5 className="dtaas-snapshot-subtitle">Parameters</h5>
            {parameters.length ? (
              <table className="dtaas-snapshot-table">
                <thead>
                  <tr>
                    <th>Parameter</th>
                    <th>{a ? snapshotTitle(a) : diff.a}</th>
                    <th>{b ? snapshotTitle(b) : diff.b}</th>
                  </tr>
                </thead>
                <tbody>
                  {parameters.map(p => (
                    <tr key={p.name} data-name={p.name}>
                      <th>
                        <code>{p.name}</code>
                      </th>
                      <td className="dtaas-num">{p.a}</td>
                      <td className="dtaas-num">{p.b}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            ) : (
              <Muted>the same values</Muted>
            )}
          </div>
        </>
      ) : model.diffError ? null : (
        <Muted>Comparing…</Muted>
      )}
    </div>
  );
}
