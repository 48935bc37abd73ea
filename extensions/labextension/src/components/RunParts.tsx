/** Small pieces the parts of the Runs tab share: units, run labels, recorded values, plots. */
import React, { useRef } from 'react';

import type { DigitalTwin, Run } from '../api/types';
import type { Spec } from '../domain/charts';
import { formatTime, formatValue } from '../domain/format';

/** Units of the recorded values, by name, from the twin's `records`. */
export function unitsOf(info: DigitalTwin | null): Record<string, string> {
  const units: Record<string, string> = {};
  for (const [name, record] of Object.entries(info?.records ?? {})) {
    const unit = (record as Record<string, unknown> | null)?.['x-unit'];
    if (typeof unit === 'string' && unit) {
      units[name] = unit;
    }
  }
  return units;
}

/** Units of the parameters, by name, from the twin's parameter schema. */
export function parameterUnitsOf(info: DigitalTwin | null): Record<string, string> {
  const units: Record<string, string> = {};
  const properties = (info?.parameters as { properties?: Record<string, unknown> } | undefined)
    ?.properties;
  for (const [name, schema] of Object.entries(properties ?? {})) {
    const unit = (schema as Record<string, unknown> | null)?.['x-unit'];
    if (typeof unit === 'string' && unit) {
      units[name] = unit;
    }
  }
  return units;
}

/** How a run is named in comparisons and legends: when it started, and its id's end. */
export function runLabel(run: Run): string {
  return `${formatTime(run.started ?? run.created)} · ${run.id.slice(-6)}`;
}

/** Plots are drawn as SVG, so what they show (axes, legend) can be read and zoomed crisply. */
export function asSvg(spec: Spec): Spec {
  return { ...spec, usermeta: { embedOptions: { renderer: 'svg', actions: false } } };
}

/**
 * The same object for as long as its content is the same, so that a plot fed with it is
 * not drawn again at every poll (the models hand out fresh arrays on each check).
 */
export function useStable<T>(value: T): T {
  const kept = useRef<{ key: string; value: T } | null>(null);
  const key = JSON.stringify(value);
  if (kept.current === null || kept.current.key !== key) {
    kept.current = { key, value };
  }
  return kept.current.value;
}

/** Recorded values as `name = value unit` lines. */
export function RecordedValues(props: {
  recorded: Record<string, unknown>;
  units: Record<string, string>;
}): JSX.Element {
  const entries = Object.entries(props.recorded);
  return (
    <div className="dtaas-recorded">
      {entries.length ? (
        entries.map(([name, value]) => (
          <div key={name} className="dtaas-recorded-item" data-name={name}>
            <span className="dtaas-recorded-name">{name}</span>
            <span> = </span>
            <span className="dtaas-recorded-value">{formatValue(value)}</span>
            {props.units[name] ? (
              <span className="dtaas-recorded-unit"> {props.units[name]}</span>
            ) : null}
          </div>
        ))
      ) : (
        <span className="dtaas-muted">No recorded values</span>
      )}
    </div>
  );
}

/** A header cell's text with its unit, e.g. "x1 (m)". */
export function withUnit(name: string, unit: string | undefined): string {
  return unit ? `${name} (${unit})` : name;
}
