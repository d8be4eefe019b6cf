/**
 * Maintenance & wear: wear index, ISO 10816-3 zones, vibration indicators, remaining useful
 * life, running hours and starts, open alerts — the derived series of the wear
 * operator and the alert lifecycle (dashboards/README.md lists them).
 */
import { ASSET_FILTER } from './lib/variables.js';
import { plantDashboard } from './lib/dashboard.js';
import { influx } from './lib/target.js';
import { barGauge, row, stateTimeline, tablePanel, timeSeries, valueMap } from './lib/panels.js';
import { alertSeries, machineSeries } from './lib/series.js';

const bySensor = ['machine', 'sensor'] as const;

/** Latest value of a machine-level series per machine, as a table column. */
const latest = (kind: string, suffix: string, as: string, refId: string) =>
  influx(
    {
      select: [{ field: 'value', fn: 'last', as }],
      from: { measurement: kind },
      where: [machineSeries(suffix)],
      groupByTags: ['series'],
    },
    refId,
  ).table();

const sensorTrend = (kind: string, title: string, description: string, unit: string) =>
  timeSeries({
    title,
    description,
    unit,
    w: 12,
    targets: [
      influx({
        select: [{ field: 'value', fn: 'mean' }],
        from: { measurement: kind },
        where: ASSET_FILTER,
        groupByTime: '$__interval',
        groupByTags: bySensor,
        fill: 'none',
      }).alias('$tag_machine/$tag_sensor'),
    ],
  });

export function maintenance() {
  return plantDashboard({
    uid: 'plantpulse-maintenance',
    title: 'PlantPulse · Maintenance & wear',
    description: 'Wear index, ISO 10816-3 zones, remaining useful life and open alerts.',
    time: { from: 'now-30d', to: 'now' },
  })
    .withPanel(
      barGauge({
        title: 'Wear index',
        description: '0 = as new, 1 = at the alarm limit (may exceed 1).',
        unit: 'none',
        w: 12,
        max: 1.2,
        thresholds: [
          ['green', null],
          ['orange', 0.7],
          ['red', 1],
        ],
        targets: [
          influx({
            select: [{ field: 'value', fn: 'last' }],
            from: { measurement: 'wear_index' },
            where: [machineSeries('wear_index')],
            groupByTags: ['series'],
          }).alias('$tag_series'),
        ],
      }),
    )
    .withPanel(
      tablePanel({
        title: 'Remaining useful life',
        description:
          'Days until the wear index reaches its limit, by trend extrapolation; machines without a supported trend have no row.',
        unit: 'd',
        w: 12,
        targets: [latest('rul_days', 'rul_days', 'RUL (days)', 'A')],
      }),
    )
    .withPanel(
      timeSeries({
        title: 'Wear index trend',
        description: 'Wear index per machine over time.',
        unit: 'none',
        w: 24,
        targets: [
          influx({
            select: [{ field: 'value', fn: 'last' }],
            from: { measurement: 'wear_index' },
            where: [machineSeries('wear_index')],
            groupByTime: '$__interval',
            groupByTags: ['series'],
            fill: 'none',
          }).alias('$tag_series'),
        ],
      }),
    )
    .withRow(row('Vibration'))
    .withPanel(
      stateTimeline({
        title: 'ISO 10816-3 zone',
        description:
          'Vibration severity zone per sensor: A new, B unrestricted, C restricted operation, D damage.',
        w: 24,
        mappings: [
          valueMap({
            '1': ['A', 'green'],
            '2': ['B', 'yellow'],
            '3': ['C', 'orange'],
            '4': ['D', 'red'],
          }),
        ],
        targets: [
          influx({
            select: [{ field: 'value', fn: 'max' }],
            from: { measurement: 'iso_zone' },
            where: ASSET_FILTER,
            groupByTime: '$__interval',
            groupByTags: bySensor,
            fill: 'previous',
          }).alias('$tag_machine/$tag_sensor'),
        ],
      }),
    )
    .withPanel(sensorTrend('velocity_rms', 'Velocity RMS', 'From waveform blocks.', 'velocitymms'))
    .withPanel(
      sensorTrend(
        'bearing_energy',
        'Bearing defect energy',
        'Share of spectral energy around the bearing defect frequencies.',
        'percentunit',
      ),
    )
    .withPanel(sensorTrend('crest_factor', 'Crest factor', 'From waveform blocks.', 'none'))
    .withPanel(sensorTrend('kurtosis', 'Kurtosis', 'From waveform blocks.', 'none'))
    .withRow(row('Usage and alerts'))
    .withPanel(
      tablePanel({
        title: 'Running hours and starts',
        description: 'Cumulative operating hours and start/stop cycles per machine.',
        w: 12,
        transformations: [{ id: 'merge', options: {} }],
        targets: [
          latest('operating_hours', 'operating_hours', 'hours', 'A'),
          latest('start_count', 'start_count', 'starts', 'B'),
        ],
      }),
    )
    .withPanel(
      tablePanel({
        title: 'Open alerts',
        description:
          'Alerts whose latest lifecycle state is open (1) or acknowledged (2), by asset and rule — now, whatever the time range: an alert opened before the range (up to 400 days ago) and still open is listed.',
        w: 12,
        mappings: [valueMap({ '1': ['open', 'red'], '2': ['acknowledged', 'orange'] })],
        targets: [
          influx({
            select: [{ field: 'state' }],
            from: {
              subquery: {
                select: [{ field: 'value', fn: 'last', as: 'state' }],
                from: { measurement: 'alert_state' },
                where: [alertSeries()],
                // A current-state panel: alert_state has a point per transition only, so an
                // alert opened last month has its latest point outside any dashboard range.
                timeFilter: { lookback: '400d' },
                groupByTags: ['series'],
              },
            },
            where: [{ field: 'state', op: '>', value: 0 }],
            timeFilter: false,
            groupByTags: ['series'],
          }).table(),
        ],
      }),
    )
    .build();
}
