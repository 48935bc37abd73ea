/** Live sharing of the user's running servers: with users, groups, or by a link that expires. */
import { Clipboard } from '@jupyterlab/apputils';
import { Button } from '@jupyterlab/ui-components';
import React, { useEffect, useState } from 'react';

import { errorText } from '../api/client';
import { formatTime } from '../domain/format';
import {
  EXPIRY_CHOICES,
  ILiveShare,
  ISharedServer,
  IShareCode,
  liveShareErrorField,
  LiveSharesModel,
  serverTitle,
  ShareKind
} from '../models/liveshares';
import { useSignal } from './hooks';
import { ErrorText, Muted } from './common';

const NARROW: React.CSSProperties = { width: 'auto', flex: 'none' };
const ROW: React.CSSProperties = {
  display: 'flex',
  gap: '8px',
  alignItems: 'center',
  flexWrap: 'wrap'
};

/**
 * Revoke, asked twice in place (the panel may itself be in a dialog, and Lab shows one
 * dialog at a time): the first click asks, Revoke again acts, Keep leaves it.
 */
function RevokeButton(props: {
  label: string;
  className: string;
  busy: boolean;
  onRevoke: () => void;
}): JSX.Element {
  const [asking, setAsking] = useState(false);
  if (!asking) {
    return (
      <Button
        className={props.className}
        minimal
        small
        aria-label={props.label}
        disabled={props.busy}
        onClick={() => setAsking(true)}
      >
        Revoke
      </Button>
    );
  }
  return (
    <span className="dtaas-revoke-confirm" style={ROW}>
      <span>{props.label}?</span>
      <Button
        className="dtaas-revoke-yes jp-mod-warn"
        small
        disabled={props.busy}
        onClick={() => {
          setAsking(false);
          props.onRevoke();
        }}
      >
        Revoke
      </Button>
      <Button className="dtaas-revoke-no" minimal small onClick={() => setAsking(false)}>
        Keep
      </Button>
    </span>
  );
}

function ShareRow(props: {
  share: ILiveShare;
  server: ISharedServer;
  model: LiveSharesModel;
}): JSX.Element {
  const { share, server, model } = props;
  const [error, setError] = useState('');
  const who = `${share.kind === 'group' ? 'Group' : 'User'} ${share.name}`;
  const revoke = async () => {
    setError('');
    try {
      await model.revoke(server.id, share.kind, share.name);
    } catch (reason) {
      setError(`Cannot revoke: ${errorText(reason)}`);
    }
  };
  return (
    <li className="dtaas-liveshare" data-kind={share.kind} data-name={share.name} style={ROW}>
      <span className="dtaas-liveshare-who">
        <span className="dtaas-liveshare-kind">{share.kind}</span>{' '}
        <strong className="dtaas-liveshare-name">{share.name}</strong>
      </span>
      {share.created ? <Muted>since {formatTime(share.created)}</Muted> : null}
      <RevokeButton
        className="dtaas-liveshare-revoke"
        label={`Revoke ${who}`}
        busy={model.isBusy(`revoke:${server.id}:${share.kind}:${share.name}`)}
        onRevoke={() => void revoke()}
      />
      <ErrorText text={error} />
    </li>
  );
}

function CodeRow(props: {
  code: IShareCode;
  server: ISharedServer;
  model: LiveSharesModel;
}): JSX.Element {
  const { code, server, model } = props;
  const [error, setError] = useState('');
  const [copied, setCopied] = useState(false);
  const link = model.linkOf(code.id);
  const revoke = async () => {
    setError('');
    try {
      await model.revokeCode(server.id, code.id);
    } catch (reason) {
      setError(`Cannot revoke the link: ${errorText(reason)}`);
    }
  };
  const copy = () => {
    if (link) {
      Clipboard.copyToSystem(link);
      setCopied(true);
    }
  };
  const count = code.exchange_count;
  const uses = count === 1 ? 'accepted once' : `accepted ${count} times`;
  return (
    <li className="dtaas-sharecode" data-id={code.id} style={ROW}>
      {link ? (
        <input
          className="jp-mod-styled dtaas-sharecode-link"
          style={NARROW}
          readOnly
          value={link}
          aria-label="Share link"
          size={48}
          onFocus={event => event.target.select()}
        />
      ) : (
        <Muted className="dtaas-sharecode-hidden">
          Link {code.id} (its address is shown only where it was made)
        </Muted>
      )}
      <span className="dtaas-sharecode-expires">
        expires {formatTime(code.expires_at) || 'never'}
      </span>
      <Muted className="dtaas-sharecode-uses">{uses}</Muted>
      {link ? (
        <Button className="dtaas-sharecode-copy" minimal small onClick={copy}>
          {copied ? 'Copied' : 'Copy'}
        </Button>
      ) : null}
      <RevokeButton
        className="dtaas-sharecode-revoke"
        label={`Revoke link ${code.id}`}
        busy={model.isBusy(`revoke-code:${server.id}:${code.id}`)}
        onRevoke={() => void revoke()}
      />
      <ErrorText text={error} />
    </li>
  );
}

