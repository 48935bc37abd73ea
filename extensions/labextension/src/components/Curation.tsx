/**
 * The curators' queue in the main area: pending publish requests with their problems
 * and their differences to the common library, file by file; Approve, or Reject with a
 * reason the requester reads.
 */
import { Button, ReactWidget, refreshIcon } from '@jupyterlab/ui-components';
import React, { useEffect, useState } from 'react';

import { ApiError, errorText } from '../api/client';
import type { PublishDiff, PublishRequest } from '../api/types';
import { parseRef } from '../domain/assets';
import { formatTime } from '../domain/format';
import { diffLines, statusText } from '../domain/sharing';
import { CurationModel } from '../models/curation';
import { ErrorText, Muted, ProblemList } from './common';
import { IDTaaSContext } from './context';
import { useSignal } from './hooks';

function FileDiff(props: { diff: PublishDiff }): JSX.Element {
  const { diff } = props;
  const [open, setOpen] = useState(diff.status !== 'removed');
  return (
    <div className="dtaas-diff-file" data-path={diff.path} data-status={diff.status}>
      <button
        type="button"
        className="dtaas-diff-file-head"
        aria-expanded={open}
        onClick={() => setOpen(!open)}
      >
        <span className={`dtaas-diff-status dtaas-diff-status-${diff.status}`}>{diff.status}</span>
        <span className="dtaas-diff-path">{diff.path}</span>
      </button>
      {open && diff.diff ? (
        <pre className="dtaas-diff-text">
          {diffLines(diff.diff).map((line, i) => (
            <div key={i} className={`dtaas-diff-line dtaas-diff-${line.kind}`}>
              {line.text || ' '}
            </div>
          ))}
        </pre>
      ) : null}
    </div>
  );
}

function Decision(props: { request: PublishRequest; model: CurationModel }): JSX.Element {
  const { request, model } = props;
  const [reason, setReason] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<{ field: 'reason' | 'form'; text: string } | null>(null);
  const decide = async (approve: boolean) => {
    setBusy(true);
    setError(null);
    try {
      if (approve) {
        await model.approve(request.id);
      } else {
        await model.reject(request.id, reason);
      }
    } catch (failure) {
      // a reason the server refuses, or none given, is shown at the reason's field
      const atReason =
        !approve && (!(failure instanceof ApiError) || failure.field === 'reason');
      setError({
        field: atReason ? 'reason' : 'form',
        text: `Cannot ${approve ? 'approve' : 'reject'}: ${errorText(failure)}`
      });
      setBusy(false);
    }
  };
  return (
    <div className="dtaas-curation-decision">
      <Button
        className="dtaas-curation-approve jp-mod-styled jp-mod-accept"
        disabled={busy}
        title={`Copy it into ${request.target} as version ${request.version}`}
        onClick={() => void decide(true)}
      >
        Approve
      </Button>
      <label className="dtaas-share-field dtaas-curation-reason-field">
        <input
          type="text"
          className="dtaas-curation-reason jp-mod-styled"
          aria-label="Reason for rejecting"
          placeholder="Why it is rejected (the requester reads it)"
          value={reason}
          disabled={busy}
          aria-invalid={error?.field === 'reason'}
          onChange={event => setReason(event.target.value)}
          onKeyDown={event => {
            if (event.key === 'Enter' && reason.trim()) {
              void decide(false);
            }
          }}
        />
        {error?.field === 'reason' ? (
          <ErrorText text={error.text} className="dtaas-field-error dtaas-curation-reason-error" />
        ) : null}
      </label>
      <Button
        className="dtaas-curation-reject jp-mod-styled jp-mod-warn"
        disabled={busy || !reason.trim()}
        title={reason.trim() ? 'Refuse it, with the reason' : 'Say why first'}
        onClick={() => void decide(false)}
      >
        Reject
      </Button>
      {error?.field === 'form' ? (
        <ErrorText text={error.text} className="dtaas-curation-error" />
      ) : null}
    </div>
  );
}

