/**
 * PlantPulse's own counters and gauges as line protocol, for the Ingest health dashboard:
 * measurement = the Prometheus metric name, tags = its labels + `instance`, field `value`,
 * timestamp = now. Histograms are left out (their buckets would multiply series for a panel
 * nobody reads in InfluxDB; /metrics has them).
 *
 * These points go straight to InfluxDB, not through the log: a backlog figure queued behind
 * the backlog it describes would arrive too late to be useful. A failed write is dropped
 * (the next one carries the cumulative counters again); /metrics keeps serving them.
 */
import type { Registry } from 'prom-client';
import { formatFields, seriesPrefix } from './line-protocol.js';

/** The metrics written: PlantPulse's own, counters and gauges. */
const WANTED = /^plantpulse_/;

export async function metricLines(
  registry: Registry,
  instance: string,
  ts: number,
): Promise<string[]> {
  const lines: string[] = [];
  for (const m of await registry.getMetricsAsJSON()) {
    // prom-client declares a numeric enum but reports the type as a string at run time.
    const type = String(m.type);
    if (!WANTED.test(m.name) || (type !== 'counter' && type !== 'gauge')) continue;
    for (const v of m.values) {
      const tags: [string, string][] = [['instance', instance]];
      for (const [k, val] of Object.entries(v.labels)) tags.push([k, String(val)]);
      const f = formatFields([['value', { type: 'float', value: v.value }]]);
      if (f) lines.push(`${seriesPrefix(m.name, tags)} ${f} ${ts}`);
    }
  }
  return lines;
}
