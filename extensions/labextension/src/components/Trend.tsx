/** A recorded value over the runs, as a line with a point per run. */
import { IRenderMimeRegistry } from '@jupyterlab/rendermime';
import { HTMLSelect } from '@jupyterlab/ui-components';
import React, { useMemo, useState } from 'react';

import type { Run } from '../api/types';
import { trendChart } from '../domain/charts';
import { numericRecords, trendOf } from '../domain/compare';
import { byRunNumber } from '../domain/explore';
import { Plot } from './common';
import { asSvg, useStable, withUnit } from './RunParts';

export function Trend(props: {
  list: readonly Run[];
  units: Record<string, string>;
  rendermime: IRenderMimeRegistry;
}): JSX.Element | null {
  const { list, units, rendermime } = props;
  const runs = list as Run[];
  // a trend needs two runs with a number for the value
  const records = useStable(numericRecords(runs).filter(name => trendOf(runs, name).length >= 2));
  const [chosen, choose] = useState('');
  const record = records.includes(chosen) ? chosen : (records[0] ?? '');
  const points = useStable(record ? trendOf(runs, record) : []);
  const unit = units[record] ?? '';
  const spec = useMemo(
    () => asSvg(byRunNumber(trendChart(points, record, unit))),
    [points, record, unit]
  );
  if (!record) {
    return null;
  }
  return (
    <div className="dtaas-trend" data-record={record}>
      <div className="dtaas-trend-head">
        <h4 className="dtaas-section-title">Trend over runs</h4>
        <label className="dtaas-trend-label">
          <span>Recorded value</span>
          <HTMLSelect
            className="dtaas-trend-record"
            value={record}
            onChange={event => choose(event.currentTarget.value)}
            options={records.map(name => ({ value: name, label: withUnit(name, units[name]) }))}
            aria-label="Recorded value shown over runs"
          />
        </label>
      </div>
      <Plot rendermime={rendermime} spec={spec} className="dtaas-trend-plot" />
    </div>
  );
}
