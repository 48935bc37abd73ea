/** Who has access to an asset: the list of grants, a new grant, a changed role, revoke. */
import { Dialog, showDialog } from '@jupyterlab/apputils';
import { Button } from '@jupyterlab/ui-components';
import React, { useState } from 'react';

import { ApiError, errorText } from '../api/client';
import type { Grant } from '../api/types';
import { formatTime } from '../domain/format';
import {
  errorField,
  GRANT_ROLES,
  GrantRole,
  ROLE_HELP,
  SUBJECT_LABELS,
  SubjectKind,
  subjectOf,
  subjectText
} from '../domain/sharing';
import { SharingModel } from '../models/sharing';
import { ErrorText, Muted } from './common';

const KINDS: readonly SubjectKind[] = ['user', 'group', 'organisation'];

/** The fields of the new-grant form an error can be shown next to. */
const GRANT_FIELDS = ['name', 'role', 'form'] as const;
type GrantField = (typeof GRANT_FIELDS)[number];

/** Where a refusal of a grant belongs: the server names `user`/`group` for the name. */
export function grantErrorField(reason: unknown): GrantField {
  const named = reason instanceof ApiError ? reason.field : '';
  return errorField(named === 'user' || named === 'group' ? 'name' : named, GRANT_FIELDS, 'form');
}

function roleHelp(role: string): string {
  return (ROLE_HELP as Record<string, string>)[role] ?? '';
}

function RoleSelect(props: {
  value: string;
  onChange: (role: GrantRole) => void;
  disabled?: boolean;
  className: string;
  label: string;
}): JSX.Element {
  return (
    <select
      className={`${props.className} dtaas-select dtaas-role-select`}
      aria-label={props.label}
      value={props.value}
      disabled={props.disabled}
      onChange={event => props.onChange(event.target.value as GrantRole)}
    >
      {GRANT_ROLES.map(role => (
        <option key={role} value={role} title={ROLE_HELP[role]}>
          {role}
        </option>
      ))}
    </select>
  );
}

function GrantRow(props: { grant: Grant; sharing: SharingModel }): JSX.Element {
  const { grant, sharing } = props;
  const subject = subjectOf(grant);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState('');

  const change = async (role: GrantRole) => {
    setBusy(true);
    setError('');
    try {
      await sharing.changeRole(grant.id, role);
    } catch (reason) {
      setError(`Cannot change the role: ${errorText(reason)}`);
    } finally {
      setBusy(false);
    }
  };
  const revoke = async () => {
    const answer = await showDialog({
      title: 'Revoke access?',
      body: `${subjectText(grant)} will no longer have ${grant.role} access to ${sharing.key.name}.`,
      buttons: [Dialog.cancelButton(), Dialog.warnButton({ label: 'Revoke' })]
    });
    if (!answer.button.accept) {
      return;
    }
    setBusy(true);
    setError('');
    try {
      await sharing.revoke(grant.id);
    } catch (reason) {
      setError(`Cannot revoke: ${errorText(reason)}`);
      setBusy(false);
    }
  };
  return (
    <tr
      className="dtaas-grant"
      data-grant-id={grant.id}
      data-kind={subject.kind}
      data-subject={subject.name}
      data-role={grant.role}
    >
      <td className="dtaas-grant-kind">{SUBJECT_LABELS[subject.kind]}</td>
      <td className="dtaas-grant-subject">{subject.kind === 'organisation' ? 'everyone' : subject.name}</td>
      <td>
        <RoleSelect
          className="dtaas-grant-role"
          label={`Role of ${subjectText(grant)}`}
          value={grant.role}
          disabled={busy}
          onChange={role => void change(role)}
        />
      </td>
      <td className="dtaas-grant-by" title={formatTime(grant.modified || grant.created)}>
        {grant.created_by}
      </td>
      <td>
        <Button
          className="dtaas-grant-revoke jp-mod-styled jp-mod-warn"
          small
          disabled={busy}
          aria-label={`Revoke ${subjectText(grant)}`}
          onClick={() => void revoke()}
        >
          Revoke
        </Button>
        <ErrorText text={error} className="dtaas-grant-error" />
      </td>
    </tr>
  );
}

