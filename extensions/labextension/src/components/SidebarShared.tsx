/** The sidebar's parts for sharing: results shared with the user, and the curators' link. */
import { Button } from '@jupyterlab/ui-components';
import React, { useEffect, useState } from 'react';

import { errorText } from '../api/client';
import type { SharedResult } from '../api/types';
import { formatTime } from '../domain/format';
import { ErrorText, Muted } from './common';
import { IDTaaSContext } from './context';
import { useSignal } from './hooks';

function SharedResultRow(props: { result: SharedResult; context: IDTaaSContext }): JSX.Element {
  const { result, context } = props;
  const model = context.sharedResults;
  const [error, setError] = useState('');
  const respawn = async () => {
    setError('');
    try {
      const run = await model.respawnHere(result);
      context.openAsset({ scope: run.scope ?? 'private', type: 'digital_twins', name: run.dt }, 'runs');
    } catch (reason) {
      setError(`Cannot respawn: ${errorText(reason)}`);
    }
  };
  const kind = result.kind === 'runs' ? 'Run' : 'Snapshot';
  return (
    <li
      className="dtaas-shared-result"
      data-kind={result.kind}
      data-owner={result.owner}
      data-dt={result.dt}
      data-id={result.id}
    >
      <div className="dtaas-shared-result-head">
        <a
          className="dtaas-shared-result-open"
          href={result.url}
          target="_blank"
          rel="noopener noreferrer"
          title={`Open the ${kind.toLowerCase()} ${result.id} of ${result.dt}, shared by ${result.owner}`}
        >
          {result.title || `${kind} ${result.id}`}
        </a>
        <span className="dtaas-shared-result-by">
          {kind} of {result.dt} · {result.owner}
          {result.created ? ` · ${formatTime(result.created)}` : ''}
        </span>
      </div>
      {result.kind === 'snapshots' ? (
        <Button
          small
          className="dtaas-shared-respawn jp-mod-styled"
          disabled={model.busy(result)}
          title="Copy the snapshot into your workspace and respawn it there"
          onClick={() => void respawn()}
        >
          {model.busy(result) ? 'Respawning…' : 'Respawn in my workspace'}
        </Button>
      ) : null}
      <ErrorText text={error} className="dtaas-shared-result-error" />
    </li>
  );
}

/** Runs and snapshots others shared with the user, shown with the assets shared with them. */
export function SharedResults(props: { context: IDTaaSContext }): JSX.Element | null {
  const { context } = props;
  const model = context.sharedResults;
  useSignal(model.changed);
  useEffect(() => {
    void model.load();
  }, [model]);
  if (!model.loaded || (!model.results.length && !model.error)) {
    return null;
  }
  return (
    <div className="dtaas-shared-results">
      <div className="dtaas-shared-results-title">Results shared with you</div>
      <ErrorText text={model.error} />
      <ul className="dtaas-shared-results-list">
        {model.results.map(r => (
          <SharedResultRow key={`${r.kind}/${r.owner}/${r.dt}/${r.id}`} result={r} context={context} />
        ))}
      </ul>
      {model.results.length ? null : <Muted>None</Muted>}
    </div>
  );
}

/** For curators: the queue of publish requests. */
export function CurationLink(props: { context: IDTaaSContext }): JSX.Element | null {
  const { context } = props;
  useSignal(context.library.changed);
  if (!context.library.isCurator) {
    return null;
  }
  return (
    <div className="dtaas-curation-link-bar">
      <Button
        minimal
        className="dtaas-curation-link"
        title="Publish requests waiting for a curator"
        onClick={() => context.openCuration()}
      >
        Curation queue
      </Button>
    </div>
  );
}
