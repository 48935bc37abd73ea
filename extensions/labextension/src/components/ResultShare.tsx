/** Share one of the user's runs or snapshots, read-only: who may read it, and its link. */
import { Button } from '@jupyterlab/ui-components';
import React, { useEffect, useState } from 'react';

import { errorText } from '../api/client';
import type { ResultKind } from '../api/types';
import { resultSubject } from '../domain/sharing';
import { resultSharesOf } from '../models/results';
import { ErrorText, Muted } from './common';
import { IDTaaSContext } from './context';
import { useSignal } from './hooks';

export function ResultSharePanel(props: {
  kind: ResultKind;
  dt: string;
  id: string;
  context: IDTaaSContext;
}): JSX.Element {
  const { kind, dt, id, context } = props;
  const model = resultSharesOf(kind, dt, id);
  useSignal(model.changed);
  useSignal(context.library.changed);
  const [who, setWho] = useState<'user' | 'group'>('user');
  const [name, setName] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState('');
  useEffect(() => {
    void model.load();
    void context.library.whoami();
  }, [model]);
  const owner = context.library.name;
  const url = owner ? new URL(model.url(owner), window.location.origin).href : '';
  const noun = kind === 'runs' ? 'run' : 'snapshot';

  const share = async () => {
    setBusy(true);
    setError('');
    try {
      await model.share(who, name);
      setName('');
    } catch (reason) {
      setError(`Cannot share: ${errorText(reason)}`);
    } finally {
      setBusy(false);
    }
  };
  const revoke = async (grant: number) => {
    setError('');
    try {
      await model.revoke(grant);
    } catch (reason) {
      setError(`Cannot stop sharing: ${errorText(reason)}`);
    }
  };
  return (
    <div className="dtaas-result-share" data-kind={kind} data-id={id}>
      <form
        className="dtaas-result-share-form"
        onSubmit={event => {
          event.preventDefault();
          void share();
        }}
      >
        <select
          className="dtaas-result-share-kind dtaas-select"
          aria-label="Share with"
          value={who}
          disabled={busy}
          onChange={event => setWho(event.target.value as 'user' | 'group')}
        >
          <option value="user">User</option>
          <option value="group">Group</option>
        </select>
        <label className="dtaas-share-field">
          <input
            type="text"
            className="dtaas-result-share-name jp-mod-styled"
            aria-label={who === 'user' ? 'User name' : 'Group name'}
            placeholder={who === 'user' ? 'User name' : 'Group name'}
            aria-invalid={!!error}
            value={name}
            disabled={busy}
            spellCheck={false}
            autoComplete="off"
            onChange={event => setName(event.target.value)}
          />
          <ErrorText text={error} className="dtaas-field-error dtaas-result-share-error" />
        </label>
        <Button
          type="submit"
          className="dtaas-result-share-add jp-mod-styled jp-mod-accept"
          disabled={busy || !name.trim()}
          title={`Let them read this ${noun}: its record, outputs and executed notebooks`}
        >
          Share
        </Button>
      </form>
      <ErrorText text={model.error} className="dtaas-result-share-list-error" />
      {model.grants.length ? (
        <>
          <ul className="dtaas-result-grants">
            {model.grants.map(grant => (
              <li key={grant.id} className="dtaas-result-grant" data-grant-id={grant.id}>
                <span className="dtaas-result-grant-subject">{resultSubject(grant)}</span>
                <Button
                  small
                  minimal
                  className="dtaas-result-grant-revoke"
                  aria-label={`Stop sharing with ${resultSubject(grant)}`}
                  onClick={() => void revoke(grant.id)}
                >
                  Stop sharing
                </Button>
              </li>
            ))}
          </ul>
          {url ? (
            <div className="dtaas-result-link">
              <span className="dtaas-label">Link for them</span>
              <a className="dtaas-result-url" href={url} target="_blank" rel="noopener noreferrer">
                {url}
              </a>
            </div>
          ) : null}
        </>
      ) : model.loaded ? (
        <Muted className="dtaas-result-grants-none">Not shared with anyone.</Muted>
      ) : null}
    </div>
  );
}

/** The Share action of a run or snapshot: it shows or hides its ResultSharePanel. */
export function ResultShareButton(props: { open: boolean; onClick: () => void }): JSX.Element {
  return (
    <Button
      className={`dtaas-result-share-toggle jp-mod-styled${props.open ? ' jp-mod-selected' : ''}`}
      aria-expanded={props.open}
      title="Share it read-only with a user or a group"
      onClick={props.onClick}
    >
      Share
    </Button>
  );
}
