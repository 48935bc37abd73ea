/** Options for {@link h}. */
export interface IElementOptions {
  className?: string;
  text?: string;
  attrs?: Record<string, string>;
}

/**
 * Create an element. Text always goes through `textContent`, so
 * server-provided strings are never interpreted as HTML.
 */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  options: IElementOptions = {},
  children: Node[] = []
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (options.className) {
    node.className = options.className;
  }
  if (options.text !== undefined) {
    node.textContent = options.text;
  }
  for (const [name, value] of Object.entries(options.attrs ?? {})) {
    node.setAttribute(name, value);
  }
  for (const child of children) {
    node.appendChild(child);
  }
  return node;
}

/** Split plain text into paragraphs at blank lines. */
export function paragraphs(text: string): HTMLParagraphElement[] {
  return text
    .split(/\r?\n\s*\r?\n/)
    .map(part => part.trim())
    .filter(part => part.length > 0)
    .map(part => h('p', { text: part }));
}

/** Show a recorded value compactly: strings as-is, anything else as JSON. */
export function formatValue(value: unknown): string {
  if (typeof value === 'string') {
    return value;
  }
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

/** Local time; the date is added only when it is not today. */
export function formatTime(iso: string | null): string {
  if (!iso) {
    return '';
  }
  const date = new Date(iso);
  if (isNaN(date.getTime())) {
    return iso;
  }
  const today = date.toDateString() === new Date().toDateString();
  return today
    ? date.toLocaleTimeString(undefined, { timeStyle: 'short' })
    : date.toLocaleString(undefined, { dateStyle: 'short', timeStyle: 'short' });
}

/** A JupyterLab-styled button; `variant` picks the accent (e.g. `jp-mod-accept`). */
export function button(
  className: string,
  text: string,
  onClick: () => void,
  variant = 'jp-mod-reject'
): HTMLButtonElement {
  const node = h('button', {
    className: `${className} jp-Button jp-mod-styled ${variant}`,
    text,
    attrs: { type: 'button' }
  });
  node.addEventListener('click', onClick);
  return node;
}

export function errorText(reason: unknown): string {
  return reason instanceof Error ? reason.message : String(reason);
}

/** "4.2 s", "3 min 5 s", "1 h 2 min". */
export function formatDuration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !isFinite(seconds) || seconds < 0) {
    return '';
  }
  if (seconds < 60) {
    return `${seconds.toFixed(1)} s`;
  }
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) {
    return `${minutes} min ${Math.round(seconds % 60)} s`;
  }
  return `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

// Kernel tracebacks carry terminal colour codes; a <pre> would show them raw.
const ANSI = /\u001b\[[0-9;?]*[A-Za-z]/g;

export function stripAnsi(text: string): string {
  return text.replace(ANSI, '');
}
