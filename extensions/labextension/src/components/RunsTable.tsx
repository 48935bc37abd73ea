/** The runs of a twin as a table: status, when, steps, configuration, parameters, records. */
import React from 'react';

import type { Run } from '../api/types';
import {
  durationOf,
  formatDuration,
  formatTime,
  formatValue,
  parametersText,
  stepsOf
} from '../domain/format';
import { RunsModel } from '../models/runs';
import { withUnit } from './RunParts';

/** Every name the runs have in `pick`, sorted. */
function namesOf(runs: readonly Run[], pick: (run: Run) => Record<string, unknown> | undefined) {
  const names = new Set<string>();
  runs.forEach(run => Object.keys(pick(run) ?? {}).forEach(name => names.add(name)));
  return [...names].sort();
}

function cell(values: Record<string, unknown> | undefined, name: string): string {
  return values && name in values ? formatValue(values[name]) : '';
}

function RunRow(props: {
  run: Run;
  runs: RunsModel;
  selected: boolean;
  compared: boolean;
  parameters: string[];
  records: string[];
}): JSX.Element {
  const { run, runs, parameters, records } = props;
  const select = () => runs.select(run.id);
  return (
    <tr
      className={`dtaas-run-row${props.selected ? ' jp-mod-selected' : ''}`}
      data-run-id={run.id}
      tabIndex={0}
      aria-selected={props.selected}
      title={`${run.id}${run.parameters ? `\n${parametersText(run.parameters)}` : ''}`}
      onClick={select}
      onKeyDown={event => {
        // keys on the compare box are the box's own
        if (event.target === event.currentTarget && (event.key === 'Enter' || event.key === ' ')) {
          event.preventDefault();
          select();
        }
      }}
    >
      <td className="dtaas-run-compare-cell">
        <input
          type="checkbox"
          className="dtaas-run-compare"
          checked={props.compared}
          aria-label={`Compare run ${run.id}`}
          title="Compare"
          onClick={event => event.stopPropagation()} // ticking is not also selecting
          onChange={() => runs.toggleCompared(run.id)}
        />
      </td>
      <td>
        <span className={`dtaas-run-row-status dtaas-status-${run.status}`}>{run.status}</span>
      </td>
      <td>{formatTime(run.started ?? run.created)}</td>
      <td className="dtaas-num">{formatDuration(durationOf(run))}</td>
      <td>{stepsOf(run).join(' → ')}</td>
      <td>{run.config ?? ''}</td>
      {parameters.map(name => (
        <td key={`p:${name}`} className="dtaas-num dtaas-run-row-param" data-parameter={name}>
          {cell(run.parameters, name)}
        </td>
      ))}
      {records.map(name => (
        <td key={`r:${name}`} className="dtaas-num dtaas-run-row-record" data-record={name}>
          {cell(run.recorded, name)}
        </td>
      ))}
    </tr>
  );
}

export function RunsTable(props: {
  runs: RunsModel;
  list: readonly Run[];
  units: Record<string, string>;
  parameterUnits: Record<string, string>;
}): JSX.Element {
  const { runs, list, units, parameterUnits } = props;
  const parameters = namesOf(list, run => run.parameters);
  const records = namesOf(list, run => run.recorded);
  const selectedId = runs.selectedId;
  const compared = runs.compared;
  return (
    <div className="dtaas-runs-table-wrap">
      <table className="dtaas-runs-table">
        <thead>
          <tr>
            <th className="dtaas-run-compare-cell" title="Tick runs to compare them">
              Compare
            </th>
            <th>Status</th>
            <th>Started</th>
            <th>Duration</th>
            <th>Steps</th>
            <th>Config</th>
            {parameters.map(name => (
              <th key={`p:${name}`} className="dtaas-run-param-head" data-parameter={name}>
                {withUnit(name, parameterUnits[name])}
              </th>
            ))}
            {records.map(name => (
              <th key={`r:${name}`} className="dtaas-run-record-head" data-record={name}>
                {withUnit(name, units[name])}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {list.map(run => (
            <RunRow
              key={run.id}
              run={run}
              runs={runs}
              selected={run.id === selectedId}
              compared={compared.includes(run.id)}
              parameters={parameters}
              records={records}
            />
          ))}
        </tbody>
      </table>
    </div>
  );
}
