/**
 * Ingest health: how fast readings arrive, what is rejected and why, how far the InfluxDB sink
 * is behind, which sensors went quiet.
 *
 * Two sources: the data itself (readings per kind by event time, the last reading per sensor,
 * dropouts found by the anomaly operator) and PlantPulse's own counters and gauges, which the
 * sink writes to InfluxDB next to the data every few seconds (sinks/influx/self-metrics.ts:
 * measurement = Prometheus metric name, tags = its labels + `instance`). Those go straight to
 * InfluxDB, not through the log: a backlog figure queued behind the backlog it describes
 * would arrive too late to be useful. During an InfluxDB outage they are lost (the backlog
 * itself is not), and /metrics keeps serving them.
 */
import { ASSET_FILTER, RAW_MEASUREMENTS } from './lib/variables.js';
import { plantDashboard } from './lib/dashboard.js';
import { influx } from './lib/target.js';
import { statPanel, tablePanel, timeSeries } from './lib/panels.js';

const counterRate = (metric: string, by: string[], alias: string, refId = 'A') =>
  influx(
    {
      select: [{ field: 'value', fn: 'last', ratePer: '1s' }],
      from: { measurement: metric },
      groupByTime: '$__interval',
      groupByTags: by,
      fill: 'none',
    },
    refId,
  ).alias(alias);

const gauge = (metric: string, refId = 'A') =>
  influx(
    {
      select: [{ field: 'value', fn: 'last' }],
      from: { measurement: metric },
      groupByTime: '$__interval',
      groupByTags: ['instance'],
      fill: 'none',
    },
    refId,
  ).alias('$tag_instance');

export function ingestHealth() {
  return plantDashboard({
    uid: 'plantpulse-ingest',
    title: 'PlantPulse · Ingest health',
    description: 'Ingest rates, rejects by reason, InfluxDB sink backlog, silent sensors.',
    time: { from: 'now-6h', to: 'now' },
  })
    .withPanel(
      timeSeries({
        title: 'Ingest rate',
        description:
          'MQTT messages received and log rows written per second (PlantPulse counters).',
        unit: 'reqps',
        w: 12,
        targets: [
          counterRate(
            'plantpulse_mqtt_messages_in_total',
            ['instance'],
            'messages $tag_instance',
            'A',
          ),
          counterRate('plantpulse_readings_stored_total', ['instance'], 'rows $tag_instance', 'B'),
        ],
      }),
    )
    .withPanel(
      timeSeries({
        title: 'Rejects by reason',
        description:
          'Rejected readings and messages per second by error code (PP_ERR_…); each is kept in the dead-letter table with its reason.',
        unit: 'reqps',
        w: 12,
        bars: true,
        targets: [counterRate('plantpulse_rejects_total', ['code'], '$tag_code')],
      }),
    )
    .withPanel(
      statPanel({
        title: 'InfluxDB backlog',
        description: 'Log rows not yet confirmed by InfluxDB (an upper bound).',
        unit: 'short',
        w: 6,
        h: 6,
        thresholds: [
          ['green', null],
          ['orange', 100_000],
          ['red', 1_000_000],
        ],
        targets: [gauge('plantpulse_influx_backlog_lines')],
      }),
    )
    .withPanel(
      statPanel({
        title: 'Backlog age',
        description: 'Age of the oldest row not yet confirmed by InfluxDB.',
        unit: 's',
        w: 6,
        h: 6,
        thresholds: [
          ['green', null],
          ['orange', 60],
          ['red', 900],
        ],
        targets: [gauge('plantpulse_influx_backlog_age_seconds')],
      }),
    )
    .withPanel(
      timeSeries({
        title: 'Sink: shipped lines and write errors',
        description:
          'Lines confirmed by InfluxDB per second, and failed writes per second by HTTP status.',
        unit: 'short',
        w: 12,
        h: 6,
        targets: [
          counterRate(
            'plantpulse_influx_shipped_lines_total',
            ['instance'],
            'shipped $tag_instance',
            'A',
          ),
          counterRate(
            'plantpulse_influx_write_errors_total',
            ['status'],
            'errors $tag_status',
            'B',
          ),
        ],
      }),
    )
    .withPanel(
      timeSeries({
        title: 'Readings per interval by kind',
        description:
          'Readings of the selected machines in InfluxDB per interval, by event time (late data fills in earlier intervals).',
        unit: 'short',
        w: 24,
        bars: true,
        targets: [
          influx({
            select: [{ field: 'value', fn: 'count' }],
            from: { measurements: RAW_MEASUREMENTS },
            where: ASSET_FILTER,
            groupByTime: '$__interval',
            fill: 'none',
          }),
        ],
      }),
    )
    .withPanel(
      tablePanel({
        title: 'Last reading per sensor',
        description:
          'The time column shows when each sensor last reported; sort by it to find silent sensors.',
        w: 12,
        h: 10,
        targets: [
          influx({
            select: [{ field: 'value', fn: 'last', as: 'last value' }],
            from: { measurements: RAW_MEASUREMENTS },
            where: ASSET_FILTER,
            groupByTags: ['line', 'machine', 'sensor'],
          }).table(),
        ],
      }),
    )
    .withPanel(
      tablePanel({
        title: 'Dropouts by sensor',
        description:
          'Gaps longer than the sensor’s gap factor × its interval, found by the anomaly operator: count and total silent time.',
        w: 12,
        h: 10,
        transformations: [],
        targets: [
          influx({
            select: [
              { field: 'value', fn: 'count', as: 'dropouts' },
              { field: 'value', fn: 'sum', as: 'silent', scale: 0.001 },
            ],
            from: { measurement: 'anomaly_gap' },
            where: ASSET_FILTER,
            groupByTags: ['machine', 'sensor'],
          }).table(),
        ],
      }),
    )
    .build();
}
