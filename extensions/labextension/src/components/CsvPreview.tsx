/** A CSV output: its first rows as a table and a line plot of its columns against the first. */
import { IRenderMimeRegistry } from '@jupyterlab/rendermime';
import React, { useEffect, useMemo, useState } from 'react';

import { errorText } from '../api/client';
import type { IOutputFile } from '../api/runtime';
import type { Run } from '../api/types';
import { lineChart } from '../domain/charts';
import { numericColumns, seriesOf } from '../domain/csv';
import { formatSize, formatValue } from '../domain/format';
import { ICsvTable, MAX_CSV_BYTES, runCsv } from '../models/outputs';
import { ErrorText, Muted, Plot } from './common';
import { asSvg } from './RunParts';

/** Rows shown in the preview table. */
export const PREVIEW_ROWS = 50;

/** The table of one finished run's CSV file, loaded once it is shown. */
export function useCsv(run: Run, file: IOutputFile | null): {
  table: ICsvTable | null;
  error: string;
} {
  const [state, setState] = useState<{ key: string; table: ICsvTable | null; error: string }>({
    key: '',
    table: null,
    error: ''
  });
  const key = file ? `${run.id}\n${file.path}\n${file.size}` : '';
  useEffect(() => {
    if (!file || file.size > MAX_CSV_BYTES) {
      return;
    }
    let live = true;
    runCsv(run, file).then(
      table => live && setState({ key, table, error: '' }),
      reason =>
        live &&
        setState({ key, table: null, error: `Cannot read ${file.path}: ${errorText(reason)}` })
    );
    return () => {
      live = false;
    };
  }, [key]);
  return state.key === key ? state : { table: null, error: '' };
}

function CsvTable(props: { table: ICsvTable }): JSX.Element {
  const { table } = props;
  const rows = table.rows.slice(0, PREVIEW_ROWS);
  return (
    <>
      <div className="dtaas-csv-table-wrap">
        <table className="dtaas-csv-table">
          <thead>
            <tr>
              {table.columns.map((name, i) => (
                <th key={i}>{name}</th>
              ))}
            </tr>
          </thead>
          <tbody>
            {rows.map((row, r) => (
              <tr key={r}>
                {table.columns.map((_, i) => (
                  <td key={i} className={typeof row[i] === 'number' ? 'dtaas-num' : ''}>
                    {row[i] === null || row[i] === undefined ? '' : formatValue(row[i])}
                  </td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <div className="dtaas-csv-rows dtaas-muted">
        {table.rowCount > rows.length
          ? `First ${rows.length} of ${table.rowCount} rows`
          : `${table.rowCount} ${table.rowCount === 1 ? 'row' : 'rows'}`}
      </div>
    </>
  );
}

/** The plot of the chosen numeric columns against the first column. */
function CsvPlot(props: { table: ICsvTable; rendermime: IRenderMimeRegistry }): JSX.Element | null {
  const { table, rendermime } = props;
  const x = table.columns[0] ?? '';
  const numeric = useMemo(() => numericColumns(table), [table]);
  const ys = useMemo(() => numeric.filter(c => c !== x), [numeric, x]);
  const [hidden, setHidden] = useState<string[]>([]);
  const shown = ys.filter(c => !hidden.includes(c));
  const shownKey = shown.join('\n');
  const spec = useMemo(
    () => asSvg(lineChart(seriesOf(table, shown), x)),
    // the columns by content: a fresh array of the same columns draws nothing new
    [table, shownKey, x]
  );
  if (!numeric.includes(x) || ys.length === 0) {
    return null; // nothing to draw against the first column
  }
  return (
    <div className="dtaas-csv-plot-box" data-columns={shown.join(',')}>
      <div className="dtaas-csv-columns" role="group" aria-label="Columns plotted">
        {ys.map(column => (
          <label key={column} className="dtaas-csv-column-label">
            <input
              type="checkbox"
              className="dtaas-csv-column"
              value={column}
              checked={!hidden.includes(column)}
              onChange={event => {
                const on = event.currentTarget.checked;
                setHidden(h => (on ? h.filter(c => c !== column) : [...h, column]));
              }}
            />
            {column}
          </label>
        ))}
      </div>
      {shown.length ? (
        <Plot rendermime={rendermime} spec={spec} className="dtaas-csv-plot" />
      ) : (
        <Muted>Tick a column to plot it.</Muted>
      )}
    </div>
  );
}

export function CsvPreview(props: {
  run: Run;
  file: IOutputFile;
  rendermime: IRenderMimeRegistry;
  open: () => void;
}): JSX.Element {
  const { run, file, rendermime } = props;
  const tooLarge = file.size > MAX_CSV_BYTES;
  const { table, error } = useCsv(run, tooLarge ? null : file);
  return (
    <div className="dtaas-csv" data-path={file.path}>
      <div className="dtaas-output-head">
        <span className="dtaas-output-name">{file.path}</span>
        <span className="dtaas-muted">{formatSize(file.size)}</span>
        <a
          href="#"
          className="dtaas-output-open"
          data-path={file.path}
          onClick={event => {
            event.preventDefault();
            props.open();
          }}
        >
          Open
        </a>
      </div>
      {tooLarge ? (
        <Muted>
          Too large to preview here ({formatSize(file.size)}; up to {formatSize(MAX_CSV_BYTES)}{' '}
          are); open it instead.
        </Muted>
      ) : error ? (
        <ErrorText text={error} />
      ) : !table ? (
        <Muted>Loading…</Muted>
      ) : (
        <>
          <CsvTable table={table} />
          <CsvPlot table={table} rendermime={rendermime} />
        </>
      )}
    </div>
  );
}
