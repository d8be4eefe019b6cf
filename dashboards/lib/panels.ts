/**
 * Panel helpers: every panel gets the InfluxDB datasource, a size on the 24-column grid, a
 * unit and its targets in one call, so dashboard modules read as a list of what is shown.
 */
import * as common from '@grafana/grafana-foundation-sdk/common';
import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import * as bargauge from '@grafana/grafana-foundation-sdk/bargauge';
import * as stat from '@grafana/grafana-foundation-sdk/stat';
import * as statetimeline from '@grafana/grafana-foundation-sdk/statetimeline';
import * as table from '@grafana/grafana-foundation-sdk/table';
import * as timeseries from '@grafana/grafana-foundation-sdk/timeseries';
import { INFLUX_DATASOURCE } from './datasource.js';
import type { InfluxTargetBuilder } from './target.js';

export interface PanelSpec {
  title: string;
  description: string;
  targets: InfluxTargetBuilder[];
  unit?: string;
  /** Grid width (of 24) and height. */
  w?: number;
  h?: number;
  /** Lower bound of `$__interval` (records that exist once an hour need `1h`). */
  minInterval?: string;
  /** Relative time of this panel instead of the dashboard's, e.g. `now/d` = today so far. */
  timeFrom?: string;
  transformations?: dashboard.DataTransformerConfig[];
  mappings?: dashboard.ValueMapping[];
  thresholds?: [color: string, from: number | null][];
  decimals?: number;
}

interface CommonBuilder {
  title(t: string): this;
  description(d: string): this;
  datasource(d: { type: string; uid: string }): this;
  withTarget(t: InfluxTargetBuilder): this;
  span(w: number): this;
  height(h: number): this;
  unit(u: string): this;
  interval(i: string): this;
  timeFrom(t: string): this;
  transformations(t: dashboard.DataTransformerConfig[]): this;
  mappings(m: dashboard.ValueMapping[]): this;
  thresholds(t: dashboard.ThresholdsConfigBuilder): this;
  decimals(d: number): this;
}

function apply<B extends CommonBuilder>(b: B, s: PanelSpec): B {
  b.title(s.title).description(s.description).datasource(INFLUX_DATASOURCE);
  for (const t of s.targets) b.withTarget(t);
  b.span(s.w ?? 12).height(s.h ?? 8);
  if (s.unit) b.unit(s.unit);
  if (s.minInterval) b.interval(s.minInterval);
  if (s.timeFrom) b.timeFrom(s.timeFrom);
  if (s.transformations) b.transformations(s.transformations);
  if (s.mappings) b.mappings(s.mappings);
  if (s.decimals !== undefined) b.decimals(s.decimals);
  if (s.thresholds)
    b.thresholds(
      new dashboard.ThresholdsConfigBuilder()
        .mode(dashboard.ThresholdsMode.Absolute)
        .steps(s.thresholds.map(([color, value]) => ({ color, value }))),
    );
  return b;
}

const legendTable = () =>
  new common.VizLegendOptionsBuilder()
    .displayMode(common.LegendDisplayMode.Table)
    .placement(common.LegendPlacement.Right)
    .showLegend(true)
    .calcs(['lastNotNull', 'max']);

export function timeSeries(s: PanelSpec & { bars?: boolean; points?: boolean }) {
  const b = apply(new timeseries.PanelBuilder(), s).legend(legendTable()).lineWidth(1);
  if (s.bars) b.drawStyle(common.GraphDrawStyle.Bars).fillOpacity(80);
  else if (s.points)
    b.drawStyle(common.GraphDrawStyle.Points).pointSize(6).showPoints(common.VisibilityMode.Always);
  else b.fillOpacity(10).spanNulls(false);
  return b;
}

export function statPanel(s: PanelSpec & { reduce?: 'lastNotNull' | 'sum' | 'max' | 'count' }) {
  return apply(new stat.PanelBuilder(), s)
    .reduceOptions(
      new common.ReduceDataOptionsBuilder().calcs([s.reduce ?? 'lastNotNull']).values(false),
    )
    .colorMode(common.BigValueColorMode.Value)
    .graphMode(common.BigValueGraphMode.Area);
}

export function tablePanel(s: PanelSpec) {
  return apply(new table.PanelBuilder(), s).cellHeight(common.TableCellHeight.Sm).filterable(true);
}

export function barGauge(s: PanelSpec & { max?: number }) {
  const b = apply(new bargauge.PanelBuilder(), s)
    .displayMode(common.BarGaugeDisplayMode.Gradient)
    .orientation(common.VizOrientation.Horizontal)
    .reduceOptions(new common.ReduceDataOptionsBuilder().calcs(['lastNotNull']).values(false));
  if (s.max !== undefined) b.min(0).max(s.max);
  return b;
}

export function stateTimeline(s: PanelSpec) {
  return apply(new statetimeline.PanelBuilder(), s)
    .showValue(common.VisibilityMode.Auto)
    .mergeValues(true)
    .fillOpacity(80);
}

/** Value → text and colour, e.g. ISO zones 1..4 → A..D. */
export function valueMap(entries: Record<string, [text: string, color: string]>) {
  const options: Record<string, dashboard.ValueMappingResult> = {};
  let index = 0;
  for (const [value, [text, color]] of Object.entries(entries))
    options[value] = { text, color, index: index++ };
  return { type: dashboard.MappingType.ValueToText, options } as dashboard.ValueMapping;
}

/** Join the frames of several targets on a field (tables built from two measurements). */
export function joinOn(field: string): dashboard.DataTransformerConfig {
  return { id: 'joinByField', options: { byField: field, mode: 'outer' } };
}

/** Keep only rows whose field matches (or drop them: `exclude`). */
export function filterRows(
  field: string,
  regex: string,
  type: 'include' | 'exclude',
): dashboard.DataTransformerConfig {
  return {
    id: 'filterByValue',
    options: {
      type,
      match: 'any',
      filters: [{ fieldName: field, config: { id: 'regex', options: { value: regex } } }],
    },
  };
}

/** Row header grouping the panels below it. */
export function row(title: string) {
  return new dashboard.RowBuilder(title);
}
