/**
 * A twin's What-if tab: a sweep form over its parameters, its sweeps with live progress,
 * and the selected sweep's ranked results, plots and sensitivity; a scenario picked in
 * them opens its notebook or becomes a configuration.
 */
import { Button, refreshIcon } from '@jupyterlab/ui-components';
import React, { useEffect, useMemo } from 'react';

import { resultColumns } from '../domain/whatif';
import { calibrationsOf } from '../models/calibrations';
import { TwinModel } from '../models/twin';
import { whatIfOf } from '../models/whatif';
import { ErrorText, Muted } from './common';
import { IDTaaSContext } from './context';
import { useSignal } from './hooks';
import { parameterUnitsOf, unitsOf } from './RunParts';
import { WhatIfCalibrate } from './WhatIfCalibrate';
import { WhatIfForm } from './WhatIfForm';
import { WhatIfResults } from './WhatIfResults';
import { WhatIfScenario } from './WhatIfScenario';
import { SweepList, SweepProgress } from './WhatIfSweeps';

export function WhatIf(props: { model: TwinModel; context: IDTaaSContext }): JSX.Element {
  const { model: twin, context } = props;
  const model = whatIfOf(twin, context.settings);
  const calibrations = calibrationsOf(twin, context.settings);
  const calibrating = calibrations.shown;
  useSignal(model.changed);
  useSignal(calibrations.changed);
  useSignal(twin.changed);
  useEffect(() => {
    if (calibrating) {
      return; // the Calibrate section follows its own
    }
    const watching = model.watch();
    return () => watching.dispose();
  }, [model, calibrating]);

  const info = twin.info;
  const units = useMemo(() => unitsOf(info), [info]);
  const parameterUnits = useMemo(() => parameterUnitsOf(info), [info]);
  const sweep = model.selected;
  const results = model.results;
  const columns = useMemo(
    () => (sweep && results ? resultColumns(sweep, results.rows, units, parameterUnits) : []),
    [sweep, results, units, parameterUnits]
  );
  const picked = model.pickedRow;

  return (
    <div className="dtaas-whatif" data-dt={model.dt} data-scope={model.scope}>
      <div className="dtaas-whatif-head">
        <h3 className="dtaas-whatif-title">What-if</h3>
        <div className="dtaas-whatif-sections" role="tablist" aria-label="What-if">
          {(['sweeps', 'calibrate'] as const).map(section => (
            <Button
              key={section}
              role="tab"
              className={`dtaas-whatif-section jp-mod-styled${
                (section === 'calibrate') === calibrating ? ' jp-mod-active' : ''
              }`}
              data-section={section}
              aria-selected={(section === 'calibrate') === calibrating}
              minimal
              onClick={() => calibrations.show(section === 'calibrate')}
            >
              {section === 'sweeps' ? 'Sweeps' : 'Calibrate'}
            </Button>
          ))}
        </div>
        <span className="dtaas-spacer" />
        <Button
          className="dtaas-whatif-refresh"
          minimal
          title="Refresh"
          aria-label="Refresh"
          onClick={() =>
            void (calibrating ? calibrations : model).refresh().catch(() => undefined)
          }
        >
          <refreshIcon.react tag="span" />
        </Button>
      </div>
      <ErrorText text={twin.infoError} />
      {calibrating ? (
        <WhatIfCalibrate twin={twin} context={context} />
      ) : (
        <>
          {info ? <WhatIfForm model={model} /> : twin.infoError ? null : <Muted>Loading…</Muted>}
          <h4 className="dtaas-section-title">Sweeps</h4>
          <ErrorText text={model.error} className="dtaas-whatif-error" />
          {model.sweeps.length ? (
            <SweepList model={model} />
          ) : model.loaded ? (
            <Muted className="dtaas-whatif-empty">No sweeps of this twin yet.</Muted>
          ) : model.error ? null : (
            <Muted>Loading…</Muted>
          )}
          {sweep ? <SweepProgress key={sweep.id} sweep={sweep} model={model} /> : null}
          <ErrorText text={model.resultsError} className="dtaas-whatif-results-error" />
          {sweep && results ? (
            <WhatIfResults
              key={sweep.id}
              model={model}
              sweep={sweep}
              results={results}
              columns={columns}
              units={units}
              rendermime={context.rendermime}
            />
          ) : null}
          {sweep && picked ? (
            <WhatIfScenario
              model={model}
              sweep={sweep}
              row={picked}
              units={units}
              parameterUnits={parameterUnits}
              context={context}
            />
          ) : null}
        </>
      )}
    </div>
  );
}
