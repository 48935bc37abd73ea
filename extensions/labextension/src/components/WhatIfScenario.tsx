/** The scenario picked in a sweep's results: its values, its notebook, Save as configuration. */
import { Button } from '@jupyterlab/ui-components';
import React, { useState } from 'react';

import { errorText } from '../api/client';
import type { ScenarioRow, Sweep } from '../api/types';
import { stripAnsi } from '../domain/format';
import type { CreatedTwin } from '../api/types';
import {
  cellText,
  CONFIG_NAME,
  configNameOf,
  TWIN_NAME,
  twinNameOf,
  variedOf
} from '../domain/whatif';
import { WhatIfModel } from '../models/whatif';
import { ErrorText } from './common';
import { IDTaaSContext } from './context';
import { RecordedValues, withUnit } from './RunParts';

function SaveConfig(props: { model: WhatIfModel; sweep: Sweep; row: ScenarioRow }): JSX.Element {
  const { model, sweep, row } = props;
  const [name, setName] = useState(configNameOf(sweep, row.scenario));
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState('');
  const [saved, setSaved] = useState('');
  const valid = CONFIG_NAME.test(name.trim());
  const save = async () => {
    setBusy(true);
    setError('');
    setSaved('');
    try {
      const config = await model.saveScenario(row.scenario, name.trim());
      setSaved(config.name ?? name.trim());
    } catch (reason) {
      setError(`Cannot save the configuration: ${errorText(reason)}`);
    } finally {
      setBusy(false);
    }
  };
  return (
    <div className="dtaas-whatif-save">
      <label className="dtaas-label" htmlFor={`dtaas-whatif-config-${sweep.id}-${row.scenario}`}>
        Configuration
      </label>
      <input
        id={`dtaas-whatif-config-${sweep.id}-${row.scenario}`}
        type="text"
        className="dtaas-whatif-config-name jp-mod-styled"
        maxLength={64}
        value={name}
        disabled={busy}
        aria-invalid={!valid}
        onChange={event => {
          setName(event.target.value);
          setSaved('');
        }}
        onKeyDown={event => {
          if (event.key === 'Enter' && valid) {
            event.preventDefault();
            void save();
          }
        }}
      />
      <Button
        className="dtaas-whatif-save-config jp-mod-styled jp-mod-accept"
        disabled={busy || !valid}
        title={
          valid
            ? "Save this scenario's parameter values as a configuration of yours"
            : 'Letters, digits, ".", "_" and "-", starting with a letter or digit'
        }
        onClick={() => void save()}
      >
        Save as configuration
      </Button>
      {saved ? (
        <span className="dtaas-whatif-saved" data-config={saved}>
          Saved as {saved}; it is on the Configure tab.
        </span>
      ) : null}
      <ErrorText text={error} className="dtaas-whatif-save-error" />
    </div>
  );
}

