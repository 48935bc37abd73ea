import { Dialog } from '@jupyterlab/apputils';
import { closeIcon } from '@jupyterlab/ui-components';
import { Widget } from '@lumino/widgets';

import { ApiError } from './api';
import { PickList } from './cart';
import { errorText, h } from './dom';
import { createDT, DT_NAME, fetchTemplates, ILibraryAsset, ITemplate } from './libraryapi';

/** Preferred when the user picks none; the server's default too. */
const DEFAULT_TEMPLATE = 'blank';

/** The fields errors can be reported on; "form" is for errors that name none. */
const FIELDS = ['name', 'title', 'description', 'template', 'assets', 'form'] as const;
type Field = (typeof FIELDS)[number];

/** Index of the Create button among the dialog's buttons. */
const CREATE = 1;

function nameProblem(name: string): string {
  if (!name) {
    return 'A name is needed';
  }
  if (!DT_NAME.test(name)) {
    return 'Use a-z, 0-9, ".", "_" and "-", starting with a letter or digit; at most 64';
  }
  return '';
}

/** The form: name, title, description, template and the picked assets. */
class NewDTForm extends Widget {
  constructor(
    private readonly _picks: PickList,
    templates: Promise<ITemplate[]>
  ) {
    super();
    this.addClass('dtaas-new-dt-form');
    this.nameInput = h('input', {
      className: 'dtaas-new-name jp-mod-styled',
      attrs: {
        type: 'text',
        required: '',
        // Mirrors DT_NAME, so the dialog keeps Create disabled while it does not match.
        pattern: '[a-z0-9][a-z0-9._\\-]{0,63}',
        placeholder: 'my-twin',
        autocomplete: 'off',
        spellcheck: 'false'
      }
    });
    this.titleInput = h('input', {
      className: 'dtaas-new-title jp-mod-styled',
      attrs: { type: 'text', placeholder: 'My twin' }
    });
    this.descriptionInput = h('textarea', {
      className: 'dtaas-new-description jp-mod-styled',
      attrs: { rows: '3' }
    });
    this.templateSelect = h('select', { className: 'dtaas-new-template dtaas-select' }, [
      h('option', { text: 'Loading…', attrs: { value: '' } })
    ]);
    this._templateInfo = h('div', { className: 'dtaas-new-hint' });
    this._assets = h('div', { className: 'dtaas-new-assets' });

    this.nameInput.addEventListener('input', () => this.checkName());
    this.templateSelect.addEventListener('change', () => this._describeTemplate());
    for (const [field, input] of [
      ['title', this.titleInput],
      ['description', this.descriptionInput],
      ['template', this.templateSelect]
    ] as const) {
      input.addEventListener('input', () => this.setError(field, ''));
    }

    this.node.append(
      this._row('Name', 'name', this.nameInput),
      this._row('Title', 'title', this.titleInput),
      this._row('Description', 'description', this.descriptionInput),
      this._row('Template', 'template', this.templateSelect, this._templateInfo),
      this._row('Assets', 'assets', this._assets),
      this._error('form')
    );
    this._picks.changed.connect(this._renderAssets, this);
    this._renderAssets();
    void this._loadTemplates(templates);
  }

  readonly nameInput: HTMLInputElement;
  readonly titleInput: HTMLInputElement;
  readonly descriptionInput: HTMLTextAreaElement;
  readonly templateSelect: HTMLSelectElement;

  /** The dialog's value: the new digital twin, once the server created it. */
  created: ILibraryAsset | null = null;

  getValue(): ILibraryAsset | null {
    return this.created;
  }

  /** What the server is asked for. */
  request(): Parameters<typeof createDT>[0] {
    const title = this.titleInput.value.trim();
    const description = this.descriptionInput.value.trim();
    return {
      name: this.nameInput.value,
      ...(title ? { title } : {}),
      ...(description ? { description } : {}),
      ...(this.templateSelect.value ? { template: this.templateSelect.value } : {}),
      assets: this._picks.items.map(item => item.ref)
    };
  }

  /** Show the name's problem under it while typing. */
  checkName(): void {
    // An empty field only complains once the user tried to create.
    this.setError('name', this.nameInput.value ? nameProblem(this.nameInput.value) : '');
  }

  setError(field: Field, message: string): void {
    const node = this.node.querySelector<HTMLElement>(`.dtaas-new-error[data-field="${field}"]`);
    if (node) {
      node.textContent = message;
      node.hidden = !message;
    }
    const input = this.node.querySelector<HTMLElement>(`[data-input="${field}"]`);
    input?.classList.toggle('dtaas-invalid', Boolean(message));
  }

  clearErrors(): void {
    for (const field of FIELDS) {
      this.setError(field, '');
    }
  }

  focus(field: Field): void {
    const input = this.node.querySelector<HTMLElement>(`[data-input="${field}"]`);
    input?.focus();
  }

  dispose(): void {
    this._picks.changed.disconnect(this._renderAssets, this);
    super.dispose();
  }

