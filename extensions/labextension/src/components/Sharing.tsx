/**
 * The Sharing tab of a twin's or an asset's page: who has access, fork into the user's
 * library, publish to the common library and, for a common asset, its versions.
 */
import { Button } from '@jupyterlab/ui-components';
import React, { useEffect, useState } from 'react';

import { ApiError, errorText } from '../api/client';
import type { Problem, PublishRequest } from '../api/types';
import { formatTime } from '../domain/format';
import {
  errorField,
  hasRole,
  nextVersion,
  problemsOf,
  sharedWithText,
  statusText,
  VERSION
} from '../domain/sharing';
import { LiveSharesModel } from '../models/liveshares';
import { SharingModel, sharingOf } from '../models/sharing';
import { TwinModel } from '../models/twin';
import { ErrorText, Muted, ProblemList, Section } from './common';
import { IDTaaSContext } from './context';
import { useSignal } from './hooks';
import { LiveSharesPanel } from './LiveShares';
import { GrantsSection } from './SharingGrants';

/** The fork form's state, shared by Fork and the versions' own fork buttons. */
interface IForkState {
  name: string;
  setName: (name: string) => void;
  busy: string | null;
  error: string;
  fork: (version?: string) => Promise<void>;
}

function useFork(sharing: SharingModel, context: IDTaaSContext): IForkState {
  const [name, setName] = useState(sharing.key.name);
  const [busy, setBusy] = useState<string | null>(null);
  const [error, setError] = useState('');
  const fork = async (version?: string) => {
    setBusy(version ?? '');
    setError('');
    try {
      const created = await sharing.fork(name, version);
      void context.library.search();
      context.openAsset({
        scope: created.scope || 'private',
        type: created.type || sharing.key.type,
        name: created.name,
        title: created.title
      });
    } catch (reason) {
      setError(`Cannot fork: ${errorText(reason)}`);
    } finally {
      setBusy(null);
    }
  };
  return { name, setName, busy, error, fork };
}

function ForkSection(props: { sharing: SharingModel; fork: IForkState }): JSX.Element {
  const { sharing, fork } = props;
  if (!hasRole(sharing.role, 'fork')) {
    return (
      <Muted className="dtaas-fork-needs">
        Forking needs the fork role; you have {sharing.role ?? 'no'} access.
      </Muted>
    );
  }
  return (
    <form
      className="dtaas-fork-form"
      onSubmit={event => {
        event.preventDefault();
        void fork.fork();
      }}
    >
      <label className="dtaas-share-field">
        <span className="dtaas-label">Name in my library</span>
        <input
          type="text"
          className="dtaas-fork-name jp-mod-styled"
          aria-label="Name in my library"
          aria-invalid={!!fork.error}
          value={fork.name}
          disabled={fork.busy !== null}
          spellCheck={false}
          autoComplete="off"
          onChange={event => fork.setName(event.target.value)}
        />
        <ErrorText text={fork.error} className="dtaas-field-error dtaas-fork-error" />
      </label>
      <Button
        type="submit"
        className="dtaas-fork jp-mod-styled jp-mod-accept"
        disabled={fork.busy !== null || !fork.name.trim()}
        title="Copy it into your own library, where you may change and run it"
      >
        {fork.busy === '' ? 'Forking…' : 'Fork to my library'}
      </Button>
    </form>
  );
}

function RequestRow(props: { request: PublishRequest }): JSX.Element {
  const { request } = props;
  return (
    <tr className="dtaas-publish-request" data-request-id={request.id} data-status={request.status}>
      <td className="dtaas-publish-request-version">{request.version}</td>
      <td>
        <span className={`dtaas-publish-status dtaas-publish-status-${request.status}`}>
          {statusText(request)}
        </span>
        {request.problems?.length ? <ProblemList problems={request.problems} /> : null}
      </td>
      <td className="dtaas-publish-request-note">{request.note}</td>
      <td title={request.decided ? `decided ${formatTime(request.decided)}` : ''}>
        {formatTime(request.created)}
      </td>
    </tr>
  );
}

const PUBLISH_FIELDS = ['version', 'note', 'form'] as const;
type PublishField = (typeof PUBLISH_FIELDS)[number];

