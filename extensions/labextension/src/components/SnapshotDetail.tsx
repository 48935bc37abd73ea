/** The snapshot selected: label, delete, respawn, what it holds and what it could not keep. */
import { Dialog, showDialog } from '@jupyterlab/apputils';
import { Button } from '@jupyterlab/ui-components';
import React, { useState } from 'react';

import { errorText } from '../api/client';
import type { Snapshot, SnapshotSummary } from '../api/types';
import { formatSize, formatTime, parametersText } from '../domain/format';
import { initialProfile, profileOptions } from '../domain/parameters';
import {
  countsText,
  pointText,
  respawnStep,
  shortHash,
  sizesText,
  snapshotTitle
} from '../domain/snapshots';
import { SnapshotsModel } from '../models/snapshots';
import { TwinModel } from '../models/twin';
import { ErrorText, Muted } from './common';
import { IDTaaSContext } from './context';
import { useSignal } from './hooks';
import { ResultShareButton, ResultSharePanel } from './ResultShare';

function InfoLine(props: { label: string; name: string; children: React.ReactNode }): JSX.Element {
  return (
    <div className="dtaas-run-info-line" data-info={props.name}>
      <span className="dtaas-label">{props.label}</span>
      <span className="dtaas-run-info-value">{props.children}</span>
    </div>
  );
}

/** Rename in place: Enter or the button saves, the server's refusal shows below. */
function LabelEditor(props: { summary: SnapshotSummary; snapshots: SnapshotsModel }): JSX.Element {
  const { summary, snapshots } = props;
  const [text, setText] = useState(summary.label ?? '');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState('');
  const changed = text.trim() !== (summary.label ?? '');
  const save = async () => {
    if (!changed) {
      return;
    }
    setBusy(true);
    setError('');
    try {
      await snapshots.label(summary.id, text.trim());
    } catch (reason) {
      setError(`Cannot label the snapshot: ${errorText(reason)}`);
    } finally {
      setBusy(false);
    }
  };
  return (
    <div className="dtaas-snapshot-label-bar">
      <label className="dtaas-label" htmlFor={`dtaas-snapshot-label-${summary.id}`}>
        Label
      </label>
      <input
        id={`dtaas-snapshot-label-${summary.id}`}
        type="text"
        className="dtaas-snapshot-label-input jp-mod-styled"
        maxLength={200}
        value={text}
        disabled={busy}
        onChange={event => setText(event.target.value)}
        onKeyDown={event => {
          if (event.key === 'Enter') {
            event.preventDefault();
            void save();
          } else if (event.key === 'Escape') {
            setText(summary.label ?? '');
          }
        }}
      />
      <Button
        className="dtaas-snapshot-label-save jp-mod-styled jp-mod-reject"
        disabled={busy || !changed}
        onClick={() => void save()}
      >
        Rename
      </Button>
      <ErrorText text={error} className="dtaas-snapshot-label-error" />
    </div>
  );
}

