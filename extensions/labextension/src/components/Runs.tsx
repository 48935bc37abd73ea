/**
 * A twin's Runs tab: the runs as a table with their parameters and recorded values, a
 * trend of a recorded value over them, the runs ticked compared, and the selected run
 * in detail with its outputs to explore.
 */
import { Button, refreshIcon } from '@jupyterlab/ui-components';
import React, { useEffect } from 'react';

import { RunsModel } from '../models/runs';
import { TwinModel } from '../models/twin';
import { ErrorText, Muted } from './common';
import { Compare } from './Compare';
import { IDTaaSContext } from './context';
import { useSignal } from './hooks';
import { RunDetail } from './RunDetail';
import { parameterUnitsOf, unitsOf } from './RunParts';
import { RunsTable } from './RunsTable';
import { Trend } from './Trend';

export function Runs(props: {
  model: TwinModel;
  runs: RunsModel;
  context: IDTaaSContext;
}): JSX.Element {
  const { model, runs, context } = props;
  useSignal(runs.changed);
  useSignal(model.changed);
  useEffect(() => {
    const watching = runs.watch();
    return () => watching.dispose();
  }, [runs]);

  const info = model.info;
  const units = React.useMemo(() => unitsOf(info), [info]);
  const parameterUnits = React.useMemo(() => parameterUnitsOf(info), [info]);
  const list = runs.runs;
  const selected = runs.selected;

  return (
    <div className="dtaas-runs" data-dt={runs.dt} data-scope={runs.scope}>
      <div className="dtaas-runs-head">
        <h3 className="dtaas-runs-title">Runs</h3>
        <span className="dtaas-spacer" />
        <Button
          className="dtaas-refresh"
          minimal
          title="Refresh"
          aria-label="Refresh"
          onClick={() => void runs.refresh().catch(() => undefined)}
        >
          <refreshIcon.react tag="span" />
        </Button>
      </div>
      <ErrorText text={runs.error} className="dtaas-runs-error" />
      {list.length > 0 ? (
        <RunsTable runs={runs} list={list} units={units} parameterUnits={parameterUnits} />
      ) : runs.loaded ? (
        <Muted className="dtaas-runs-empty">No runs yet</Muted>
      ) : runs.error ? null : (
        <Muted>Loading…</Muted>
      )}
      <Trend list={list} units={units} rendermime={context.rendermime} />
      {runs.compared.length >= 2 ? (
        <Compare
          runs={runs}
          list={list}
          units={units}
          parameterUnits={parameterUnits}
          rendermime={context.rendermime}
        />
      ) : runs.compared.length === 1 ? (
        <Muted className="dtaas-compare-hint">Tick another run to compare the two.</Muted>
      ) : null}
      {selected ? (
        <RunDetail key={selected.id} run={selected} runs={runs} context={context} units={units} />
      ) : null}
    </div>
  );
}
