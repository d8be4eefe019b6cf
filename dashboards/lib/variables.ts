/**
 * Template variables site → line → machine, each narrowed by the ones before it, from the tag
 * values InfluxDB holds for the raw sensor measurements. Multi-select with "All": Grafana
 * expands them to `(a|b)` inside the `/^$site$/` regexes the queries use.
 */
import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import { SENSOR_KINDS } from '../../config/units.js';
import { INFLUX_DATASOURCE } from './datasource.js';
import { tagValues, type Condition } from './influxql.js';

/** The measurements raw readings land in (DESIGN §3: measurement = sensor kind). */
export const RAW_MEASUREMENTS: readonly string[] = SENSOR_KINDS;

/** The asset filter every per-asset query applies. */
export const ASSET_FILTER: readonly Condition[] = [
  { tag: 'site', variable: 'site' },
  { tag: 'line', variable: 'line' },
  { tag: 'machine', variable: 'machine' },
];

function variable(name: string, label: string, where: readonly Condition[]) {
  const query = tagValues(name, { from: RAW_MEASUREMENTS, where });
  return new dashboard.QueryVariableBuilder(name)
    .label(label)
    .datasource(INFLUX_DATASOURCE)
    .query(query)
    .definition(query)
    .refresh(dashboard.VariableRefresh.OnDashboardLoad)
    .sort(dashboard.VariableSort.AlphabeticalAsc)
    .multi(true)
    .includeAll(true)
    .current({ text: 'All', value: '$__all', selected: true });
}

export const siteVariable = () => variable('site', 'Site', []);
export const lineVariable = () => variable('line', 'Line', ASSET_FILTER.slice(0, 1));
export const machineVariable = () => variable('machine', 'Machine', ASSET_FILTER.slice(0, 2));

/** site, line, machine, or the first n of them. */
export function assetVariables(n: 1 | 2 | 3 = 3) {
  return [siteVariable(), lineVariable(), machineVariable()].slice(0, n);
}