/** Step and compute profile of a new run from the snapshot, and Respawn. */
function RespawnForm(props: {
  summary: SnapshotSummary;
  snapshots: SnapshotsModel;
  twin: TwinModel;
  context: IDTaaSContext;
}): JSX.Element {
  const { summary, snapshots, twin, context } = props;
  useSignal(context.settings.changed);
  const steps = (twin.info?.steps ?? []).map(s => s.name);
  const options = profileOptions(twin.profiles);
  const [step, setStep] = useState<string | null>(null);
  const [profile, setProfile] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState('');
  const chosenStep = step ?? respawnStep(summary, steps);
  const chosenProfile =
    profile !== null && options.some(o => o.value === profile)
      ? profile
      : initialProfile(options, context.settings.values.defaultProfile);
  const stepOptions = steps.includes(chosenStep) || !chosenStep ? steps : [chosenStep, ...steps];

  const respawn = async () => {
    setBusy(true);
    setError('');
    try {
      await snapshots.respawn(summary.id, { step: chosenStep, profile: chosenProfile });
      context.openAsset(twin.key, 'runs');
    } catch (reason) {
      setError(`Cannot respawn: ${errorText(reason)}`);
    } finally {
      setBusy(false);
    }
  };
  return (
    <div className="dtaas-respawn">
      <h4 className="dtaas-section-title">Respawn</h4>
      <div className="dtaas-respawn-fields">
        <label className="dtaas-respawn-field">
          <span className="dtaas-label">Step</span>
          <select
            className="dtaas-respawn-step dtaas-select"
            aria-label="Step to run"
            value={chosenStep}
            disabled={busy}
            onChange={event => setStep(event.target.value)}
          >
            {stepOptions.map(name => (
              <option key={name} value={name}>
                {name}
              </option>
            ))}
          </select>
        </label>
        <label className="dtaas-respawn-field">
          <span className="dtaas-label">Compute</span>
          <select
            className="dtaas-respawn-profile dtaas-select"
            aria-label="Compute profile"
            value={chosenProfile}
            disabled={busy || options.length < 2}
            onChange={event => setProfile(event.target.value)}
          >
            {options.map(option => (
              <option key={option.value} value={option.value} title={option.title}>
                {option.label}
              </option>
            ))}
          </select>
        </label>
        <Button
          className="dtaas-respawn-start jp-mod-styled jp-mod-accept"
          disabled={busy || !chosenStep}
          title={
            summary.live
              ? `A new run: files and variables put back, the loop going on from tick ${summary.tick ?? 0}`
              : 'A new run: files and variables put back before the step runs'
          }
          onClick={() => void respawn()}
        >
          {busy ? 'Respawning…' : 'Respawn'}
        </Button>
      </div>
      <ErrorText text={error} className="dtaas-respawn-error" />
    </div>
  );
}

