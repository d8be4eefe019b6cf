/** Plant overview: what the plant draws now, today's energy by line, the batches running. */
import { ASSET_FILTER } from './lib/variables.js';
import { plantDashboard } from './lib/dashboard.js';
import { influx } from './lib/target.js';
import { barGauge, filterRows, statPanel, tablePanel, timeSeries } from './lib/panels.js';
import { lineSeries } from './lib/series.js';

const lineFilter = ASSET_FILTER.slice(0, 2);

export function plantOverview() {
  return plantDashboard({
    uid: 'plantpulse-overview',
    title: 'PlantPulse · Plant overview',
    description: 'Power now, energy today by line and the batches running, per site and line.',
  })
    .withPanel(
      statPanel({
        title: 'Power now',
        description:
          'Sum over the selected machines of each power meter’s latest reading in the last 5 minutes.',
        unit: 'watt',
        w: 6,
        h: 5,
        timeFrom: '5m',
        targets: [
          influx({
            select: [{ field: 'last', fn: 'sum', as: 'power' }],
            from: {
              subquery: {
                select: [{ field: 'value', fn: 'last' }],
                from: { measurement: 'power' },
                where: ASSET_FILTER,
                groupByTags: ['machine'],
              },
            },
          }),
        ],
      }),
    )
    .withPanel(
      statPanel({
        title: 'Energy today',
        description:
          'Settled hourly energy of the selected lines since local midnight (the energy operator settles an hour once its data is complete).',
        unit: 'kwatth',
        w: 6,
        h: 5,
        timeFrom: 'now/d',
        targets: [
          influx({
            select: [{ field: 'value', fn: 'sum', as: 'energy' }],
            from: { measurement: 'energy_hourly' },
            where: [lineSeries('energy_kwh')],
          }),
        ],
      }),
    )
    .withPanel(
      statPanel({
        title: 'Batches started today',
        description: 'Batch start events from MES/PLC on the selected lines since local midnight.',
        unit: 'none',
        w: 6,
        h: 5,
        timeFrom: 'now/d',
        reduce: 'sum',
        targets: [
          influx({
            select: [{ field: 'batch', fn: 'count', as: 'batches' }],
            from: { measurement: 'batch_event' },
            where: [...lineFilter, { tag: 'event', equals: 'start' }],
          }),
        ],
      }),
    )
    .withPanel(
      barGauge({
        title: 'Energy today by line',
        description: 'Settled hourly energy per line since local midnight.',
        unit: 'kwatth',
        w: 6,
        h: 5,
        timeFrom: 'now/d',
        targets: [
          influx({
            select: [{ field: 'value', fn: 'sum' }],
            from: { measurement: 'energy_hourly' },
            where: [lineSeries('energy_kwh')],
            groupByTags: ['series'],
          }).alias('$tag_series'),
        ],
      }),
    )
    .withPanel(
      timeSeries({
        title: 'Power by line',
        description: 'Mean power per machine in each interval, summed per line.',
        unit: 'watt',
        w: 16,
        targets: [
          influx({
            select: [{ field: 'mean', fn: 'sum' }],
            from: {
              subquery: {
                select: [{ field: 'value', fn: 'mean' }],
                from: { measurement: 'power' },
                where: ASSET_FILTER,
                groupByTime: '$__interval',
                groupByTags: ['line', 'machine'],
                fill: 'none',
              },
            },
            groupByTime: '$__interval',
            groupByTags: ['line'],
            fill: 'none',
          }).alias('$tag_line'),
        ],
      }),
    )
    .withPanel(
      barGauge({
        title: 'Power by machine (now)',
        description: 'Latest power reading of each selected machine in the last 5 minutes.',
        unit: 'watt',
        w: 8,
        timeFrom: '5m',
        targets: [
          influx({
            select: [{ field: 'value', fn: 'last' }],
            from: { measurement: 'power' },
            where: ASSET_FILTER,
            groupByTags: ['line', 'machine'],
          }).alias('$tag_line / $tag_machine'),
        ],
      }),
    )
    .withPanel(
      tablePanel({
        title: 'Active batches',
        description:
          'The latest batch event per line; a line whose latest event is a start or a phase change has a batch running.',
        w: 24,
        h: 7,
        transformations: [filterRows('event', '^(end|abort)$', 'exclude')],
        targets: [
          influx({
            select: [
              { field: 'batch', fn: 'last', as: 'batch' },
              { field: 'product' },
              { field: 'phase' },
              { field: 'event' },
            ],
            from: { measurement: 'batch_event' },
            where: lineFilter,
            groupByTags: ['site', 'line'],
          }).table(),
        ],
      }),
    )
    .build();
}
