/**
 * Vega-Lite specifications for the plots; Lab's own Vega renderer draws them
 * (the `application/vnd.vegalite.v5+json` MIME type), so no charting code ships here.
 */

export const VEGALITE_MIME = 'application/vnd.vegalite.v5+json';

export type Spec = Record<string, unknown>;

const BASE: Spec = {
  $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
  width: 'container',
  height: 220,
  autosize: { type: 'fit-x', contains: 'padding' }
};

/** Lines of y against x, one per series (CSV columns, or one run's columns in an overlay). */
export function lineChart(
  points: Array<{ x: number; y: number; series: string }>,
  xTitle: string,
  yTitle = ''
): Spec {
  return {
    ...BASE,
    data: { values: points },
    mark: { type: 'line', tooltip: true },
    encoding: {
      x: { field: 'x', type: 'quantitative', title: xTitle },
      y: { field: 'y', type: 'quantitative', title: yTitle },
      color: { field: 'series', type: 'nominal', title: null }
    }
  };
}

/** A recorded value over runs, oldest first, each point a run. */
export function trendChart(
  points: Array<{ run: string; created: string; value: number }>,
  record: string,
  unit = ''
): Spec {
  return {
    ...BASE,
    data: { values: points },
    mark: { type: 'line', point: true, tooltip: true },
    encoding: {
      x: { field: 'created', type: 'temporal', title: 'run started' },
      y: { field: 'value', type: 'quantitative', title: unit ? `${record} (${unit})` : record },
      tooltip: [
        { field: 'run', type: 'nominal' },
        { field: 'value', type: 'quantitative', title: record }
      ]
    }
  };
}
