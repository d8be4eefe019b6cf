/**
 * Tag patterns for derived series. Derived series whose key is not a sensor path carry only
 * the `series` tag (sinks/influx/points.ts), so line- and machine-level series are filtered by
 * a regex on their key built from the template variables: `/^$site\/$line:energy_kwh$/`.
 */
import { v, type Condition } from './influxql.js';

/** Key `<site>/<line>:<suffix>` (line-level derived series). */
export const lineSeries = (suffix: string): Condition => ({
  tag: 'series',
  matches: [v('site'), '/', v('line'), `:${suffix}`],
});

/** Key `<site>/<line>/<machine>:<suffix>` (machine-level derived series). */
export const machineSeries = (suffix: string): Condition => ({
  tag: 'series',
  matches: [v('site'), '/', v('line'), '/', v('machine'), `:${suffix}`],
});

/** Alerts of a machine or of one of its sensors: `<asset path>:alert:<rule>`. */
export const alertSeries = (): Condition => ({
  tag: 'series',
  matches: [v('site'), '/', v('line'), '/', v('machine'), { regex: '(\\/[^:\\/]+)?:alert:.+' }],
});
