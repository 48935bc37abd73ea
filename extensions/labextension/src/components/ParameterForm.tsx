import { FormComponent, IFormComponentProps } from '@jupyterlab/ui-components';
import {
  ariaDescribedByIds,
  BaseInputTemplateProps,
  ErrorSchema,
  examplesId,
  FieldTemplateProps,
  getInputProps,
  RJSFSchema,
  UiSchema
} from '@rjsf/utils';
import validator from '@rjsf/validator-ajv8';
import React, { useCallback, useMemo } from 'react';

import { formatValue } from '../domain/format';
import { FieldErrors, IParameterSchema, Values, withUnit } from '../domain/parameters';

/** rjsf names each input `root_<parameter>`; tests and labels rely on it. */
const ID_PREFIX = 'root';

function parameterOf(id: string): string {
  return id === ID_PREFIX ? '' : id.slice(ID_PREFIX.length + 1);
}

/**
 * The fields and inputs of a form by parameter, as React hands them over, so that
 * an entry of the error summary can put the cursor in its field.
 */
export class FieldRefs {
  /** The field's input (text and number inputs), set by the input template. */
  input(name: string, node: HTMLElement | null): void {
    this._set(this._inputs, name, node);
  }

  /** The whole field, for inputs rjsf draws with its own widgets (checkbox, select). */
  field(name: string, node: HTMLElement | null): void {
    this._set(this._fields, name, node);
  }

  /** Put the cursor in a parameter's field; false if it has none shown. */
  focus(name: string): boolean {
    const target = this._inputs.get(name) ?? this._fields.get(name);
    if (!target) {
      return false;
    }
    target.scrollIntoView?.({ block: 'nearest' });
    target.focus();
    return true;
  }

  private _set(map: Map<string, HTMLElement>, name: string, node: HTMLElement | null): void {
    if (node) {
      map.set(name, node);
    } else {
      map.delete(name);
    }
  }

  private readonly _inputs = new Map<string, HTMLElement>();
  private readonly _fields = new Map<string, HTMLElement>();
}

interface IFormContext {
  refs: FieldRefs;
}

function refsOf(registry: { formContext?: unknown }): FieldRefs | null {
  return (registry.formContext as IFormContext | undefined)?.refs ?? null;
}

/**
 * One parameter: label with unit, input, default and description, errors. Errors
 * carry the parameter name so that they can be found per field.
 */
function ParameterField(props: FieldTemplateProps): React.ReactElement {
  const { id, label, schema, children, rawErrors, hidden, displayLabel, required, registry } =
    props;
  const name = parameterOf(id);
  const refs = refsOf(registry);
  const fieldRef = useCallback((node: HTMLDivElement | null) => refs?.field(name, node), [
    refs,
    name
  ]);
  const errors = (rawErrors ?? []).map((message, i) => (
    <div key={i} className="dtaas-field-error" data-parameter={name} role="alert">
      {message}
    </div>
  ));
  if (hidden) {
    return <div hidden>{children}</div>;
  }
  if (name === '') {
    return (
      <div className="dtaas-form-root">
        {children}
        {errors}
      </div>
    );
  }
  const unit = (schema as IParameterSchema)['x-unit'] as string | undefined;
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
  return (
    <div
      className={classes.join(' ')}
      data-parameter={name}
      ref={fieldRef}
      tabIndex={-1}
    >
      <div className="dtaas-field-label">
        {/* rjsf leaves a checkbox's label to its widget, which is told to hide it (see uiSchema). */}
        {displayLabel || schema.type === 'boolean' ? (
          <label htmlFor={id}>
            {label}
            {required ? ' *' : ''}
          </label>
        ) : null}
        {unit ? (
          <span className="dtaas-field-unit" title="Unit">
            {unit}
          </span>
        ) : null}
      </div>
      <div className="dtaas-field-input">{children}</div>
      <div className="dtaas-field-help">
        {hasDefault ? (
          <span className="dtaas-field-default">default {withUnit(schema.default, unit)}</span>
        ) : null}
        {schema.description ? (
          <span className="dtaas-field-description">{schema.description}</span>
        ) : null}
      </div>
      {errors}
    </div>
  );
}

/**
 * rjsf's own input template (text and number inputs), with a ref so that the error
 * summary can focus the input.
 */
