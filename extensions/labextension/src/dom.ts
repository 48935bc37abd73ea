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
