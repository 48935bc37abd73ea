import { Dialog, InputDialog, showDialog } from '@jupyterlab/apputils';
import { PanelLayout, Widget } from '@lumino/widgets';

import {
  ApiError,
  deleteConfig,
  fetchDT,
  fetchProfiles,
  IConfig,
  IDTInfo,
  IDTRef,
  IParameterError,
  IProfile,
  IRun,
  IRunRequest,
  saveConfig,
  startRun,
  validateParameters
} from './api';
import { button, errorText, h, paragraphs } from './dom';
import { FieldErrors, ParameterForm, validate, Values, withDefaults } from './form';

/** Allowed configuration names, as the server checks them. */
const CONFIG_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** The step ticked when the view opens. */
const DEFAULT_STEP = 'execute';

/** Quiet time after an edit before the server is asked to check the values. */
const VALIDATE_DELAY_MS = 500;

/** The profile option meaning "run in this workspace". */
const WORKSPACE = 'workspace';

export interface IConfigureViewOptions {
  dt: IDTRef;
  /** Show a run that was just started. */
  showRun: (run: IRun) => void;
}

/** Key order must not make equal values look different. */
function stable(values: Values): string {
  const sorted = Object.keys(values)
    .filter(key => values[key] !== undefined)
    .sort()
    .map(key => [key, values[key]]);
  return JSON.stringify(sorted);
}

/** Server errors by parameter; unknown or absent names go to ''. */
function byParameter(errors: IParameterError[], known: string[]): FieldErrors {
  const result: FieldErrors = {};
  for (const error of errors) {
    let name = error.parameter ?? '';
    if (!name && error.pointer) {
      name = decodeURIComponent(error.pointer.split('/')[1] ?? '');
    }
    if (!known.includes(name)) {
      name = '';
    }
    (result[name] = result[name] ?? []).push(error.message);
  }
  return result;
}

/**
 * Edit the parameters of a digital twin in a form made from its JSON Schema,
 * keep them as named configurations, and run lifecycle steps with them.
 */
export class ConfigureView extends Widget {
  constructor(options: IConfigureViewOptions) {
    super();
    this._dt = options.dt;
    this._showRun = options.showRun;
    this.addClass('dtaas-view');
    this.addClass('dtaas-configure');
    this.title.label = `Configure ${options.dt.title || options.dt.name}`;
    this.layout = new PanelLayout();
    this._top = new Widget({ node: h('div', { className: 'dtaas-view-top' }) });
    this._bottom = new Widget({ node: h('div', { className: 'dtaas-view-bottom' }) });
    this._top.node.appendChild(h('div', { className: 'dtaas-muted', text: 'Loading…' }));
    (this.layout as PanelLayout).addWidget(this._top);
    void this.load();
  }

  get dt(): IDTRef {
    return this._dt;
  }

  /** Fetch the digital twin and build the view; unsaved edits are dropped. */
  async load(): Promise<void> {
    let info: IDTInfo;
    try {
      info = await fetchDT(this._dt.scope, this._dt.name);
    } catch (reason) {
      this._top.node.replaceChildren(
        h('div', {
          className: 'dtaas-error',
          text: `Cannot load ${this._dt.name}: ${errorText(reason)}`
        })
      );
      return;
    }
    // Profiles are optional: without them, runs stay in this workspace.
    const profiles = await fetchProfiles().catch(() => [] as IProfile[]);
    this._info = info;
    this._configs = [...(info.configs ?? [])];
    this._build(info, profiles);
    this._load(null);
  }