function Holdings(props: { detail: Snapshot }): JSX.Element {
  const { detail } = props;
  const files = detail.files ?? [];
  const variables = detail.variables ?? [];
  const skipped = detail.skipped ?? [];
  return (
    <>
      <h4 className="dtaas-section-title">Files</h4>
      {files.length ? (
        <table className="dtaas-snapshot-table dtaas-snapshot-files">
          <thead>
            <tr>
              <th>Path</th>
              <th>Size</th>
              <th>sha256</th>
            </tr>
          </thead>
          <tbody>
            {files.map(file => (
              <tr key={file.path} className="dtaas-snapshot-file" data-path={file.path}>
                <td className="dtaas-snapshot-file-path">{file.path}</td>
                <td className="dtaas-num">{formatSize(file.size)}</td>
                <td>
                  <code className="dtaas-hash" title={file.sha256}>
                    {shortHash(file.sha256)}
                  </code>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : (
        <Muted>No files</Muted>
      )}
      <h4 className="dtaas-section-title">Variables</h4>
      {variables.length ? (
        <table className="dtaas-snapshot-table dtaas-snapshot-variables">
          <thead>
            <tr>
              <th>Name</th>
              <th>Type</th>
              <th>Size</th>
              <th>sha256</th>
            </tr>
          </thead>
          <tbody>
            {variables.map(variable => (
              <tr key={variable.name} className="dtaas-snapshot-variable" data-name={variable.name}>
                <td>
                  <code>{variable.name}</code>
                </td>
                <td className="dtaas-snapshot-variable-type">{variable.type}</td>
                <td className="dtaas-num">{formatSize(variable.size)}</td>
                <td>
                  <code className="dtaas-hash" title={variable.sha256}>
                    {shortHash(variable.sha256)}
                  </code>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : (
        <Muted>{detail.live ? 'No variables' : 'No kernel variables (taken after the run ended)'}</Muted>
      )}
      {skipped.length ? (
        <>
          <h4 className="dtaas-section-title">Skipped</h4>
          <table className="dtaas-snapshot-table dtaas-snapshot-skipped">
            <thead>
              <tr>
                <th>Name</th>
                <th>Type</th>
                <th>Why</th>
              </tr>
            </thead>
            <tbody>
              {skipped.map(variable => (
                <tr key={variable.name} className="dtaas-snapshot-skip" data-name={variable.name}>
                  <td>
                    <code>{variable.name}</code>
                  </td>
                  <td>{variable.type}</td>
                  <td className="dtaas-snapshot-skip-reason">{variable.reason}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      ) : null}
    </>
  );
}

export function SnapshotDetail(props: {
  summary: SnapshotSummary;
  snapshots: SnapshotsModel;
  twin: TwinModel;
  context: IDTaaSContext;
}): JSX.Element {
  const { summary, snapshots, twin, context } = props;
  const detail = snapshots.detail;
  const [error, setError] = useState('');
  const [sharing, setSharing] = useState(false);
  const runs = snapshots.runs;

  const remove = async () => {
    const answer = await showDialog({
      title: 'Delete snapshot?',
      body: `Delete the snapshot "${snapshotTitle(summary)}"? Runs respawned from it keep their files.`,
      buttons: [Dialog.cancelButton(), Dialog.warnButton({ label: 'Delete' })]
    });
    if (!answer.button.accept) {
      return;
    }
    try {
      await snapshots.remove(summary.id);
    } catch (reason) {
      setError(`Cannot delete the snapshot: ${errorText(reason)}`);
    }
  };
  const showRun = () => {
    runs.select(summary.run);
    context.openAsset(twin.key, 'runs');
  };

  return (
    <div className="dtaas-snapshot-detail" data-snapshot-id={summary.id}>
      <div className="dtaas-snapshot-detail-head">
        <h3 className="dtaas-snapshot-detail-title">{snapshotTitle(summary)}</h3>
        {summary.live ? <span className="dtaas-live-badge">live</span> : null}
        <span className="dtaas-spacer" />
        <ResultShareButton open={sharing} onClick={() => setSharing(!sharing)} />
        <Button className="dtaas-snapshot-delete jp-mod-styled jp-mod-warn" onClick={() => void remove()}>
          Delete
        </Button>
      </div>
      <ErrorText text={error} className="dtaas-snapshot-error" />
      {sharing ? (
        <ResultSharePanel kind="snapshots" dt={summary.dt} id={summary.id} context={context} />
      ) : null}
      <LabelEditor key={summary.label ?? ''} summary={summary} snapshots={snapshots} />
      <div className="dtaas-run-info dtaas-snapshot-info">
        <InfoLine name="id" label="Id">
          <code>{summary.id}</code>
        </InfoLine>
        <InfoLine name="taken" label="Taken">
          {formatTime(summary.created)}
        </InfoLine>
        <InfoLine name="run" label="Of run">
          <Button
            className="dtaas-snapshot-show-run dtaas-link-button"
            minimal
            small
            title="Show the run on the Runs tab"
            onClick={showRun}
          >
            {summary.run}
          </Button>
        </InfoLine>
        <InfoLine name="point" label="Step, tick">
          {pointText(summary)}
        </InfoLine>
        <InfoLine name="size" label="Size">
          {sizesText(summary)}
        </InfoLine>
        <InfoLine name="counts" label="Holds">
          {countsText(summary)}
        </InfoLine>
        {detail ? (
          <>
            <InfoLine name="config" label="Configuration">
              {detail.config ?? 'none'}
            </InfoLine>
            <InfoLine name="parameters" label="Parameters">
              {parametersText(detail.parameters) || 'defaults'}
            </InfoLine>
          </>
        ) : null}
      </div>
      <RespawnForm summary={summary} snapshots={snapshots} twin={twin} context={context} />
      <ErrorText text={snapshots.detailError} className="dtaas-snapshot-detail-error" />
      {detail ? <Holdings detail={detail} /> : snapshots.detailError ? null : <Muted>Loading…</Muted>}
    </div>
  );
}