function ParameterInput(props: BaseInputTemplateProps): React.ReactElement {
  const {
    id,
    value,
    readonly,
    disabled,
    autofocus,
    onBlur,
    onFocus,
    onChange,
    onChangeOverride,
    options,
    schema,
    type,
    registry,
    placeholder,
    required
  } = props;
  const refs = refsOf(registry);
  const name = parameterOf(id);
  const inputRef = useCallback((node: HTMLInputElement | null) => refs?.input(name, node), [
    refs,
    name
  ]);
  const inputProps = getInputProps(schema, type, options);
  const inputValue =
    inputProps.type === 'number' || inputProps.type === 'integer'
      ? value || value === 0
        ? value
        : ''
      : value ?? '';
  const examples = Array.isArray(schema.examples) ? (schema.examples as unknown[]) : null;
  return (
    <>
      <input
        id={id}
        name={id}
        ref={inputRef}
        className="form-control"
        readOnly={readonly}
        disabled={disabled}
        autoFocus={autofocus}
        placeholder={placeholder}
        required={required}
        value={inputValue}
        {...inputProps}
        list={examples ? examplesId(id) : undefined}
        onChange={
          onChangeOverride ??
          (event => onChange(event.target.value === '' ? options.emptyValue : event.target.value))
        }
        onBlur={event => onBlur(id, event.target.value)}
        onFocus={event => onFocus(id, event.target.value)}
        aria-describedby={ariaDescribedByIds(id, !!examples)}
      />
      {examples ? (
        <datalist id={examplesId(id)}>
          {examples.map(example => (
            <option key={String(example)} value={String(example)} />
          ))}
        </datalist>
      ) : null}
    </>
  );
}

export interface IParameterFormProps {
  schema: IParameterSchema;
  values: Values;
  /** Errors from the server, shown on their fields next to rjsf's own. */
  serverErrors: FieldErrors;
  onChange: (values: Values) => void;
  refs: FieldRefs;
}

/** Whether a schema has any parameter to show. */
export function hasParameters(schema: IParameterSchema): boolean {
  return Object.keys(schema.properties ?? {}).length > 0;
}

/** rjsf's form for the parameter schema of a digital twin; the owner keeps the values. */
export function ParameterForm(props: IParameterFormProps): JSX.Element {
  const { schema: full, values, serverErrors, onChange, refs } = props;
  const { schema, uiSchema } = useMemo(() => {
    // The page shows the title; the form should not repeat it.
    const { title: _title, description: _description, ...rest } = full;
    const ui: UiSchema = {};
    for (const [name, property] of Object.entries(rest.properties ?? {})) {
      const field: UiSchema = {};
      if (property.default !== undefined) {
        // An emptied field falls back to the default; the placeholder says which.
        field['ui:placeholder'] = formatValue(property.default);
      }
      if (property.type === 'boolean') {
        // The field template shows label and description in their columns.
        field['ui:options'] = { label: false };
      }
      ui[name] = field;
    }
    return { schema: rest as RJSFSchema, uiSchema: ui };
  }, [full]);
  const extraErrors = useMemo(() => {
    const extra: Record<string, { __errors: string[] }> = {};
    for (const [name, messages] of Object.entries(serverErrors)) {
      if (name && messages.length) {
        extra[name] = { __errors: messages };
      }
    }
    return extra as unknown as ErrorSchema;
  }, [serverErrors]);
  const formContext = useMemo<IFormContext>(() => ({ refs }), [refs]);
  const templates = useMemo(
    () => ({ FieldTemplate: ParameterField, BaseInputTemplate: ParameterInput }),
    []
  );
  // rjsf's generic props do not line up across its own declarations; the values are plain JSON.
  const Form = FormComponent as unknown as React.FC<IFormComponentProps<Values>>;
  return (
    <div className="dtaas-parameter-form">
      <Form
        schema={schema}
        uiSchema={uiSchema as IFormComponentProps<Values>['uiSchema']}
        formData={values}
        formContext={formContext}
        validator={validator as IFormComponentProps<Values>['validator']}
        idPrefix={ID_PREFIX}
        liveValidate
        noHtml5Validate
        showErrorList={false}
        extraErrors={extraErrors}
        templates={templates as IFormComponentProps<Values>['templates']}
        onChange={event => onChange((event.formData ?? {}) as Values)}
      />
    </div>
  );
}
