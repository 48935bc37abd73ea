import { Dialog } from '@jupyterlab/apputils';
import { closeIcon, ReactWidget } from '@jupyterlab/ui-components';
import { ISignal, Signal } from '@lumino/signaling';
import React from 'react';

import { ApiError, errorText } from '../api/client';
import { createDT, fetchTemplates } from '../api/library';
import type { Asset, NewDigitalTwin, Template } from '../api/types';
import { DT_NAME } from '../domain/assets';
import { PickList } from '../models/picks';
import { Muted } from './common';
import { useSignal } from './hooks';

/** Preferred when the user picks none; the server's default too. */
const DEFAULT_TEMPLATE = 'blank';

/** The fields errors can be reported on; "form" is for errors that name none. */
const FIELDS = ['name', 'title', 'description', 'template', 'assets', 'form'] as const;
type Field = (typeof FIELDS)[number];

/** The fields the user types into. */
type TextField = 'name' | 'title' | 'description' | 'template';

/** Index of the Create button among the dialog's buttons. */
const CREATE = 1;

/** Mirrors DT_NAME, so the dialog keeps Create disabled while the name does not match. */
const NAME_PATTERN = '[a-z0-9][a-z0-9._\\-]{0,63}';

function nameProblem(name: string): string {
  if (!name) {
    return 'A name is needed';
  }
  if (!DT_NAME.test(name)) {
    return 'Use a-z, 0-9, ".", "_" and "-", starting with a letter or digit; at most 64';
  }
  return '';
}

function templateLabel(t: Template): string {
  return t.title && t.title !== t.name ? `${t.title} (${t.name})` : t.name;
}

/**
 * The form's state: what was typed, the templates offered and the errors shown,
 * each next to its field. The dialog reads and sets it; the view renders it.
 */
class NewDTForm extends ReactWidget {
  constructor(readonly picks: PickList) {
    super();
    this.addClass('dtaas-new-dt-form');
    void this._loadTemplates();
  }

  get changed(): ISignal<NewDTForm, void> {
    return this._changed;
  }

  get values(): Readonly<Record<TextField, string>> {
    return this._values;
  }

  get templates(): readonly Template[] {
    return this._templates;
  }

  /** Templates are still being fetched. */
  get loadingTemplates(): boolean {
    return this._loadingTemplates;
  }

  get busy(): boolean {
    return this._busy;
  }

  set busy(busy: boolean) {
    this._busy = busy;
    this._changed.emit();
  }

  error(field: Field): string {
    return this._errors[field] ?? '';
  }

  /** The dialog's value: the new digital twin, once the server created it. */
  created: Asset | null = null;

  getValue(): Asset | null {
    return this.created;
  }

  /** What the user typed; the name is checked as it is typed, other errors go. */
  set(field: TextField, value: string): void {
    this._values = { ...this._values, [field]: value };
    // An empty name only complains once the user tried to create.
    this._errors = {
      ...this._errors,
      [field]: field === 'name' && value ? nameProblem(value) : ''
    };
    this._changed.emit();
  }

  setError(field: Field, message: string): void {
    this._errors = { ...this._errors, [field]: message };
    this._changed.emit();
  }

  clearErrors(): void {
    this._errors = {};
    this._changed.emit();
  }

  focus(field: Field): void {
    this.inputs[field]?.current?.focus();
  }

  /** What the server is asked for. */
  request(): NewDigitalTwin {
    const title = this._values.title.trim();
    const description = this._values.description.trim();
    return {
      name: this._values.name,
      ...(title ? { title } : {}),
      ...(description ? { description } : {}),
      ...(this._values.template ? { template: this._values.template } : {}),
      assets: this.picks.items.map(item => item.ref)
    };
  }

  /** The inputs, so that a refusal can put the cursor in the field it names. */
  readonly inputs: Partial<Record<Field, React.RefObject<HTMLElement>>> = {
    name: React.createRef<HTMLInputElement>(),
    title: React.createRef<HTMLInputElement>(),
    description: React.createRef<HTMLTextAreaElement>(),
    template: React.createRef<HTMLSelectElement>()
  };

  dispose(): void {
    Signal.clearData(this);
    super.dispose();
  }

  protected render(): JSX.Element {
    return <FormView form={this} />;
  }

  private async _loadTemplates(): Promise<void> {
    try {
      this._templates = await fetchTemplates();
      const preferred =
        this._templates.find(t => t.name === DEFAULT_TEMPLATE) ?? this._templates[0];
      this._values = { ...this._values, template: preferred?.name ?? '' };
    } catch (reason) {
      this._errors = {
        ...this._errors,
        template: `Cannot load templates: ${errorText(reason)}`
      };
    }
    this._loadingTemplates = false;
    if (!this.isDisposed) {
      this._changed.emit();
    }
  }

  private _values: Record<TextField, string> = {
    name: '',
    title: '',
    description: '',
    template: ''
  };
  private _errors: Partial<Record<Field, string>> = {};
  private _templates: Template[] = [];
  private _loadingTemplates = true;
  private _busy = false;
  private readonly _changed = new Signal<NewDTForm, void>(this);
}

function FieldError(props: { form: NewDTForm; field: Field }): JSX.Element | null {
  const message = props.form.error(props.field);
  return message ? (
    <div className="dtaas-new-error dtaas-error" data-field={props.field} role="alert">
      {message}
    </div>
  ) : null;
}

function Row(props: {
  form: NewDTForm;
  field: Field;
  label: string;
  children: React.ReactNode;
}): JSX.Element {
  return (
    <div className="dtaas-new-row" data-field={props.field}>
      <label className="dtaas-new-label" htmlFor={`${props.form.id}-${props.field}`}>
        {props.label}
      </label>
      {props.children}
      <FieldError form={props.form} field={props.field} />
    </div>
  );
}