  private _build(info: IDTInfo, profiles: IProfile[]): void {
    this.title.label = `Configure ${info.title || info.name}`;

    this._select = h('select', {
      className: 'dtaas-config-select dtaas-select',
      attrs: { 'aria-label': 'Configuration' }
    });
    this._select.addEventListener('change', () => void this._pick(this._select.value));
    this._modified = h('span', { className: 'dtaas-config-modified', text: 'modified' });
    this._saveButton = button('dtaas-config-save', 'Save', () => void this._save());
    this._saveAsButton = button('dtaas-config-save-as', 'Save as…', () => void this._saveAs());
    this._deleteButton = button(
      'dtaas-config-delete',
      'Delete',
      () => void this._delete(),
      'jp-mod-warn'
    );

    this._top.node.replaceChildren(
      h('div', { className: 'dtaas-view-header' }, [
        h('h2', { className: 'dtaas-view-title', text: info.title || info.name }),
        h('span', { className: 'dtaas-chip', text: info.scope })
      ]),
      h('div', { className: 'dtaas-description' }, paragraphs(info.description || '')),
      h('div', { className: 'dtaas-config-bar' }, [
        h('label', { className: 'dtaas-label', text: 'Configuration' }),
        this._select,
        this._modified,
        h('span', { className: 'dtaas-spacer' }),
        this._saveButton,
        this._saveAsButton,
        this._deleteButton
      ])
    );

    this._form?.dispose();
    this._form = new ParameterForm({
      schema: info.parameters ?? {},
      values: {},
      onChange: values => this._edit(values)
    });
    const layout = this.layout as PanelLayout;
    layout.insertWidget(1, this._form);
    if (!this._form.hasParameters) {
      this._form.hide();
      this._top.node.appendChild(
        h('div', { className: 'dtaas-muted', text: 'This digital twin has no parameters.' })
      );
    }

    this._summary = h('div', { className: 'dtaas-form-errors', attrs: { hidden: '' } });
    this._status = h('div', { className: 'dtaas-configure-status' });
    this._runButton = button(
      'dtaas-run-config',
      'Run with this configuration',
      () => void this._run(),
      'jp-mod-accept'
    );
    this._bottom.node.replaceChildren(
      this._summary,
      h('h3', { className: 'dtaas-section-title', text: 'Run' }),
      this._renderSteps(info),
      this._renderProfiles(profiles),
      h('div', { className: 'dtaas-run-actions' }, [this._runButton]),
      this._status
    );
    if (!this._bottom.parent) {
      layout.addWidget(this._bottom);
    }
  }

  private _renderSteps(info: IDTInfo): HTMLElement {
    const steps = info.steps ?? [];
    const ticked = steps.some(s => s.name === DEFAULT_STEP) ? DEFAULT_STEP : steps[0]?.name;
    return h('div', { className: 'dtaas-run-field' }, [
      h('span', { className: 'dtaas-label', text: 'Steps' }),
      h(
        'div',
        { className: 'dtaas-step-picker' },
        steps.length
          ? steps.map(step => {
              const box = h('input', {
                className: 'dtaas-step',
                attrs: { type: 'checkbox', value: step.name }
              });
              box.checked = step.name === ticked;
              return h(
                'label',
                { className: 'dtaas-step-option', attrs: { title: step.description || step.name } },
                [box, h('span', { text: step.name })]
              );
            })
          : [h('span', { className: 'dtaas-muted', text: 'No lifecycle steps' })]
      )
    ]);
  }

  private _renderProfiles(profiles: IProfile[]): HTMLElement {
    this._profile = h('select', {
      className: 'dtaas-profile dtaas-select',
      attrs: { 'aria-label': 'Compute profile' }
    });
    this._profile.appendChild(h('option', { text: 'This workspace', attrs: { value: '' } }));
    for (const profile of profiles) {
      if (profile.name === WORKSPACE) {
        continue;
      }
      const size = [profile.cpu !== undefined ? `${profile.cpu} CPU` : '', profile.memory ?? '']
        .filter(Boolean)
        .join(', ');
      this._profile.appendChild(
        h('option', {
          text: size ? `${profile.name} (${size})` : profile.name,
          attrs: { value: profile.name, title: profile.description || '' }
        })
      );
    }
    this._profile.disabled = this._profile.options.length < 2;
    return h('div', { className: 'dtaas-run-field' }, [
      h('span', { className: 'dtaas-label', text: 'Compute' }),
      this._profile,
      h('span', {
        className: 'dtaas-hint',
        text: this._profile.disabled
          ? 'no other profiles are offered'
          : 'another profile starts a new server for the run'
      })
    ]);
  }