function PublishSection(props: { sharing: SharingModel; version: string }): JSX.Element {
  const { sharing } = props;
  const [version, setVersion] = useState(props.version || '1.0');
  const [note, setNote] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<{ field: PublishField; text: string } | null>(null);
  const [problems, setProblems] = useState<Problem[]>([]);
  const versionOk = VERSION.test(version.trim());

  const publish = async () => {
    setBusy(true);
    setError(null);
    setProblems([]);
    try {
      await sharing.publish(version, note);
      setNote('');
      setVersion(nextVersion(version.trim())); // the next request is of a newer one
    } catch (reason) {
      const body = reason instanceof ApiError ? reason.body : {};
      setProblems(problemsOf(body));
      const named = reason instanceof ApiError ? reason.field : '';
      setError({
        field: errorField(named, PUBLISH_FIELDS, reason instanceof ApiError && reason.status === 409 ? 'version' : 'form'),
        text: `Cannot request publication: ${errorText(reason)}`
      });
    } finally {
      setBusy(false);
    }
  };
  const errorAt = (field: PublishField) =>
    error?.field === field ? (
      <ErrorText text={error.text} className={`dtaas-field-error dtaas-publish-${field}-error`} />
    ) : null;
  const requests = sharing.requests;
  return (
    <div className="dtaas-publish">
      <form
        className="dtaas-publish-form"
        onSubmit={event => {
          event.preventDefault();
          void publish();
        }}
      >
        <label className="dtaas-share-field">
          <span className="dtaas-label">Version</span>
          <input
            type="text"
            className="dtaas-publish-version jp-mod-styled"
            aria-label="Version"
            aria-invalid={!versionOk || error?.field === 'version'}
            placeholder="1.0"
            value={version}
            disabled={busy}
            onChange={event => setVersion(event.target.value)}
          />
          {!versionOk && version.trim() ? (
            <div className="dtaas-field-hint">A version is N.N or N.N.N</div>
          ) : null}
          {errorAt('version')}
        </label>
        <label className="dtaas-share-field dtaas-publish-note-field">
          <span className="dtaas-label">Change note</span>
          <textarea
            className="dtaas-publish-note jp-mod-styled"
            aria-label="Change note"
            rows={2}
            value={note}
            disabled={busy}
            placeholder="What changed, for the curators and the people who use it"
            onChange={event => setNote(event.target.value)}
          />
          {errorAt('note')}
        </label>
        <Button
          type="submit"
          className="dtaas-publish-request-button jp-mod-styled jp-mod-accept"
          disabled={busy || !versionOk}
          title="Ask the curators to copy it into the common library"
        >
          {busy ? 'Requesting…' : 'Request publication'}
        </Button>
      </form>
      {errorAt('form')}
      {problems.length ? (
        <div className="dtaas-publish-problems">
          <div className="dtaas-label">Fix these before it can be published:</div>
          <ProblemList problems={problems} />
        </div>
      ) : null}
      <ErrorText text={sharing.requestsError} className="dtaas-publish-requests-error" />
      {requests.length ? (
        <table className="dtaas-publish-requests">
          <thead>
            <tr>
              <th>Version</th>
              <th>Status</th>
              <th>Note</th>
              <th>Asked</th>
            </tr>
          </thead>
          <tbody>
            {requests.map(r => (
              <RequestRow key={r.id} request={r} />
            ))}
          </tbody>
        </table>
      ) : (
        <Muted className="dtaas-publish-none">No publish requests of it yet.</Muted>
      )}
    </div>
  );
}

function VersionsSection(props: { sharing: SharingModel; fork: IForkState }): JSX.Element {
  const { sharing, fork } = props;
  const canFork = hasRole(sharing.role, 'fork');
  if (!sharing.versionsLoaded) {
    return <Muted>Loading…</Muted>;
  }
  return (
    <>
      <ErrorText text={sharing.versionsError} className="dtaas-versions-error" />
      {sharing.versions.length ? (
        <table className="dtaas-versions">
          <thead>
            <tr>
              <th>Version</th>
              <th>Published</th>
              <th>By</th>
              <th>Note</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {sharing.versions.map(v => (
              <tr
                key={v.version}
                className="dtaas-version-row"
                data-version={v.version}
                data-current={v.current}
              >
                <td>
                  {v.version}
                  {v.current ? <span className="dtaas-version-current">current</span> : null}
                </td>
                <td>{formatTime(v.published)}</td>
                <td>{v.by}</td>
                <td className="dtaas-version-note">{v.note}</td>
                <td>
                  {canFork && !v.current ? (
                    <Button
                      small
                      className="dtaas-version-fork jp-mod-styled"
                      disabled={fork.busy !== null || !fork.name.trim()}
                      title={`Fork version ${v.version} as ${fork.name} into your library`}
                      onClick={() => void fork.fork(v.version)}
                    >
                      {fork.busy === v.version ? 'Forking…' : `Fork ${v.version}`}
                    </Button>
                  ) : null}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : (
        <Muted className="dtaas-versions-none">No versions recorded.</Muted>
      )}
    </>
  );
}

let liveShares: LiveSharesModel | null = null;

/** Sharing the running workspace itself: one model for every page. */
function LiveSharesSection(): JSX.Element {
  liveShares = liveShares ?? new LiveSharesModel();
  return (
    <Section title="Share your running workspace" className="dtaas-live-sharing">
      <LiveSharesPanel model={liveShares} />
    </Section>
  );
}

export function Sharing(props: { model: TwinModel; context: IDTaaSContext }): JSX.Element {
  const { model, context } = props;
  const sharing = sharingOf(model, context);
  useSignal(sharing.changed);
  useSignal(model.changed);
  useEffect(() => {
    const watch = sharing.watch();
    return () => watch.dispose();
  }, [sharing, model.detail]);
  const fork = useFork(sharing, context);
  const { key } = model;
  const role = sharing.role;
  const common = key.scope === 'common';
  return (
    <div className="dtaas-sharing" data-role={role ?? ''} data-ref={model.ref}>
      {sharing.canManage ? (
        <Section title="Who has access" className="dtaas-access">
          <GrantsSection sharing={sharing} />
        </Section>
      ) : (
        <div className="dtaas-shared-with-you" data-role={role ?? ''}>
          {sharedWithText(role, key.scope)}
        </div>
      )}
      {key.scope !== 'private' ? (
        <Section title="Fork" className="dtaas-fork">
          <ForkSection sharing={sharing} fork={fork} />
        </Section>
      ) : null}
      {sharing.canPublish ? (
        <Section title="Publish to the common library" className="dtaas-publish">
          <PublishSection sharing={sharing} version={model.detail?.version ?? ''} />
        </Section>
      ) : null}
      {common ? (
        <Section title="Versions" className="dtaas-versions">
          <VersionsSection sharing={sharing} fork={fork} />
        </Section>
      ) : null}
      <LiveSharesSection />
    </div>
  );
}
