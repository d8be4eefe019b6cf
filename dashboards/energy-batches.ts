/**
 * Energy & batches: kWh per batch and per unit produced, hourly energy by line and machine,
 * idle energy, cost and CO2.
 *
 * kWh per batch is the energy operator's settled figure (`<line>:batch_energy_kwh`, at the
 * batch start); the batch id, product and quantity come from the same instant's start event,
 * so Grafana joins the two on time and divides. Idle energy, cost, CO2 and the EnPI baseline
 * are series the energy operator writes as `<line>:idle_kwh`, `<line>:cost`, `<line>:co2_kg`
 * and `<line>:kwh_per_unit_baseline:<product>` (dashboards/README.md lists who provides each series).
 */
import type * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import { ASSET_FILTER } from './lib/variables.js';
import { plantDashboard } from './lib/dashboard.js';
import { influx } from './lib/target.js';
import { joinOn, row, tablePanel, timeSeries } from './lib/panels.js';
import { lineSeries, machineSeries } from './lib/series.js';
import { v } from './lib/influxql.js';

const lineFilter = ASSET_FILTER.slice(0, 2);

/** The start events of the selected lines: batch id, product and quantity at the batch start. */
const batchStarts = (refId: string) =>
  influx(
    {
      select: [
        { field: 'batch', as: 'batch' },
        { field: 'product', as: 'product' },
        { field: 'value', as: 'quantity' },
        { field: 'unit', as: 'unit' },
      ],
      from: { measurement: 'batch_event' },
      where: [...lineFilter, { tag: 'event', equals: 'start' }],
    },
    refId,
  ).table();

const batchKwh = (refId: string) =>
  influx(
    {
      select: [{ field: 'value', as: 'kWh' }],
      from: { measurement: 'batch_energy' },
      where: [lineSeries('batch_energy_kwh')],
    },
    refId,
  ).table();

const perUnit: dashboard.DataTransformerConfig = {
  id: 'calculateField',
  options: {
    mode: 'binary',
    alias: 'kWh per unit',
    binary: { left: 'kWh', operator: '/', right: 'quantity' },
    replaceFields: false,
  },
};

const byProduct: dashboard.DataTransformerConfig = {
  id: 'groupBy',
  options: {
    fields: {
      product: { operation: 'groupby', aggregations: [] },
      'kWh per unit': { operation: 'aggregate', aggregations: ['mean'] },
      batch: { operation: 'aggregate', aggregations: ['count'] },
      kWh: { operation: 'aggregate', aggregations: ['sum'] },
      quantity: { operation: 'aggregate', aggregations: ['sum'] },
    },
  },
};

const hourly = (suffix: string, title: string, description: string, unit: string) =>
  timeSeries({
    title,
    description,
    unit,
    bars: true,
    minInterval: '1h',
    targets: [
      influx({
        select: [{ field: 'value', fn: 'sum' }],
        from: { measurement: suffixKind[suffix]! },
        where: [lineSeries(suffix)],
        groupByTime: '$__interval',
        groupByTags: ['series'],
        fill: 'none',
      }).alias('$tag_series'),
    ],
  });

/** Measurement (kind) of each line-level hourly series. */
const suffixKind: Record<string, string> = {
  energy_kwh: 'energy_hourly',
  idle_kwh: 'energy_idle',
  cost: 'energy_cost',
  co2_kg: 'energy_co2',
};

export function energyBatches() {
  return plantDashboard({
    uid: 'plantpulse-energy',
    title: 'PlantPulse · Energy & batches',
    description:
      'Energy per batch and per unit, hourly energy by line and machine, idle energy, cost and CO2.',
    time: { from: 'now-7d', to: 'now' },
  })
    .withRow(row('Batches'))
    .withPanel(
      tablePanel({
        title: 'Energy per batch',
        description:
          'Settled energy of each batch (revised when late data arrives) with its product and quantity, and kWh per unit produced.',
        w: 14,
        h: 9,
        transformations: [joinOn('Time'), perUnit],
        targets: [batchKwh('A'), batchStarts('B')],
      }),
    )
    .withPanel(
      timeSeries({
        title: 'kWh per batch',
        description: 'Each point is one batch, placed at its start, per line.',
        unit: 'kwatth',
        w: 10,
        h: 9,
        points: true,
        targets: [
          influx({
            select: [{ field: 'value' }],
            from: { measurement: 'batch_energy' },
            where: [lineSeries('batch_energy_kwh')],
            groupByTags: ['series'],
          }).alias('$tag_series'),
        ],
      }),
    )
    .withPanel(
      tablePanel({
        title: 'kWh per unit by product',
        description:
          'Per product over the time range: mean energy per unit produced, batches, energy and quantity (settled batch energy joined with the start events).',
        w: 12,
        h: 8,
        transformations: [joinOn('Time'), perUnit, byProduct],
        targets: [batchKwh('A'), batchStarts('B')],
      }),
    )
    .withPanel(
      timeSeries({
        title: 'kWh per unit baseline by product (EnPI)',
        description:
          'The energy operator’s baseline per product (from the baseline period, regressed on volume where there is enough data), to read against the table beside it.',
        unit: 'kwatth',
        w: 12,
        h: 8,
        points: true,
        targets: [
          influx({
            select: [{ field: 'value', fn: 'last' }],
            from: { measurement: 'kwh_per_unit_baseline' },
            where: [
              {
                tag: 'series',
                matches: [v('site'), '/', v('line'), ':kwh_per_unit_baseline:', { regex: '.+' }],
              },
            ],
            groupByTime: '$__interval',
            groupByTags: ['series'],
            fill: 'none',
          }).alias('$tag_series'),
        ],
      }),
    )
    .withRow(row('Energy, idle energy, cost and CO2'))
    .withPanel(
      hourly('energy_kwh', 'Energy per hour by line', 'Settled hourly energy per line.', 'kwatth'),
    )
    .withPanel(
      hourly(
        'idle_kwh',
        'Idle energy per hour by line',
        'Energy drawn outside every batch of the line (cleaning included).',
        'kwatth',
      ),
    )
    .withPanel(
      hourly(
        'cost',
        'Energy cost per hour by line',
        'Hourly energy priced with the site’s time-of-use tariff, in the tariff’s currency.',
        'short',
      ),
    )
    .withPanel(
      hourly(
        'co2_kg',
        'CO2 per hour by line',
        'Hourly energy times the site’s CO2 factor.',
        'masskg',
      ),
    )
    .withPanel(
      tablePanel({
        title: 'Energy by machine',
        description: 'Settled energy per machine over the time range.',
        unit: 'kwatth',
        w: 24,
        h: 8,
        targets: [
          influx({
            select: [{ field: 'value', fn: 'sum', as: 'kWh' }],
            from: { measurement: 'energy_hourly' },
            where: [machineSeries('energy_kwh')],
            groupByTags: ['series'],
          }).table(),
        ],
      }),
    )
    .build();
}