  /** Show a configuration (or the defaults, for null) in the form. */
  private _load(config: IConfig | null): void {
    this._current = config;
    const schema = this._info?.parameters ?? {};
    this._baseline = withDefaults(schema, config?.values ?? {});
    this._setServerErrors({});
    this._edit({ ...this._baseline });
    this._renderPicker();
  }

  private async _pick(name: string): Promise<void> {
    if (this._dirty()) {
      const answer = await showDialog({
        title: 'Discard changes?',
        body: 'The values in the form have not been saved.',
        buttons: [Dialog.cancelButton(), Dialog.warnButton({ label: 'Discard' })]
      });
      if (!answer.button.accept) {
        this._select.value = this._current?.name ?? '';
        return;
      }
    }
    if (!name) {
      this._load(null);
      return;
    }
    const config = this._configs.find(c => c.name === name);
    if (config) {
      this._load(config);
    }
  }

  private _renderPicker(): void {
    const options = [h('option', { text: 'Defaults', attrs: { value: '' } })];
    const sorted = [...this._configs].sort((a, b) => a.name.localeCompare(b.name));
    for (const config of sorted) {
      options.push(
        h('option', {
          text: config.readonly ? `${config.name} (read-only)` : config.name,
          attrs: { value: config.name }
        })
      );
    }
    this._select.replaceChildren(...options);
    this._select.value = this._current?.name ?? '';
    this._updateControls();
  }

  /** New values from the form (or a load); re-check them. */
  private _edit(values: Values): void {
    const previous = this._values;
    this._values = values;
    this._clientErrors = validate(this._info?.parameters ?? {}, values);
    // A server error no longer applies once its value changed.
    const kept: FieldErrors = {};
    for (const [name, messages] of Object.entries(this._serverErrors)) {
      if (name === '' || JSON.stringify(previous[name]) === JSON.stringify(values[name])) {
        kept[name] = messages;
      }
    }
    this._setServerErrors(kept);
    this._updateControls();
    this._scheduleServerCheck();
  }

  private _setServerErrors(errors: FieldErrors): void {
    this._serverErrors = errors;
    if (this._form) {
      this._form.values = this._values;
      this._form.serverErrors = errors;
      this._form.update();
    }
    this._renderSummary();
  }

  private _dirty(): boolean {
    return stable(this._values) !== stable(this._baseline);
  }

  private _updateControls(): void {
    if (!this._info) {
      return;
    }
    const writable = this._current !== null && !this._current.readonly;
    const dirty = this._dirty();
    this._modified.hidden = !dirty;
    this._saveButton.disabled = !writable || !dirty;
    this._saveButton.title = writable
      ? 'Save the values to this configuration'
      : 'Only your own configurations can be saved; use Save as…';
    this._deleteButton.disabled = !writable;
  }

  /** Client and server errors, listed once with the parameter they concern. */
  private _renderSummary(): void {
    if (!this._summary) {
      return;
    }
    const items: HTMLElement[] = [];
    const seen = new Set<string>();
    for (const errors of [this._clientErrors, this._serverErrors]) {
      for (const [name, messages] of Object.entries(errors)) {
        for (const message of messages) {
          const key = `${name}\n${message}`;
          if (seen.has(key)) {
            continue;
          }
          seen.add(key);
          const item = h('li', { attrs: { 'data-parameter': name } }, [
            ...(name ? [h('code', { text: name }), h('span', { text: ': ' })] : []),
            h('span', { text: message })
          ]);
          item.addEventListener('click', () => this._focus(name));
          items.push(item);
        }
      }
    }
    this._summary.hidden = items.length === 0;
    this._summary.replaceChildren(
      h('div', { className: 'dtaas-form-errors-title', text: 'Some values are not valid:' }),
      h('ul', {}, items)
    );
  }