  private _row(
    label: string,
    field: Field,
    input: HTMLElement,
    ...more: HTMLElement[]
  ): HTMLElement {
    input.dataset.input = field;
    const id = `dtaas-new-${field}-${++Private.ids}`;
    input.id = id;
    return h('div', { className: 'dtaas-new-row', attrs: { 'data-field': field } }, [
      h('label', { className: 'dtaas-new-label', text: label, attrs: { for: id } }),
      input,
      ...more,
      this._error(field)
    ]);
  }

  private _error(field: Field): HTMLElement {
    return h('div', {
      className: 'dtaas-new-error dtaas-error',
      attrs: { 'data-field': field, hidden: '', role: 'alert' }
    });
  }

  private async _loadTemplates(templates: Promise<ITemplate[]>): Promise<void> {
    let list: ITemplate[];
    try {
      list = await templates;
    } catch (reason) {
      this.templateSelect.replaceChildren(h('option', { text: 'Default', attrs: { value: '' } }));
      this.setError('template', `Cannot load templates: ${errorText(reason)}`);
      return;
    }
    this._templates = list;
    this.templateSelect.replaceChildren(
      ...list.map(t =>
        h('option', {
          text: t.title && t.title !== t.name ? `${t.title} (${t.name})` : t.name,
          attrs: { value: t.name }
        })
      )
    );
    if (list.length === 0) {
      this.templateSelect.appendChild(h('option', { text: 'Default', attrs: { value: '' } }));
    }
    const preferred = list.find(t => t.name === DEFAULT_TEMPLATE) ?? list[0];
    this.templateSelect.value = preferred?.name ?? '';
    this._describeTemplate();
  }

  private _describeTemplate(): void {
    const template = this._templates.find(t => t.name === this.templateSelect.value);
    const steps = template?.steps?.length ? ` Steps: ${template.steps.join(', ')}.` : '';
    this._templateInfo.textContent = template ? `${template.description}${steps}`.trim() : '';
  }

  private _renderAssets(): void {
    const items = this._picks.items;
    this.setError('assets', '');
    if (items.length === 0) {
      this._assets.replaceChildren(
        h('div', {
          className: 'dtaas-new-hint',
          text: 'None. Add assets from the library with "Add to new DT".'
        })
      );
      return;
    }
    this._assets.replaceChildren(
      h(
        'ul',
        { className: 'dtaas-new-asset-list dtaas-plain-list' },
        items.map(item => {
          const remove = h('button', {
            className: 'dtaas-new-asset-remove jp-Button jp-mod-minimal',
            attrs: {
              type: 'button',
              title: `Leave out ${item.ref}`,
              'aria-label': `Leave out ${item.ref}`
            }
          });
          closeIcon.element({ container: remove, tag: 'span' });
          remove.addEventListener('click', () => this._picks.remove(item.ref));
          return h('li', { attrs: { 'data-ref': item.ref } }, [
            h('span', { text: item.title }),
            h('code', { className: 'dtaas-ref', text: item.ref }),
            remove
          ]);
        })
      )
    );
  }

  private readonly _templateInfo: HTMLElement;
  private readonly _assets: HTMLElement;
  private _templates: ITemplate[] = [];
}

/**
 * A dialog that stays open until the server has created the digital twin, so
 * that a refusal is shown next to the field it names.
 */
class NewDTDialog extends Dialog<ILibraryAsset | null> {
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
    if ((index ?? CREATE) !== CREATE || this._created) {
      super.resolve(index);
      return;
    }
    void this._submit();
  }

  private async _submit(): Promise<void> {
    if (this._busy) {
      return;
    }
    const form = this._form;
    form.clearErrors();
    const problem = nameProblem(form.nameInput.value);
    if (problem) {
      form.setError('name', problem);
      form.focus('name');
      return;
    }
    const accept = this.node.querySelector<HTMLButtonElement>('.jp-Dialog-button.jp-mod-accept');
    this._busy = true;
    if (accept) {
      accept.disabled = true;
    }
    try {
      this._created = form.created = await createDT(form.request());
    } catch (reason) {
      const field = reason instanceof ApiError ? String(reason.body.field ?? '') : '';
      const known = (FIELDS as readonly string[]).includes(field) ? (field as Field) : 'form';
      form.setError(known, errorText(reason));
      if (known !== 'form') {
        form.focus(known);
      }
      return;
    } finally {
      this._busy = false;
      if (accept) {
        accept.disabled = false;
      }
    }
    super.resolve(CREATE);
  }

  private _created: ILibraryAsset | null = null;
  private _busy = false;
}

/** Ask for a new digital twin; resolves with it once created, or null if cancelled. */
export async function newDigitalTwin(picks: PickList): Promise<ILibraryAsset | null> {
  const form = new NewDTForm(picks, fetchTemplates());
  const dialog = new NewDTDialog(form);
  const result = await dialog.launch();
  return result.button.accept ? result.value : null;
}

namespace Private {
  /** Makes label ids unique when dialogs overlap. */
  export let ids = 0;
}
