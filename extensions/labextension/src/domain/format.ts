/** How values, times, sizes and run progress read to people; pure. */
import type { Run, RunStatus } from '../api/types';

/** A recorded or parameter value, compactly: strings as they are, the rest as JSON. */
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
export function formatTime(iso: string | null | undefined, now = new Date()): string {
  if (!iso) {
    return '';
  }
  const date = new Date(iso);
  if (isNaN(date.getTime())) {
    return iso;
  }
  return date.toDateString() === now.toDateString()
    ? date.toLocaleTimeString(undefined, { timeStyle: 'short' })
    : date.toLocaleString(undefined, { dateStyle: 'short', timeStyle: 'short' });
}

export function formatModified(epochSeconds: number | undefined): string {
  return epochSeconds ? formatTime(new Date(epochSeconds * 1000).toISOString()) : '';
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

/** "512 B", "1.5 kB", "3.2 MB". */
export function formatSize(bytes: number | undefined): string {
  if (bytes === undefined || !isFinite(bytes) || bytes < 0) {
    return '';
  }
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}

// Kernel tracebacks carry terminal colour codes.
const ANSI = /\u001b\[[0-9;?]*[A-Za-z]/g;

export function stripAnsi(text: string): string {
  return text.replace(ANSI, '');
}

/** Statuses after which a run no longer changes. */
export function isFinished(status: RunStatus): boolean {
  return status !== 'queued' && status !== 'running';
}

export function stepsOf(run: Run): string[] {
  return run.steps?.length ? run.steps : run.step ? [run.step] : [];
}

/** Seconds the run took, or has taken so far. */
export function durationOf(run: Run, now = Date.now()): number | null {
  if (run.duration_s !== undefined && run.duration_s !== null) {
    return run.duration_s;
  }
  if (!run.started) {
    return null;
  }
  const end = run.finished ? Date.parse(run.finished) : now;
  return (end - Date.parse(run.started)) / 1000;
}

export function parametersText(parameters: Record<string, unknown> | undefined): string {
  return Object.entries(parameters ?? {})
    .map(([name, value]) => `${name}=${formatValue(value)}`)
    .join(', ');
}

/**
 * "step execute (1 of 2), cell 3 of 7". The server counts both from 1 already
 * (see the runtime's OpenAPI document), so they are shown as they come.
 */
export function progressText(run: Run): string {
  if (run.status === 'queued') {
    return 'Waiting to start…';
  }
  const p = run.progress;
  if (!p || !p.step) {
    return 'Starting…';
  }
  let text = `step ${p.step} (${Math.max(p.step_index, 1)} of ${p.steps_total})`;
  if (p.cells_total > 0) {
    text += `, cell ${Math.min(Math.max(p.cell, 1), p.cells_total)} of ${p.cells_total}`;
  }
  return text;
}

/** The fraction of the run done, 0 to 1, for a progress bar. */
export function progressFraction(run: Run): number {
  if (isFinished(run.status)) {
    return 1;
  }
  const p = run.progress;
  if (!p || !p.step || p.steps_total <= 0) {
    return 0;
  }
  const cells = p.cells_total > 0 ? Math.max(p.cell - 1, 0) / p.cells_total : 0;
  return Math.min((Math.max(p.step_index, 1) - 1 + cells) / p.steps_total, 1);
}
