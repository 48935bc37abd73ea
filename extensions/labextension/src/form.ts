import { ReactWidget } from '@jupyterlab/apputils';
import { FormComponent, IFormComponentProps } from '@jupyterlab/ui-components';
import type { ErrorSchema, FieldTemplateProps, RJSFSchema, UiSchema } from '@rjsf/utils';
import validator from '@rjsf/validator-ajv8';
import React from 'react';

import { IParameterSchema } from './api';
import { formatValue } from './dom';

export type Values = Record<string, unknown>;

/** Error messages by parameter name; '' holds those about the values as a whole. */
export type FieldErrors = Record<string, string[]>;

/** rjsf names each input `root_<parameter>`; tests and labels rely on it. */
const ID_PREFIX = 'root';

function parameterOf(id: string): string {
  return id === ID_PREFIX ? '' : id.slice(ID_PREFIX.length + 1);
}

function unitText(value: unknown, unit: string | undefined): string {
  return unit ? `${formatValue(value)} ${unit}` : formatValue(value);
}

/**
 * One parameter: label with unit, input, default and description, errors.
 * Errors carry the parameter name so that they can be found per field.
 */
function ParameterField(props: FieldTemplateProps): React.ReactElement {
  const { id, label, schema, children, rawErrors, hidden, displayLabel, required } = props;
  const name = parameterOf(id);
  const errors = (rawErrors ?? []).map((message, i) =>
    React.createElement(
      'div',
      { key: i, className: 'dtaas-field-error', 'data-parameter': name, role: 'alert' },
      message
    )
  );
  if (hidden) {
    return React.createElement('div', { hidden: true }, children);
  }
  if (name === '') {
    return React.createElement('div', { className: 'dtaas-form-root' }, children, ...errors);
  }
  const unit = (schema as IParameterSchema)['x-unit'];
  const hasDefault = schema.default !== undefined;
  const modified =
    hasDefault &&
    props.formData !== undefined &&
    JSON.stringify(props.formData) !== JSON.stringify(schema.default);
  const classes = ['dtaas-field'];
  if (errors.length) {
    classes.push('dtaas-mod-invalid');
  }
  if (modified) {
    classes.push('dtaas-mod-modified');
  }
  return React.createElement(
    'div',
    { className: classes.join(' '), 'data-parameter': name },
    React.createElement(
      'div',
      { className: 'dtaas-field-label' },
      // rjsf leaves a checkbox's label to its widget, which is told to hide it (see uiSchema).
      displayLabel || schema.type === 'boolean'
        ? React.createElement('label', { htmlFor: id }, label, required ? ' *' : '')
        : null,
      unit
        ? React.createElement('span', { className: 'dtaas-field-unit', title: 'Unit' }, unit)
        : null
    ),
    React.createElement('div', { className: 'dtaas-field-input' }, children),
    React.createElement(
      'div',
      { className: 'dtaas-field-help' },
      hasDefault
        ? React.createElement(
            'span',
            { className: 'dtaas-field-default' },
            `default ${unitText(schema.default, unit)}`
          )
        : null,
      schema.description
        ? React.createElement('span', { className: 'dtaas-field-description' }, schema.description)
        : null
    ),
    ...errors
  );
}

/** The values with each missing parameter set to its default, as rjsf shows them. */
export function withDefaults(schema: IParameterSchema, values: Values): Values {
  const filled: Values = {};
  for (const [name, property] of Object.entries(schema.properties ?? {})) {
    if (property.default !== undefined) {
      filled[name] = property.default;
    }
  }
  return { ...filled, ...values };
}

/** Client-side check of the values against the schema, as the form shows it. */
export function validate(schema: IParameterSchema, values: Values): FieldErrors {
  const result = validator.validateFormData(values, schema as RJSFSchema);
  const errors: FieldErrors = {};
  for (const error of result.errors) {
    const name = (error.property ?? '').replace(/^\./, '').split('.')[0] ?? '';
    (errors[name] = errors[name] ?? []).push(error.message ?? error.stack);
  }
  return errors;
}

/** rjsf's form for the parameter schema of a digital twin; the owner keeps the state. */
export class ParameterForm extends ReactWidget {
  constructor(options: {
    schema: IParameterSchema;
    values: Values;
    onChange: (values: Values) => void;
  }) {
    super();
    this.addClass('dtaas-parameter-form');
    // The view shows the title; the form should not repeat it.
    const { title: _title, description: _description, ...schema } = options.schema;
    this._schema = schema as RJSFSchema;
    this._uiSchema = {};
    for (const [name, property] of Object.entries(schema.properties ?? {})) {
      const ui: UiSchema = {};
      if (property.default !== undefined) {
        // An emptied field falls back to the default; the placeholder says which.
        ui['ui:placeholder'] = formatValue(property.default);
      }
      if (property.type === 'boolean') {
        // The field template shows label and description in their columns.
        ui['ui:options'] = { label: false };
      }
      this._uiSchema[name] = ui;
    }
    this.values = options.values;
    this._onChange = options.onChange;
  }

  /** Current values; set them and call `update()`. */
  values: Values;

  /** Errors from the server, shown on their fields next to rjsf's own. */
  serverErrors: FieldErrors = {};

  get hasParameters(): boolean {
    return Object.keys(this._schema.properties ?? {}).length > 0;
  }

  protected render(): React.ReactElement {
    const extraErrors: Record<string, unknown> = {};
    for (const [name, messages] of Object.entries(this.serverErrors)) {
      if (name && messages.length) {
        extraErrors[name] = { __errors: messages };
      }
    }
    const props: IFormComponentProps<Values> = {
      schema: this._schema,
      uiSchema: this._uiSchema as IFormComponentProps<Values>['uiSchema'],
      formData: this.values,
      validator: validator as IFormComponentProps<Values>['validator'],
      idPrefix: ID_PREFIX,
      liveValidate: true,
      noHtml5Validate: true,
      showErrorList: false,
      extraErrors: extraErrors as ErrorSchema,
      templates: { FieldTemplate: ParameterField },
      onChange: event => this._onChange((event.formData ?? {}) as Values)
    };
    // rjsf's generic props do not line up across its own declarations; the values are plain JSON.
    const Form = FormComponent as unknown as React.FC<IFormComponentProps<Values>>;
    return React.createElement(Form, props);
  }

  private readonly _schema: RJSFSchema;
  private readonly _uiSchema: UiSchema;
  private readonly _onChange: (values: Values) => void;
}
