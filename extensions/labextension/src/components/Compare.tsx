/** Compare the runs ticked: what differs in parameters and recorded values, CSV series overlaid. */
import { IRenderMimeRegistry } from '@jupyterlab/rendermime';
import { Button, HTMLSelect } from '@jupyterlab/ui-components';
import React, { useEffect, useMemo, useState } from 'react';

import { errorText } from '../api/client';
import type { IRunOutputs } from '../api/runtime';
import type { Run } from '../api/types';
import { lineChart } from '../domain/charts';
import {
  commonFiles,
  IDifference,
  parameterDifferences,
  recordedDifferences
} from '../domain/compare';
import { numericColumns, seriesOf } from '../domain/csv';
import { formatValue, isFinished } from '../domain/format';
import { ICsvTable, isPreviewable, runCsv, runOutputs } from '../models/outputs';
import { RunsModel } from '../models/runs';
import { ErrorText, Muted, Plot } from './common';
import { asSvg, runLabel, useStable, withUnit } from './RunParts';

function DifferenceTable(props: {
  className: string;
  runs: Run[];
  rows: IDifference[];
  units: Record<string, string>;
  empty: string;
}): JSX.Element {
  const { runs, rows, units } = props;
  if (rows.length === 0) {
    return <Muted className={props.className}>{props.empty}</Muted>;
  }
  return (
    <div className="dtaas-compare-table-wrap">
      <table className={`dtaas-compare-table ${props.className}`}>
        <thead>
          <tr>
            <th />
            {runs.map(run => (
              <th key={run.id} data-run-id={run.id}>
                {runLabel(run)}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.map(row => (
            <tr
              key={row.name}
              data-name={row.name}
              className={row.differs ? 'dtaas-mod-differs' : ''}
              title={row.differs ? 'differs between the runs' : 'the same in every run'}
            >
              <th scope="row">{withUnit(row.name, units[row.name])}</th>
              {row.values.map((value, i) => (
                <td key={runs[i].id} className="dtaas-num">
                  {value === undefined ? '–' : formatValue(value)}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** The listings of the runs' outputs, loaded once they are finished. */
function useListings(runs: Run[]): { listings: IRunOutputs[] | null; error: string } {
  const key = runs.map(r => r.id).join('\n');
  const [state, setState] = useState<{
    key: string;
    listings: IRunOutputs[] | null;
    error: string;
  }>({ key: '', listings: null, error: '' });
  useEffect(() => {
    if (!key) {
      return;
    }
    let live = true;
    Promise.all(runs.map(r => runOutputs(r.id))).then(
      listings => live && setState({ key, listings, error: '' }),
      reason =>
        live &&
        setState({ key, listings: null, error: `Cannot list outputs: ${errorText(reason)}` })
    );
    return () => {
      live = false;
    };
  }, [key]);
  return state.key === key ? state : { listings: null, error: '' };
}

/** The same CSV file of every run, as tables. */
function useTables(runs: Run[], listings: IRunOutputs[] | null, path: string) {
  const key = path && listings ? `${runs.map(r => r.id).join('\n')}\n${path}` : '';
  const [state, setState] = useState<{ key: string; tables: ICsvTable[] | null; error: string }>({
    key: '',
    tables: null,
    error: ''
  });
  useEffect(() => {
    if (!key || !listings) {
      return;
    }
    let live = true;
    Promise.all(
      runs.map((run, i) => {
        const file = listings[i].files.find(f => f.path === path);
        return file ? runCsv(run, file) : Promise.reject(new Error(`${run.id} has no ${path}`));
      })
    ).then(
      tables => live && setState({ key, tables, error: '' }),
      reason =>
        live &&
        setState({ key, tables: null, error: `Cannot read ${path}: ${errorText(reason)}` })
    );
    return () => {
      live = false;
    };
  }, [key]);
  return state.key === key ? state : { tables: null, error: '' };
}

/** One CSV file common to the runs, one of its columns, a line per run. */
function Overlay(props: { runs: Run[]; rendermime: IRenderMimeRegistry }): JSX.Element {
  const { runs, rendermime } = props;
  const { listings, error } = useListings(runs);
  const files = useStable(
    listings ? commonFiles(listings.map(l => l.files.filter(isPreviewable).map(f => f.path))) : []
  );
  const [chosenFile, chooseFile] = useState('');
  const file = files.includes(chosenFile) ? chosenFile : (files[0] ?? '');
  const { tables, error: tableError } = useTables(runs, listings, file);
  const columns = useMemo(() => {
    if (!tables || tables.length === 0) {
      return [];
    }
    const x = tables[0].columns[0];
    const each = tables.map(t => (t.columns[0] === x ? numericColumns(t) : []));
    return each[0].filter(c => c !== x && each.every(cs => cs.includes(c) && cs.includes(x)));
  }, [tables]);
  const [chosenColumn, chooseColumn] = useState('');
  const column = columns.includes(chosenColumn) ? chosenColumn : (columns[0] ?? '');
  const labels = runs.map(runLabel).join('\n');
  const spec = useMemo(() => {
    if (!tables || !column) {
      return null;
    }
    const names = labels.split('\n');
    const points = tables.flatMap((table, i) =>
      seriesOf(table, [column]).map(p => ({ ...p, series: names[i] }))
    );
    return asSvg(lineChart(points, tables[0].columns[0], column));
  }, [tables, column, labels]);

  let body: React.ReactNode;
  if (error || tableError) {
    body = <ErrorText text={error || tableError} />;
  } else if (!listings) {
    body = <Muted>Loading the runs&apos; outputs…</Muted>;
  } else if (files.length === 0) {
    body = <Muted>The runs have no CSV output in common.</Muted>;
  } else if (!tables) {
    body = <Muted>Loading {file}…</Muted>;
  } else if (!spec) {
    body = <Muted>{file} has no numeric column in common to plot.</Muted>;
  } else {
    body = <Plot rendermime={rendermime} spec={spec} className="dtaas-compare-plot" />;
  }
  return (
    <div className="dtaas-compare-overlay" data-file={file} data-column={column}>
      <div className="dtaas-compare-pickers">
        <label>
          <span>File</span>
          <HTMLSelect
            className="dtaas-compare-file"
            value={file}
            disabled={files.length === 0}
            onChange={event => chooseFile(event.currentTarget.value)}
            options={files}
            aria-label="CSV file to overlay"
          />
        </label>
        <label>
          <span>Column</span>
          <HTMLSelect
            className="dtaas-compare-column"
            value={column}
            disabled={columns.length === 0}
            onChange={event => chooseColumn(event.currentTarget.value)}
            options={columns}
            aria-label="Column to overlay"
          />
        </label>
      </div>
      {body}
    </div>
  );
}

export function Compare(props: {
  runs: RunsModel;
  list: readonly Run[];
  units: Record<string, string>;
  parameterUnits: Record<string, string>;
  rendermime: IRenderMimeRegistry;
}): JSX.Element {
  const { runs, list, units, parameterUnits, rendermime } = props;
  const compared = runs.compared
    .map(id => list.find(r => r.id === id))
    .filter((r): r is Run => r !== undefined);
  const finished = useStable(compared.filter(r => isFinished(r.status)));
  const waiting = compared.length - finished.length;
  return (
    <div className="dtaas-compare" data-runs={compared.map(r => r.id).join(' ')}>
      <div className="dtaas-compare-head">
        <h4 className="dtaas-section-title">Compare {compared.length} runs</h4>
        <Button
          className="dtaas-compare-clear"
          minimal
          small
          onClick={() => runs.clearCompared()}
          title="Untick every run"
        >
          Clear
        </Button>
      </div>
      <h5 className="dtaas-compare-subtitle">Parameters</h5>
      <DifferenceTable
        className="dtaas-compare-parameters"
        runs={compared}
        rows={parameterDifferences(compared)}
        units={parameterUnits}
        empty="No parameters."
      />
      <h5 className="dtaas-compare-subtitle">Recorded values</h5>
      <DifferenceTable
        className="dtaas-compare-recorded"
        runs={compared}
        rows={recordedDifferences(compared)}
        units={units}
        empty="No recorded values."
      />
      <h5 className="dtaas-compare-subtitle">Outputs overlaid</h5>
      {waiting ? (
        <Muted>
          {waiting === 1 ? 'One run is' : `${waiting} runs are`} still going; the overlay shows
          finished runs.
        </Muted>
      ) : null}
      {finished.length >= 2 ? (
        <Overlay runs={finished} rendermime={rendermime} />
      ) : (
        <Muted>Two finished runs are needed to overlay their outputs.</Muted>
      )}
    </div>
  );
}
