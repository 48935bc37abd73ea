import { Dialog, InputDialog, showDialog } from '@jupyterlab/apputils';
import { Button } from '@jupyterlab/ui-components';
import React, { useEffect, useMemo } from 'react';

import { RunsModel } from '../models/runs';
import { TwinModel } from '../models/twin';
import { ErrorText, Muted, Section } from './common';
import { ConfigureModel, configureModelOf, IConfigureStatus } from './ConfigureModel';
import { IDTaaSContext } from './context';
import { useSignal } from './hooks';
import { FieldRefs, hasParameters, ParameterForm } from './ParameterForm';

function Status(props: { status: IConfigureStatus; where: IConfigureStatus['where'] }): JSX.Element | null {
  const { status, where } = props;
  if (status.where !== where || !status.text) {
    return null;
  }
  return (
    <div
      className={`dtaas-configure-status${status.error ? ' dtaas-error' : ''}`}
      role={status.error ? 'alert' : 'status'}
    >
      {status.text}
    </div>
  );
}

/** Ask before dropping edits that were not saved. */
async function mayDiscard(view: ConfigureModel): Promise<boolean> {
  if (!view.dirty) {
    return true;
  }
  const answer = await showDialog({
    title: 'Discard changes?',
    body: 'The values in the form have not been saved.',
    buttons: [Dialog.cancelButton(), Dialog.warnButton({ label: 'Discard' })]
  });
  return answer.button.accept;
}

async function saveAs(view: ConfigureModel): Promise<void> {
  if (!view.checkClient('config')) {
    return;
  }
  const current = view.current;
  const result = await InputDialog.getText({
    title: 'Save configuration as',
    label: 'Name (letters, digits, ".", "_" and "-")',
    placeholder: 'e.g. heavy',
    text: current && !current.readonly ? current.name : '',
    // The browser anchors the pattern itself and reads it with the `v` flag.
    pattern: '[A-Za-z0-9][A-Za-z0-9._\\-]{0,63}',
    required: true,
    okLabel: 'Save'
  });
  const name = (result.value ?? '').trim();
  if (!result.button.accept || !name) {
    return;
  }
  const existing = view.configs.find(c => c.name === name);
  if (existing && !existing.readonly && existing.name !== current?.name) {
    const answer = await showDialog({
      title: 'Replace configuration?',
      body: `A configuration named "${name}" exists. Replace its values?`,
      buttons: [Dialog.cancelButton(), Dialog.warnButton({ label: 'Replace' })]
    });
    if (!answer.button.accept) {
      return;
    }
  }
  await view.saveAs(name);
}

async function remove(view: ConfigureModel): Promise<void> {
  const config = view.current;
  if (!config || config.readonly) {
    return;
  }
  const answer = await showDialog({
    title: 'Delete configuration?',
    body: `Delete the configuration "${config.name}"? Runs that used it keep their values.`,
    buttons: [Dialog.cancelButton(), Dialog.warnButton({ label: 'Delete' })]
  });
  if (answer.button.accept) {
    await view.remove();
  }
}

/** Pick, save and delete named configurations. */
function ConfigBar(props: { view: ConfigureModel }): JSX.Element {
  const { view } = props;
  const current = view.current;
  const dirty = view.dirty;
  const writable = view.writable;
  return (
    <div className="dtaas-config-bar">
      <label className="dtaas-label" htmlFor={`dtaas-config-${view.twin.ref}`}>
        Configuration
      </label>
      <select
        id={`dtaas-config-${view.twin.ref}`}
        className="dtaas-config-select dtaas-select"
        aria-label="Configuration"
        value={current?.name ?? ''}
        disabled={view.busy}
        onChange={event => {
          const name = event.target.value;
          void mayDiscard(view).then(ok => ok && view.show(name || null));
        }}
      >
        <option value="">Defaults</option>
        {view.configs.map(config => (
          <option key={config.name} value={config.name}>
            {config.readonly ? `${config.name} (read-only)` : config.name}
          </option>
        ))}
      </select>
      {dirty ? <span className="dtaas-config-modified">modified</span> : null}
      <span className="dtaas-spacer" />
      <Button
        className="dtaas-config-save jp-mod-styled jp-mod-reject"
        disabled={!writable || !dirty || view.busy}
        title={
          writable
            ? 'Save the values to this configuration'
            : 'Only your own configurations can be saved; use Save as…'
        }
        onClick={() => void view.save()}
      >
        Save
      </Button>
      <Button
        className="dtaas-config-save-as jp-mod-styled jp-mod-reject"
        disabled={view.busy}
        title="Save the values as a configuration of yours"
        onClick={() => void saveAs(view)}
      >
        Save as…
      </Button>
      <Button
        className="dtaas-config-delete jp-mod-styled jp-mod-warn"
        disabled={!writable || view.busy}
        title={writable ? 'Delete this configuration' : 'Only your own configurations can be deleted'}
        onClick={() => void remove(view)}
      >
        Delete
      </Button>
    </div>
  );
}