function ShareForm(props: { server: ISharedServer; model: LiveSharesModel }): JSX.Element {
  const { server, model } = props;
  const [kind, setKind] = useState<ShareKind>('user');
  const [name, setName] = useState('');
  const [errors, setErrors] = useState<{ name?: string; form?: string }>({});
  const submit = async (event: React.FormEvent) => {
    event.preventDefault();
    if (!name.trim()) {
      setErrors({ name: `Name the ${kind} to share with.` });
      return;
    }
    setErrors({});
    try {
      await model.share(server.id, kind, name);
      setName('');
    } catch (reason) {
      const field = liveShareErrorField(reason);
      setErrors({ [field === 'name' ? 'name' : 'form']: errorText(reason) });
    }
  };
  return (
    <form className="dtaas-liveshare-form" style={ROW} onSubmit={event => void submit(event)}>
      <select
        className="jp-mod-styled dtaas-liveshare-kind-select"
        style={NARROW}
        aria-label="Share with a user or a group"
        value={kind}
        onChange={event => setKind(event.target.value as ShareKind)}
      >
        <option value="user">User</option>
        <option value="group">Group</option>
      </select>
      <input
        className="jp-mod-styled dtaas-liveshare-name-input"
        style={NARROW}
        aria-label={`Name of the ${kind}`}
        placeholder={kind === 'user' ? 'user name' : 'group name'}
        value={name}
        onChange={event => setName(event.target.value)}
      />
      <Button
        type="submit"
        className="dtaas-liveshare-add"
        small
        disabled={model.isBusy(`share:${server.id}`)}
      >
        Share
      </Button>
      <ErrorText text={errors.name ?? ''} className="dtaas-liveshare-name-error" />
      <ErrorText text={errors.form ?? ''} />
    </form>
  );
}

function LinkForm(props: { server: ISharedServer; model: LiveSharesModel }): JSX.Element {
  const { server, model } = props;
  const [seconds, setSeconds] = useState(EXPIRY_CHOICES[1].seconds);
  const [error, setError] = useState('');
  const submit = async (event: React.FormEvent) => {
    event.preventDefault();
    setError('');
    try {
      await model.createCode(server.id, seconds);
    } catch (reason) {
      setError(errorText(reason));
    }
  };
  return (
    <form className="dtaas-sharecode-form" style={ROW} onSubmit={event => void submit(event)}>
      <label style={ROW}>
        A link anyone logged in can accept, expiring in
        <select
          className="jp-mod-styled dtaas-sharecode-expiry"
          style={NARROW}
          value={seconds}
          onChange={event => setSeconds(Number(event.target.value))}
        >
          {EXPIRY_CHOICES.map(c => (
            <option key={c.seconds} value={c.seconds}>
              {c.label}
            </option>
          ))}
        </select>
      </label>
      <Button
        type="submit"
        className="dtaas-sharecode-add"
        small
        disabled={model.isBusy(`code:${server.id}`)}
      >
        Create link
      </Button>
      <ErrorText text={error} />
    </form>
  );
}

function ServerShares(props: { server: ISharedServer; model: LiveSharesModel }): JSX.Element {
  const { server, model } = props;
  return (
    <section
      className="dtaas-liveshares-server"
      data-server={server.id}
      data-kind={server.kind}
      style={{ marginBottom: '16px' }}
    >
      <h3 style={{ margin: '4px 0' }}>
        {serverTitle(server)}{' '}
        <span className="dtaas-muted dtaas-liveshares-state" style={{ fontWeight: 'normal' }}>
          {server.ready ? 'running' : 'not running'}
        </span>
      </h3>
      {server.shares.length ? (
        <ul className="dtaas-liveshares-list" style={{ listStyle: 'none', paddingLeft: 0 }}>
          {server.shares.map(share => (
            <ShareRow
              key={`${share.kind}:${share.name}`}
              share={share}
              server={server}
              model={model}
            />
          ))}
        </ul>
      ) : (
        <Muted className="dtaas-liveshares-none">Not shared with anyone.</Muted>
      )}
      <ShareForm server={server} model={model} />
      {server.codes.length ? (
        <ul className="dtaas-sharecodes-list" style={{ listStyle: 'none', paddingLeft: 0 }}>
          {server.codes.map(code => (
            <CodeRow key={code.id} code={code} server={server} model={model} />
          ))}
        </ul>
      ) : null}
      <LinkForm server={server} model={model} />
    </section>
  );
}

/**
 * The user's servers, each with who it is shared with and its share links, with forms to
 * share it and make links, and Revoke on each. Whoever a server is shared with can work in
 * it as its owner does.
 */
export function LiveSharesPanel(props: { model: LiveSharesModel }): JSX.Element {
  const { model } = props;
  useSignal(model.changed);
  useEffect(() => {
    if (!model.loading) {
      void model.refresh();
    }
  }, [model]);
  return (
    <div className="dtaas-liveshares" data-loaded={String(model.loaded)}>
      <Muted className="dtaas-liveshares-help">
        Whoever you share a server with can open it and work in it as you do, until you
        revoke the share.
      </Muted>
      <ErrorText text={model.error} className="dtaas-liveshares-error" />
      {!model.loaded && model.loading ? <Muted>Loading…</Muted> : null}
      {model.servers.map(server => (
        <ServerShares key={server.id} server={server} model={model} />
      ))}
    </div>
  );
}