/** A new twin in the user's library with the scenario's values as its defaults. */
function NewTwinForm(props: {
  model: WhatIfModel;
  sweep: Sweep;
  row: ScenarioRow;
  context: IDTaaSContext;
}): JSX.Element {
  const { model, sweep, row, context } = props;
  const [name, setName] = useState(twinNameOf(sweep.dt, row.scenario));
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState('');
  const [created, setCreated] = useState<CreatedTwin | null>(null);
  const valid = TWIN_NAME.test(name.trim());
  const create = async () => {
    setBusy(true);
    setError('');
    setCreated(null);
    try {
      const twin = await model.newTwin(row.scenario, name.trim());
      setCreated(twin);
      void context.library.search(); // the sidebar lists it
    } catch (reason) {
      setError(`Cannot make the twin: ${errorText(reason)}`);
    } finally {
      setBusy(false);
    }
  };
  const open = (twin: CreatedTwin) =>
    context.openAsset({ scope: twin.scope, type: 'digital_twins', name: twin.name });
  return (
    <div className="dtaas-whatif-save dtaas-whatif-new-twin">
      <label className="dtaas-label" htmlFor={`dtaas-whatif-twin-${sweep.id}-${row.scenario}`}>
        New twin
      </label>
      <input
        id={`dtaas-whatif-twin-${sweep.id}-${row.scenario}`}
        type="text"
        className="dtaas-whatif-twin-name jp-mod-styled"
        maxLength={64}
        value={name}
        disabled={busy}
        aria-invalid={!valid}
        onChange={event => {
          setName(event.target.value);
          setCreated(null);
        }}
        onKeyDown={event => {
          if (event.key === 'Enter' && valid) {
            event.preventDefault();
            void create();
          }
        }}
      />
      <Button
        className="dtaas-whatif-make-twin jp-mod-styled jp-mod-reject"
        disabled={busy || !valid}
        title={
          valid
            ? "A copy of this twin in your library with the scenario's values as its defaults"
            : 'Lower-case letters, digits, ".", "_" and "-", starting with a letter or digit'
        }
        onClick={() => void create()}
      >
        New twin from this
      </Button>
      {created ? (
        <span className="dtaas-whatif-created" data-name={created.name} data-path={created.path}>
          Made {created.name}.{' '}
          <Button
            className="dtaas-whatif-open-twin jp-mod-styled jp-mod-accept"
            minimal
            onClick={() => open(created)}
          >
            Open it
          </Button>
        </span>
      ) : null}
      <ErrorText text={error} className="dtaas-whatif-twin-error" />
    </div>
  );
}

export function WhatIfScenario(props: {
  model: WhatIfModel;
  sweep: Sweep;
  row: ScenarioRow;
  units: Record<string, string>;
  parameterUnits: Record<string, string>;
  context: IDTaaSContext;
}): JSX.Element {
  const { model, sweep, row, units, parameterUnits, context } = props;
  const varied = new Set(variedOf(sweep));
  const parameters = Object.entries(row.parameters ?? {});
  return (
    <div
      className="dtaas-whatif-scenario"
      data-scenario={row.scenario}
      data-status={row.status}
      data-rank={row.rank ?? ''}
    >
      <div className="dtaas-whatif-scenario-head">
        <h4 className="dtaas-section-title">Scenario {row.scenario}</h4>
        <span className={`dtaas-run-row-status dtaas-status-${row.status}`}>{row.status}</span>
        {row.rank ? <span className="dtaas-muted">Pareto rank {row.rank}</span> : null}
        {row.score !== null && row.score !== undefined ? (
          <span className="dtaas-muted">score {cellText(row.score)}</span>
        ) : null}
        <span className="dtaas-spacer" />
        <Button
          className="dtaas-whatif-open-notebook jp-mod-styled jp-mod-reject"
          disabled={!row.notebook}
          title={
            row.notebook
              ? `Open ${row.notebook}`
              : 'Its executed notebook was not kept (see "Keep notebooks")'
          }
          onClick={() => row.notebook && context.open(row.notebook)}
        >
          Open notebook
        </Button>
      </div>
      <div className="dtaas-whatif-scenario-values">
        <div className="dtaas-whatif-scenario-parameters">
          {parameters.map(([name, value]) => (
            <span
              key={name}
              className={
                varied.has(name)
                  ? 'dtaas-whatif-scenario-parameter dtaas-mod-varied'
                  : 'dtaas-whatif-scenario-parameter'
              }
              data-parameter={name}
            >
              {withUnit(name, parameterUnits[name])} = {cellText(value)}
            </span>
          ))}
        </div>
        <RecordedValues recorded={row.recorded ?? {}} units={units} />
      </div>
      {row.error ? (
        <div className="dtaas-error dtaas-whatif-scenario-error" role="alert">
          {row.error}
        </div>
      ) : null}
      {row.traceback ? (
        <pre className="dtaas-whatif-traceback">{stripAnsi(row.traceback)}</pre>
      ) : null}
      <SaveConfig key={`c:${sweep.id}:${row.scenario}`} model={model} sweep={sweep} row={row} />
      <NewTwinForm
        key={`t:${sweep.id}:${row.scenario}`}
        model={model}
        sweep={sweep}
        row={row}
        context={context}
      />
    </div>
  );
}