function FormView(props: { form: NewDTForm }): JSX.Element {
  const { form } = props;
  const { picks } = form;
  useSignal(form.changed);
  useSignal(picks.changed);
  const { values, templates } = form;
  const idOf = (field: Field) => `${form.id}-${field}`;
  const invalid = (field: Field) => (form.error(field) ? ' dtaas-invalid' : '');
  const template = templates.find(t => t.name === values.template);
  const steps = template?.steps?.length ? ` Steps: ${template.steps.join(', ')}.` : '';
  return (
    <>
      <Row form={form} field="name" label="Name">
        <input
          id={idOf('name')}
          ref={form.inputs.name as React.RefObject<HTMLInputElement>}
          className={`dtaas-new-name jp-mod-styled${invalid('name')}`}
          type="text"
          required
          pattern={NAME_PATTERN}
          placeholder="my-twin"
          autoComplete="off"
          spellCheck={false}
          value={values.name}
          onChange={event => form.set('name', event.target.value)}
        />
      </Row>
      <Row form={form} field="title" label="Title">
        <input
          id={idOf('title')}
          ref={form.inputs.title as React.RefObject<HTMLInputElement>}
          className={`dtaas-new-title jp-mod-styled${invalid('title')}`}
          type="text"
          placeholder="My twin"
          value={values.title}
          onChange={event => form.set('title', event.target.value)}
        />
      </Row>
      <Row form={form} field="description" label="Description">
        <textarea
          id={idOf('description')}
          ref={form.inputs.description as React.RefObject<HTMLTextAreaElement>}
          className={`dtaas-new-description jp-mod-styled${invalid('description')}`}
          rows={3}
          value={values.description}
          onChange={event => form.set('description', event.target.value)}
        />
      </Row>
      <Row form={form} field="template" label="Template">
        <select
          id={idOf('template')}
          ref={form.inputs.template as React.RefObject<HTMLSelectElement>}
          className={`dtaas-new-template dtaas-select${invalid('template')}`}
          value={values.template}
          onChange={event => form.set('template', event.target.value)}
        >
          {form.loadingTemplates ? <option value="">Loading…</option> : null}
          {!form.loadingTemplates && templates.length === 0 ? (
            <option value="">Default</option>
          ) : null}
          {templates.map(t => (
            <option key={t.name} value={t.name}>
              {templateLabel(t)}
            </option>
          ))}
        </select>
        {template ? (
          <div className="dtaas-new-hint">{`${template.description}${steps}`.trim()}</div>
        ) : null}
      </Row>
      <Row form={form} field="assets" label="Assets">
        <div className="dtaas-new-assets">
          {picks.items.length === 0 ? (
            <div className="dtaas-new-hint">
              None. Add assets from the Digital Twins sidebar with their + button.
            </div>
          ) : (
            <ul className="dtaas-new-asset-list dtaas-plain-list">
              {picks.items.map(item => (
                <li key={item.ref} data-ref={item.ref}>
                  <span>{item.title}</span>
                  <code className="dtaas-ref">{item.ref}</code>
                  <button
                    type="button"
                    className="dtaas-new-asset-remove jp-Button jp-mod-minimal"
                    title={`Leave out ${item.ref}`}
                    aria-label={`Leave out ${item.ref}`}
                    onClick={() => picks.remove(item.ref)}
                  >
                    <closeIcon.react tag="span" />
                  </button>
                </li>
              ))}
            </ul>
          )}
        </div>
      </Row>
      <FieldError form={form} field="form" />
      {form.busy ? <Muted className="dtaas-new-busy">Creating…</Muted> : null}
    </>
  );
}

/**
 * A dialog that stays open until the server has created the digital twin, so
 * that a refusal is shown next to the field it names.
 */
class NewDTDialog extends Dialog<Asset | null> {
  constructor(private readonly _form: NewDTForm) {
    super({
      title: 'New digital twin',
      body: _form,
      buttons: [Dialog.cancelButton(), Dialog.okButton({ label: 'Create' })],
      defaultButton: CREATE,
      focusNodeSelector: 'input.dtaas-new-name'
    });
    this.addClass('dtaas-new-dt-dialog');
  }

  resolve(index?: number): void {
    if ((index ?? CREATE) !== CREATE || this._form.created) {
      super.resolve(index);
      return;
    }
    void this._submit();
  }

  private async _submit(): Promise<void> {
    const form = this._form;
    if (form.busy) {
      return;
    }
    form.clearErrors();
    const problem = nameProblem(form.values.name);
    if (problem) {
      form.setError('name', problem);
      form.focus('name');
      return;
    }
    form.busy = true;
    try {
      form.created = await createDT(form.request());
    } catch (reason) {
      const field = reason instanceof ApiError ? reason.field : '';
      const known = (FIELDS as readonly string[]).includes(field) ? (field as Field) : 'form';
      form.setError(known, errorText(reason));
      form.focus(known);
      return;
    } finally {
      if (!form.isDisposed) {
        form.busy = false;
      }
    }
    super.resolve(CREATE);
  }
}

/** Ask for a new digital twin; resolves with it once created, or null if cancelled. */
export async function newDigitalTwin(picks: PickList): Promise<Asset | null> {
  const form = new NewDTForm(picks);
  form.id = `dtaas-new-dt-${++Private.ids}`;
  const dialog = new NewDTDialog(form);
  const result = await dialog.launch();
  return result.button.accept ? result.value : null;
}

namespace Private {
  /** Makes label ids unique when dialogs overlap. */
  export let ids = 0;
}
