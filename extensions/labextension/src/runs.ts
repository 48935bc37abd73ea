import { IRun, isFinished } from './api';
import { formatTime, formatValue, h } from './dom';

/** Called with the workspace-relative path of a run notebook. */
export type OpenHandler = (path: string) => void;

/**
 * Show a run's state in `box`. The status element is reused across updates
 * so that anyone watching it sees the text change in place.
 */
export function renderRun(box: HTMLElement, run: IRun, open: OpenHandler): void {
  let status = box.querySelector<HTMLElement>('.dtaas-run-status');
  if (!status) {
    status = h('span', { className: 'dtaas-run-status' });
    box.replaceChildren(
      h('div', { className: 'dtaas-run-line' }, [
        h('span', { className: 'dtaas-label', text: 'Status: ' }),
        status
      ])
    );
  }
  status.textContent = run.status;
  status.dataset.status = run.status;
  status.dataset.runId = run.id;
  if (!isFinished(run.status)) {
    return;
  }

  if (run.status === 'succeeded') {
    box.appendChild(renderRecorded(run.recorded ?? {}));
  } else if (run.status === 'cancelled') {
    box.appendChild(h('div', { className: 'dtaas-muted', text: 'The run was cancelled.' }));
  } else {
    box.appendChild(h('div', { className: 'dtaas-error', text: run.error || 'The run failed.' }));
  }
  // A failed notebook is kept too: it shows where execution stopped.
  if (run.notebook) {
    const button = h('button', {
      className: 'dtaas-open-notebook jp-Button jp-mod-styled',
      text: 'Open notebook',
      attrs: { type: 'button', title: run.notebook }
    });
    button.addEventListener('click', () => open(run.notebook));
    box.appendChild(button);
  }
}

/** Recorded values as `name = value` lines. */
export function renderRecorded(
  recorded: Record<string, unknown>,
  units: Record<string, string> = {}
): HTMLElement {
  const entries = Object.entries(recorded);
  return h(
    'div',
    { className: 'dtaas-recorded' },
    entries.length
      ? entries.map(([name, value]) =>
          h('div', { className: 'dtaas-recorded-item', attrs: { 'data-name': name } }, [
            h('span', { className: 'dtaas-recorded-name', text: name }),
            h('span', { text: ' = ' }),
            h('span', { className: 'dtaas-recorded-value', text: formatValue(value) }),
            ...(units[name]
              ? [h('span', { className: 'dtaas-recorded-unit', text: ` ${units[name]}` })]
              : [])
          ])
        )
      : [h('span', { className: 'dtaas-muted', text: 'No recorded values' })]
  );
}

/** One line of the recent runs list; clicking it calls `show`. */
export function renderRunItem(
  run: IRun,
  open: OpenHandler,
  show: (run: IRun) => void
): HTMLElement {
  const when = formatTime(run.created);
  const item = h(
    'li',
    {
      className: 'dtaas-run-item',
      attrs: { 'data-run-id': run.id, title: `${run.step} · ${when} · ${run.id} (show in Runs)` }
    },
    [
      h('span', {
        className: `dtaas-run-item-status dtaas-status-${run.status}`,
        text: run.status
      }),
      h('span', { className: 'dtaas-run-item-time', text: when })
    ]
  );
  item.setAttribute('role', 'button');
  item.tabIndex = 0;
  item.addEventListener('click', () => show(run));
  item.addEventListener('keydown', (event: KeyboardEvent) => {
    if (event.target === item && (event.key === 'Enter' || event.key === ' ')) {
      event.preventDefault();
      show(run);
    }
  });
  if (run.notebook && isFinished(run.status)) {
    const button = h('button', {
      className: 'dtaas-run-item-open jp-Button jp-mod-minimal',
      text: 'Open',
      attrs: { type: 'button', title: run.notebook }
    });
    button.addEventListener('click', event => {
      // Opening the notebook is not also a request for the runs view.
      event.stopPropagation();
      open(run.notebook);
    });
    item.appendChild(button);
  }
  return item;
}