  private _focus(name: string): void {
    const input = name ? this.node.querySelector<HTMLElement>(`#root_${CSS.escape(name)}`) : null;
    input?.focus();
  }

  private _hasClientErrors(): boolean {
    return Object.values(this._clientErrors).some(messages => messages.length > 0);
  }

  /** Let the server judge the values too, once the user pauses. */
  private _scheduleServerCheck(): void {
    window.clearTimeout(this._checkTimer);
    if (!this._info || this._hasClientErrors() || !this._dirty()) {
      return;
    }
    const values = this._values;
    const info = this._info;
    this._checkTimer = window.setTimeout(async () => {
      try {
        await validateParameters(info.scope, info.name, values);
        if (values === this._values) {
          this._setServerErrors({});
        }
      } catch (reason) {
        // Only a verdict about these very values is shown; other failures are left to Save/Run.
        if (values === this._values && reason instanceof ApiError && reason.status === 400) {
          this._showServerErrors(reason);
        }
      }
    }, VALIDATE_DELAY_MS);
  }

  /** Put a 400 answer's errors on their fields; true if it had any. */
  private _showServerErrors(error: ApiError): boolean {
    const errors = error.parameterErrors;
    if (errors.length === 0) {
      return false;
    }
    const known = Object.keys(this._info?.parameters?.properties ?? {});
    this._setServerErrors(byParameter(errors, known));
    return true;
  }

  private _setStatus(text: string, isError = false): void {
    this._status.className = 'dtaas-configure-status' + (isError ? ' dtaas-error' : '');
    this._status.textContent = text;
  }

  /** Refuse to send values the form already knows are wrong. */
  private _checkClient(): boolean {
    if (this._hasClientErrors()) {
      this._setStatus('Fix the values marked in the form first.', true);
      this._focus(Object.keys(this._clientErrors)[0] ?? '');
      return false;
    }
    return true;
  }

  private async _save(): Promise<void> {
    if (this._current && !this._current.readonly) {
      await this._put(this._current.name);
    }
  }

  private async _saveAs(): Promise<void> {
    if (!this._checkClient()) {
      return;
    }
    const suggestion = this._current && !this._current.readonly ? this._current.name : '';
    const result = await InputDialog.getText({
      title: 'Save configuration as',
      label: 'Name (letters, digits, ".", "_" and "-")',
      placeholder: 'e.g. heavy',
      text: suggestion,
      // The browser anchors the pattern itself and reads it with the `v` flag.
      pattern: '[A-Za-z0-9][A-Za-z0-9._\\-]{0,63}',
      required: true,
      okLabel: 'Save'
    });
    const name = (result.value ?? '').trim();
    if (!result.button.accept || !name) {
      return;
    }
    if (!CONFIG_NAME.test(name)) {
      this._setStatus(
        `"${name}" is not a valid name: start with a letter or digit, ` +
          'then use letters, digits, ".", "_" or "-" (at most 64).',
        true
      );
      return;
    }
    const existing = this._configs.find(c => c.name === name);
    if (existing?.readonly) {
      this._setStatus(`"${name}" is a read-only configuration; choose another name.`, true);
      return;
    }
    if (existing && existing !== this._current) {
      const answer = await showDialog({
        title: 'Replace configuration?',
        body: `A configuration named "${name}" exists. Replace its values?`,
        buttons: [Dialog.cancelButton(), Dialog.warnButton({ label: 'Replace' })]
      });
      if (!answer.button.accept) {
        return;
      }
    }
    await this._put(name);
  }