function RequestCard(props: {
  request: PublishRequest;
  model: CurationModel;
  context: IDTaaSContext;
}): JSX.Element {
  const { request, model, context } = props;
  const detail = model.detail(request.id) ?? request;
  const problems = detail.problems ?? [];
  const diff = detail.diff;
  const source = parseRef(request.asset);
  return (
    <li className="dtaas-curation-request" data-request-id={request.id} data-asset={request.asset}>
      <div className="dtaas-curation-request-head">
        <span className="dtaas-curation-target">{request.target}</span>
        <span className="dtaas-version">v{request.version}</span>
        <span className="dtaas-curation-requester">
          by {request.requester}, {formatTime(request.created)}
        </span>
        {source ? (
          <Button
            minimal
            small
            className="dtaas-curation-open dtaas-link-button"
            title={`Open ${request.asset}`}
            onClick={() => context.openAsset(source)}
          >
            {request.asset}
          </Button>
        ) : (
          <code>{request.asset}</code>
        )}
      </div>
      {request.note ? <div className="dtaas-curation-note">{request.note}</div> : null}
      {problems.length ? (
        <div className="dtaas-curation-problems">
          <div className="dtaas-label">Problems</div>
          <ProblemList problems={problems} />
        </div>
      ) : null}
      <ErrorText text={model.detailError(request.id)} />
      {diff ? (
        diff.length ? (
          <div className="dtaas-diff">
            {diff.map(d => (
              <FileDiff key={d.path} diff={d} />
            ))}
          </div>
        ) : (
          <Muted>No differences to the common library&apos;s copy.</Muted>
        )
      ) : (
        <Muted>Loading the differences…</Muted>
      )}
      <Decision request={request} model={model} />
    </li>
  );
}

function CurationBody(props: { model: CurationModel; context: IDTaaSContext }): JSX.Element {
  const { model, context } = props;
  useSignal(model.changed);
  useEffect(() => {
    const watch = model.watch();
    return () => watch.dispose();
  }, [model]);
  return (
    <div className="dtaas-curation">
      <div className="dtaas-page-header">
        <h2 className="dtaas-page-title">Curation queue</h2>
        <span className="dtaas-spacer" />
        <Button
          minimal
          className="dtaas-curation-refresh"
          title="List the requests again"
          aria-label="Refresh"
          onClick={() => void model.refresh()}
        >
          <refreshIcon.react tag="span" />
        </Button>
      </div>
      <div className="dtaas-curation-body">
        <ErrorText text={model.error} className="dtaas-curation-list-error" />
        {!model.loaded ? (
          <Muted>Loading…</Muted>
        ) : model.queue.length ? (
          <ul className="dtaas-curation-queue">
            {model.queue.map(r => (
              <RequestCard key={r.id} request={r} model={model} context={context} />
            ))}
          </ul>
        ) : (
          <Muted className="dtaas-curation-empty">No requests are waiting.</Muted>
        )}
        {model.decided.length ? (
          <>
            <h4 className="dtaas-section-title">Decided here</h4>
            <ul className="dtaas-curation-decided">
              {model.decided.map(r => (
                <li
                  key={r.id}
                  className="dtaas-curation-decided-request"
                  data-request-id={r.id}
                  data-status={r.status}
                >
                  {r.target} v{r.version} by {r.requester}:{' '}
                  <span className={`dtaas-publish-status dtaas-publish-status-${r.status}`}>
                    {statusText(r)}
                  </span>
                </li>
              ))}
            </ul>
          </>
        ) : null}
      </div>
    </div>
  );
}

/** The queue as a main-area widget. */
export class CurationQueue extends ReactWidget {
  constructor(
    readonly model: CurationModel,
    readonly context: IDTaaSContext
  ) {
    super();
    this.addClass('dtaas-curation-widget');
    this.addClass('dtaas-page-widget');
    this.title.label = 'Curation queue';
    this.title.caption = 'Publish requests waiting for a curator';
  }

  protected render(): JSX.Element {
    return <CurationBody model={this.model} context={this.context} />;
  }
}