function AddGrant(props: { sharing: SharingModel }): JSX.Element {
  const { sharing } = props;
  const [kind, setKind] = useState<SubjectKind>('user');
  const [name, setName] = useState('');
  const [role, setRole] = useState<GrantRole>('view');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<{ field: GrantField; text: string } | null>(null);
  const [done, setDone] = useState('');
  const needsName = kind !== 'organisation';

  const add = async () => {
    setBusy(true);
    setError(null);
    setDone('');
    try {
      const grant = await sharing.grant(kind, name, role);
      setDone(`${subjectText(grant)} has ${grant.role} access`);
      setName('');
    } catch (reason) {
      setError({
        field: reason instanceof ApiError ? grantErrorField(reason) : 'name',
        text: errorText(reason)
      });
    } finally {
      setBusy(false);
    }
  };
  const errorAt = (field: GrantField) =>
    error?.field === field ? (
      <ErrorText text={error.text} className={`dtaas-field-error dtaas-grant-${field}-error`} />
    ) : null;

  return (
    <form
      className="dtaas-grant-form"
      onSubmit={event => {
        event.preventDefault();
        void add();
      }}
    >
      <div className="dtaas-grant-fields">
        <label className="dtaas-share-field">
          <span className="dtaas-label">Share with</span>
          <select
            className="dtaas-grant-kind-select dtaas-select"
            aria-label="Share with"
            value={kind}
            disabled={busy}
            onChange={event => {
              setKind(event.target.value as SubjectKind);
              setError(null);
            }}
          >
            {KINDS.map(k => (
              <option key={k} value={k}>
                {SUBJECT_LABELS[k]}
              </option>
            ))}
          </select>
        </label>
        {needsName ? (
          <label className="dtaas-share-field dtaas-grant-name-field">
            <span className="dtaas-label">{kind === 'user' ? 'User name' : 'Group name'}</span>
            <input
              type="text"
              className="dtaas-grant-name jp-mod-styled"
              aria-label={kind === 'user' ? 'User name' : 'Group name'}
              aria-invalid={error?.field === 'name'}
              value={name}
              disabled={busy}
              spellCheck={false}
              autoComplete="off"
              onChange={event => setName(event.target.value)}
            />
            {errorAt('name')}
          </label>
        ) : null}
        <label className="dtaas-share-field">
          <span className="dtaas-label">Role</span>
          <RoleSelect
            className="dtaas-grant-new-role"
            label="Role"
            value={role}
            disabled={busy}
            onChange={setRole}
          />
          {errorAt('role')}
        </label>
        <Button
          type="submit"
          className="dtaas-grant-add jp-mod-styled jp-mod-accept"
          disabled={busy || (needsName && !name.trim())}
        >
          Share
        </Button>
      </div>
      <Muted className="dtaas-role-help">{`${role}: ${roleHelp(role)}`}</Muted>
      {errorAt('form')}
      {done ? (
        <div className="dtaas-grant-done" role="status">
          {done}
        </div>
      ) : null}
    </form>
  );
}

/** The grants of an asset its owner manages. */
export function GrantsSection(props: { sharing: SharingModel }): JSX.Element {
  const { sharing } = props;
  const grants = sharing.grants;
  return (
    <div className="dtaas-grants">
      <ErrorText text={sharing.grantsError} className="dtaas-grants-error" />
      {!sharing.grantsLoaded ? (
        <Muted>Loading…</Muted>
      ) : grants.length ? (
        <table className="dtaas-grants-table">
          <thead>
            <tr>
              <th>Who</th>
              <th>Name</th>
              <th>Role</th>
              <th>Shared by</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {grants.map(grant => (
              <GrantRow key={grant.id} grant={grant} sharing={sharing} />
            ))}
          </tbody>
        </table>
      ) : (
        <Muted className="dtaas-grants-none">Only you have access.</Muted>
      )}
      <AddGrant sharing={sharing} />
    </div>
  );
}