  private async _put(name: string): Promise<void> {
    if (!this._info || !this._checkClient()) {
      return;
    }
    this._setStatus(`Saving ${name}…`);
    let saved: IConfig;
    try {
      saved = await saveConfig(this._info.scope, this._info.name, name, this._values);
    } catch (reason) {
      const inline = reason instanceof ApiError && this._showServerErrors(reason);
      this._setStatus(`Cannot save ${name}: ${errorText(reason)}`, true);
      if (inline) {
        this._focus(Object.keys(this._serverErrors).find(Boolean) ?? '');
      }
      return;
    }
    this._configs = [...this._configs.filter(c => c.name !== saved.name), saved];
    this._load(saved);
    this._setStatus(`Saved ${saved.name}.`);
  }

  private async _delete(): Promise<void> {
    const config = this._current;
    if (!this._info || !config || config.readonly) {
      return;
    }
    const answer = await showDialog({
      title: 'Delete configuration?',
      body: `Delete the configuration "${config.name}"? Runs that used it keep their values.`,
      buttons: [Dialog.cancelButton(), Dialog.warnButton({ label: 'Delete' })]
    });
    if (!answer.button.accept) {
      return;
    }
    try {
      await deleteConfig(this._info.scope, this._info.name, config.name);
    } catch (reason) {
      // Already gone is as good as deleted.
      if (!(reason instanceof ApiError && reason.status === 404)) {
        this._setStatus(`Cannot delete ${config.name}: ${errorText(reason)}`, true);
        return;
      }
    }
    this._configs = this._configs.filter(c => c.name !== config.name);
    this._load(null);
    this._setStatus(`Deleted ${config.name}.`);
  }

  private _selectedSteps(): string[] {
    return Array.from(this._bottom.node.querySelectorAll<HTMLInputElement>('input.dtaas-step'))
      .filter(box => box.checked)
      .map(box => box.value);
  }

  private async _run(): Promise<void> {
    if (!this._info || !this._checkClient()) {
      return;
    }
    const steps = this._selectedSteps();
    if (steps.length === 0) {
      this._setStatus('Choose at least one step to run.', true);
      return;
    }
    const request: IRunRequest = {
      dt: this._info.name,
      scope: this._info.scope,
      steps,
      parameters: { ...this._values }
    };
    // Naming the configuration is only true to it while its values are untouched.
    if (this._current && !this._dirty()) {
      request.config = this._current.name;
    }
    if (this._profile.value) {
      request.profile = this._profile.value;
    }
    this._runButton.disabled = true;
    this._setStatus('Starting…');
    try {
      const run = await startRun(request);
      this._setStatus(`Started run ${run.id}.`);
      this._showRun(run);
    } catch (reason) {
      if (reason instanceof ApiError) {
        this._showServerErrors(reason);
      }
      this._setStatus(`Cannot start the run: ${errorText(reason)}`, true);
    } finally {
      this._runButton.disabled = false;
    }
  }

  protected onBeforeDetach(): void {
    window.clearTimeout(this._checkTimer);
  }

  private readonly _dt: IDTRef;
  private readonly _showRun: (run: IRun) => void;
  private readonly _top: Widget;
  private readonly _bottom: Widget;
  private _form: ParameterForm | null = null;
  private _info: IDTInfo | null = null;
  private _configs: IConfig[] = [];
  private _current: IConfig | null = null;
  private _baseline: Values = {};
  private _values: Values = {};
  private _clientErrors: FieldErrors = {};
  private _serverErrors: FieldErrors = {};
  private _checkTimer = 0;
  private _select: HTMLSelectElement = h('select');
  private _modified: HTMLElement = h('span');
  private _saveButton: HTMLButtonElement = h('button');
  private _saveAsButton: HTMLButtonElement = h('button');
  private _deleteButton: HTMLButtonElement = h('button');
  private _runButton: HTMLButtonElement = h('button');
  private _profile: HTMLSelectElement = h('select');
  private _summary: HTMLElement | null = null;
  private _status: HTMLElement = h('div');
}
