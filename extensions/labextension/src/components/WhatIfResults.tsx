/**
 * A sweep's results: a sortable, filterable table of its scenarios, a scatter plot of two
 * columns coloured by Pareto rank, the front of three objectives as its three pairwise
 * projections (with parallel coordinates beside), parallel coordinates for more, and
 * the sensitivity of each recorded value for saltelli and morris designs.
 */
import { IRenderMimeRegistry } from '@jupyterlab/rendermime';
import { HTMLSelect } from '@jupyterlab/ui-components';
import React, { useMemo, useState } from 'react';

import type { ScenarioRow, Sweep, SweepResults } from '../api/types';
import {
  cellOf,
  cellText,
  columnLabel,
  filterRows,
  front3dSpec,
  IColumn,
  ISensitivity,
  ISort,
  nextSort,
  parallelSpec,
  plottableColumns,
  scatterSpec,
  sensitivityOf,
  sensitivitySpec,
  sortRows
} from '../domain/whatif';
import { WhatIfModel } from '../models/whatif';
import { Muted, Plot } from './common';
import { asSvg, useStable } from './RunParts';

function ResultsTable(props: {
  model: WhatIfModel;
  rows: ScenarioRow[];
  columns: IColumn[];
  sort: ISort | null;
  setSort: (sort: ISort) => void;
}): JSX.Element {
  const { model, rows, columns, sort, setSort } = props;
  const failed = rows.some(r => r.status !== 'succeeded');
  return (
    <div className="dtaas-whatif-table-wrap">
      <table className="dtaas-whatif-table">
        <thead>
          <tr>
            {columns.map(column => {
              const sorted = sort?.key === column.key ? sort.direction : null;
              return (
                <th
                  key={column.key}
                  data-column={column.key}
                  className={`dtaas-whatif-col dtaas-whatif-col-${column.kind}`}
                  aria-sort={
                    sorted === 'asc' ? 'ascending' : sorted === 'desc' ? 'descending' : 'none'
                  }
                >
                  <button
                    type="button"
                    className="dtaas-whatif-sort"
                    title={
                      column.direction
                        ? `Sort by ${column.name} (objective: ${column.direction})`
                        : `Sort by ${column.name}`
                    }
                    onClick={() => setSort(nextSort(sort, column.key))}
                  >
                    {columnLabel(column)}
                    {column.direction ? (
                      <span className="dtaas-whatif-direction"> {column.direction}</span>
                    ) : null}
                    <span className="dtaas-whatif-sort-mark">
                      {sorted === 'asc' ? ' ▲' : sorted === 'desc' ? ' ▼' : ''}
                    </span>
                  </button>
                </th>
              );
            })}
            {failed ? <th className="dtaas-whatif-col">error</th> : null}
          </tr>
        </thead>
        <tbody>
          {rows.map(row => {
            const picked = row.scenario === model.picked;
            const pick = () => model.pick(row.scenario);
            return (
              <tr
                key={row.scenario}
                className={[
                  'dtaas-whatif-row',
                  picked ? 'jp-mod-selected' : '',
                  row.rank === 1 ? 'dtaas-mod-front' : ''
                ].join(' ')}
                data-scenario={row.scenario}
                data-status={row.status}
                data-rank={row.rank ?? ''}
                tabIndex={0}
                aria-selected={picked}
                onClick={pick}
                onKeyDown={event => {
                  if (event.key === 'Enter' || event.key === ' ') {
                    event.preventDefault();
                    pick();
                  }
                }}
              >
                {columns.map(column => {
                  const value = cellOf(row, column);
                  return (
                    <td
                      key={column.key}
                      data-column={column.key}
                      className={typeof value === 'number' ? 'dtaas-num' : ''}
                      title={typeof value === 'number' ? String(value) : undefined}
                    >
                      {column.kind === 'status' ? (
                        <span className={`dtaas-run-row-status dtaas-status-${row.status}`}>
                          {row.status}
                        </span>
                      ) : (
                        cellText(value)
                      )}
                    </td>
                  );
                })}
                {failed ? (
                  <td className="dtaas-whatif-row-error" title={row.traceback ?? undefined}>
                    {row.error ?? ''}
                  </td>
                ) : null}
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}

function ColumnSelect(props: {
  className: string;
  label: string;
  columns: IColumn[];
  value: string;
  choose: (key: string) => void;
}): JSX.Element {
  return (
    <label className="dtaas-whatif-field">
      <span className="dtaas-label">{props.label}</span>
      <HTMLSelect
        className={props.className}
        aria-label={props.label}
        value={props.value}
        onChange={event => props.choose(event.currentTarget.value)}
        options={props.columns.map(c => ({ value: c.key, label: columnLabel(c) }))}
      />
    </label>
  );
}

function Scatter(props: {
  rows: ScenarioRow[];
  columns: IColumn[];
  rendermime: IRenderMimeRegistry;
}): JSX.Element | null {
  const { rows, rendermime } = props;
  const columns = useStable(plottableColumns(rows, props.columns));
  const [xKey, setX] = useState('');
  const [yKey, setY] = useState('');
  const parameters = columns.filter(c => c.kind === 'parameter');
  const objectives = columns.filter(c => c.kind === 'recorded' && c.direction);
  const recorded = columns.filter(c => c.kind === 'recorded');
  // two objectives: the front of one against the other; else a parameter against a value
  const x =
    columns.find(c => c.key === xKey) ??
    (objectives.length >= 2 ? objectives[0] : (parameters[0] ?? columns[0]));
  const y =
    columns.find(c => c.key === yKey) ??
    (objectives.length >= 2
      ? objectives[1]
      : (objectives[0] ?? recorded.find(c => c !== x) ?? columns.find(c => c !== x)));
  const stableRows = useStable(rows);
  const spec = useMemo(
    () => (x && y ? asSvg(scatterSpec(stableRows, x, y)) : null),
    [stableRows, x, y]
  );
  if (!x || !y || !spec) {
    return null;
  }
  return (
    <div className="dtaas-whatif-scatter" data-x={x.key} data-y={y.key}>
      <div className="dtaas-whatif-plot-head">
        <h4 className="dtaas-section-title">Scatter, coloured by Pareto rank</h4>
        <ColumnSelect
          className="dtaas-whatif-scatter-x"
          label="x"
          columns={columns}
          value={x.key}
          choose={setX}
        />
        <ColumnSelect
          className="dtaas-whatif-scatter-y"
          label="y"
          columns={columns}
          value={y.key}
          choose={setY}
        />
      </div>
      <Plot rendermime={rendermime} spec={spec} className="dtaas-whatif-scatter-plot" />
    </div>
  );
}

function Parallel(props: {
  rows: ScenarioRow[];
  columns: IColumn[];
  rendermime: IRenderMimeRegistry;
}): JSX.Element | null {
  const axes = useStable(
    plottableColumns(props.rows, props.columns).filter(
      c => c.kind === 'parameter' || (c.kind === 'recorded' && c.direction)
    )
  );
  const rows = useStable(props.rows);
  const spec = useMemo(() => asSvg(parallelSpec(rows, axes)), [rows, axes]);
  return (
    <div className="dtaas-whatif-parallel">
      <h4 className="dtaas-section-title">Parallel coordinates</h4>
      <Plot rendermime={props.rendermime} spec={spec} className="dtaas-whatif-parallel-plot" />
    </div>
  );
}

/** The three projections take a row of their own, across the plots' grid. */
const FRONT3D_STYLE: React.CSSProperties = {
  gridColumn: '1 / -1',
  minWidth: 0,
  overflowX: 'auto',
  padding: '4px 10px 8px',
  border: 'var(--jp-border-width) solid var(--jp-border-color2)',
  background: 'var(--jp-layout-color1)'
};

function Front3d(props: {
  rows: ScenarioRow[];
  columns: IColumn[];
  rendermime: IRenderMimeRegistry;
}): JSX.Element | null {
  const objectives = useStable(
    props.columns.filter(c => c.kind === 'recorded' && c.direction).slice(0, 3)
  );
  const rows = useStable(props.rows);
  const spec = useMemo(
    () => (objectives.length === 3 ? asSvg(front3dSpec(rows, objectives)) : null),
    [rows, objectives]
  );
  if (!spec) {
    return null;
  }
  return (
    <div
      className="dtaas-whatif-front3d"
      data-objectives={objectives.map(c => c.key).join(' ')}
      style={FRONT3D_STYLE}
    >
      <h4 className="dtaas-section-title">
        Front of three objectives, projected in pairs (hover a scenario to find it in each)
      </h4>
      <Plot rendermime={props.rendermime} spec={spec} className="dtaas-whatif-front3d-plot" />
    </div>
  );
}

function SensitivityTable(props: { sensitivity: ISensitivity }): JSX.Element {
  const table = props.sensitivity.table;
  const keys = table.length ? Object.keys(table[0]).filter(k => k !== 'parameter') : [];
  return (
    <table className="dtaas-whatif-sensitivity-table">
      <thead>
        <tr>
          <th>parameter</th>
          {keys.map(k => (
            <th key={k}>{k}</th>
          ))}
        </tr>
      </thead>
      <tbody>
        {table.map(entry => (
          <tr key={String(entry.parameter)} data-parameter={String(entry.parameter)}>
            <td>{entry.parameter}</td>
            {keys.map(k => (
              <td key={k} className="dtaas-num" data-index={k}>
                {cellText(entry[k])}
              </td>
            ))}
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function Sensitivity(props: {
  results: SweepResults;
  units: Record<string, string>;
  rendermime: IRenderMimeRegistry;
}): JSX.Element | null {
  const all = useStable(sensitivityOf(props.results.analysis));
  const [chosen, choose] = useState('');
  const current = all.find(s => s.output === chosen) ?? all[0];
  const unit = current ? (props.units[current.output] ?? '') : '';
  const spec = useMemo(
    () => (current && !current.error ? asSvg(sensitivitySpec(current, unit)) : null),
    [current, unit]
  );
  if (!current) {
    return null;
  }
  return (
    <div
      className="dtaas-whatif-sensitivity"
      data-output={current.output}
      data-kind={current.kind ?? ''}
    >
      <div className="dtaas-whatif-plot-head">
        <h4 className="dtaas-section-title">Sensitivity</h4>
        {all.length > 1 ? (
          <label className="dtaas-whatif-field">
            <span className="dtaas-label">Recorded value</span>
            <HTMLSelect
              className="dtaas-whatif-sensitivity-output"
              aria-label="Recorded value"
              value={current.output}
              onChange={event => choose(event.currentTarget.value)}
              options={all.map(s => s.output)}
            />
          </label>
        ) : null}
      </div>
      {current.error ? (
        <Muted className="dtaas-whatif-sensitivity-error">
          No indices for {current.output}: {current.error}
        </Muted>
      ) : (
        <>
          {spec ? (
            <Plot
              rendermime={props.rendermime}
              spec={spec}
              className="dtaas-whatif-sensitivity-plot"
            />
          ) : null}
          <SensitivityTable sensitivity={current} />
        </>
      )}
    </div>
  );
}

export function WhatIfResults(props: {
  model: WhatIfModel;
  sweep: Sweep;
  results: SweepResults;
  columns: IColumn[];
  units: Record<string, string>;
  rendermime: IRenderMimeRegistry;
}): JSX.Element {
  const { model, sweep, results, columns, units, rendermime } = props;
  const [sort, setSort] = useState<ISort | null>(null);
  const [filter, setFilter] = useState('');
  const filtered = filterRows(results.rows, columns, filter);
  const rows = sortRows(filtered.rows, columns, sort);
  const objectives = columns.filter(c => c.direction).length;
  const kind = (sweep.design as { kind?: string }).kind;
  return (
    <div className="dtaas-whatif-results" data-sweep-id={sweep.id} data-rows={results.rows.length}>
      <div className="dtaas-whatif-results-head">
        <h4 className="dtaas-section-title">Results</h4>
        <input
          type="search"
          className="dtaas-whatif-filter jp-mod-styled"
          aria-label="Filter scenarios"
          placeholder="Filter: text, or x1 < 0.1, status = failed"
          value={filter}
          onChange={event => setFilter(event.target.value)}
        />
        <span className="dtaas-muted dtaas-whatif-count">
          {rows.length === results.rows.length
            ? `${rows.length} scenario${rows.length === 1 ? '' : 's'}`
            : `${rows.length} of ${results.rows.length} scenarios`}
        </span>
      </div>
      {filtered.error ? (
        <div className="dtaas-error dtaas-whatif-filter-error" role="alert">
          {filtered.error}
        </div>
      ) : null}
      {results.rows.length ? (
        <ResultsTable model={model} rows={rows} columns={columns} sort={sort} setSort={setSort} />
      ) : (
        <Muted className="dtaas-whatif-no-rows">No scenario has finished yet.</Muted>
      )}
      <div className="dtaas-whatif-plots">
        {objectives === 3 ? (
          <Front3d rows={rows} columns={columns} rendermime={rendermime} />
        ) : null}
        <Scatter rows={rows} columns={columns} rendermime={rendermime} />
        {objectives >= 3 ? (
          <Parallel rows={rows} columns={columns} rendermime={rendermime} />
        ) : null}
        {kind === 'saltelli' || kind === 'morris' ? (
          results.analysis ? (
            <Sensitivity results={results} units={units} rendermime={rendermime} />
          ) : (
            <Muted>The sensitivity indices come once every scenario is in.</Muted>
          )
        ) : null}
      </div>
    </div>
  );
}