/** Client and server errors, each once with its parameter; a click focuses the field. */
function ErrorSummary(props: { view: ConfigureModel; refs: FieldRefs }): JSX.Element | null {
  const items = props.view.errors;
  if (items.length === 0) {
    return null;
  }
  return (
    <div className="dtaas-form-errors" role="alert">
      <div className="dtaas-form-errors-title">Some values are not valid:</div>
      <ul>
        {items.map((item, i) => (
          <li
            key={`${item.parameter}-${i}`}
            data-parameter={item.parameter}
            onClick={() => props.refs.focus(item.parameter)}
          >
            {item.parameter ? (
              <>
                <code>{item.parameter}</code>
                {': '}
              </>
            ) : null}
            <span>{item.message}</span>
          </li>
        ))}
      </ul>
    </div>
  );
}

/** Which steps to run, on which compute profile, and Run. */
function RunSection(props: { view: ConfigureModel; onRun: () => void }): JSX.Element {
  const { view } = props;
  const steps = view.info?.steps ?? [];
  const options = view.profileOptions;
  const single = options.length < 2;
  return (
    <Section title="Run" className="dtaas-run-settings">
      <div className="dtaas-run-field">
        <span className="dtaas-label">Steps</span>
        <div className="dtaas-step-picker">
          {steps.length ? (
            steps.map(step => (
              <label
                key={step.name}
                className="dtaas-step-option"
                title={step.description || step.name}
              >
                <input
                  type="checkbox"
                  className="dtaas-step"
                  value={step.name}
                  checked={view.ticked.includes(step.name)}
                  onChange={event => view.setStep(step.name, event.target.checked)}
                />
                <span>{step.name}</span>
              </label>
            ))
          ) : (
            <Muted>No lifecycle steps</Muted>
          )}
        </div>
      </div>
      <div className="dtaas-run-field">
        <label className="dtaas-label" htmlFor={`dtaas-profile-${view.twin.ref}`}>
          Compute
        </label>
        <select
          id={`dtaas-profile-${view.twin.ref}`}
          className="dtaas-profile dtaas-select"
          aria-label="Compute profile"
          value={view.profile}
          disabled={single}
          onChange={event => view.setProfile(event.target.value)}
        >
          {options.map(option => (
            <option key={option.value} value={option.value} title={option.title}>
              {option.label}
            </option>
          ))}
        </select>
        <span className="dtaas-hint">
          {single
            ? 'no other profiles are offered'
            : 'another profile starts a new server for the run'}
        </span>
      </div>
      <div className="dtaas-run-actions">
        <Button
          className="dtaas-run-config jp-mod-styled jp-mod-accept"
          disabled={view.busy || steps.length === 0}
          onClick={props.onRun}
        >
          Run with this configuration
        </Button>
      </div>
      <Status status={view.status} where="run" />
    </Section>
  );
}

/**
 * The Configure tab: edit the parameters of a digital twin in a form made from its
 * JSON Schema, keep them as named configurations, and run lifecycle steps with them.
 */
export function Configure(props: {
  model: TwinModel;
  runs: RunsModel;
  context: IDTaaSContext;
}): JSX.Element {
  const { model, runs, context } = props;
  const view = configureModelOf(model, runs, context.settings);
  useSignal(view.changed);
  useSignal(context.settings.changed);
  const refs = useMemo(() => new FieldRefs(), []);
  useEffect(() => {
    const focus = (_: ConfigureModel, name: string) => void refs.focus(name);
    view.focusRequested.connect(focus);
    return () => {
      view.focusRequested.disconnect(focus);
    };
  }, [view, refs]);

  if (!view.info) {
    return (
      <div className="dtaas-configure">
        {model.infoError ? <ErrorText text={model.infoError} /> : <Muted>Loading…</Muted>}
      </div>
    );
  }
  const schema = view.schema;
  const run = async () => {
    const started = await view.run();
    if (started) {
      context.openAsset(model.key, 'runs');
    }
  };
  return (
    <div className="dtaas-configure" data-config={view.current?.name ?? ''}>
      <ErrorText text={model.infoError} />
      <ConfigBar view={view} />
      <Status status={view.status} where="config" />
      {hasParameters(schema) ? (
        <ParameterForm
          schema={schema}
          values={view.values}
          serverErrors={view.serverErrors}
          onChange={values => view.edit(values)}
          refs={refs}
        />
      ) : (
        <Muted>This digital twin has no parameters.</Muted>
      )}
      <ErrorSummary view={view} refs={refs} />
      <RunSection view={view} onRun={() => void run()} />
    </div>
  );
}
