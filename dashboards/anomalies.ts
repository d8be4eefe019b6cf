/** Anomalies: streaming anomaly scores and flags per sensor, SPC rule violations, dropouts. */
import { ASSET_FILTER } from './lib/variables.js';
import { plantDashboard } from './lib/dashboard.js';
import { influx } from './lib/target.js';
import { stateTimeline, tablePanel, timeSeries, valueMap } from './lib/panels.js';

const bySensor = ['machine', 'sensor'] as const;

export function anomalies() {
  return plantDashboard({
    uid: 'plantpulse-anomalies',
    title: 'PlantPulse · Anomalies',
    description: 'Anomaly scores and flags by sensor, SPC violations on critical process values.',
  })
    .withPanel(
      timeSeries({
        title: 'Anomaly score by sensor',
        description:
          'Highest score per interval (0 = usual, 1 = certainly unusual); only scores ≥ 0.5 and changes of the flag are stored.',
        unit: 'percentunit',
        w: 24,
        points: true,
        targets: [
          influx({
            select: [{ field: 'value', fn: 'max' }],
            from: { measurement: 'anomaly_score' },
            where: ASSET_FILTER,
            groupByTime: '$__interval',
            groupByTags: bySensor,
            fill: 'none',
          }).alias('$tag_machine/$tag_sensor'),
        ],
      }),
    )
    .withPanel(
      stateTimeline({
        title: 'Anomaly flags',
        description: 'When each sensor was flagged as anomalous (the flag holds until it clears).',
        w: 24,
        mappings: [valueMap({ '0': ['normal', 'green'], '1': ['anomalous', 'red'] })],
        targets: [
          influx({
            select: [{ field: 'value', fn: 'last' }],
            from: { measurement: 'anomaly_flag' },
            where: ASSET_FILTER,
            groupByTime: '$__interval',
            groupByTags: bySensor,
            fill: 'previous',
          }).alias('$tag_machine/$tag_sensor'),
        ],
      }),
    )
    .withPanel(
      tablePanel({
        title: 'Flags raised by sensor',
        description: 'How many times each sensor was flagged in the time range.',
        w: 12,
        targets: [
          influx({
            select: [{ field: 'value', fn: 'count', as: 'flags' }],
            from: { measurement: 'anomaly_flag' },
            where: [...ASSET_FILTER, { field: 'value', op: '=', value: 1 }],
            groupByTags: bySensor,
          }).table(),
        ],
      }),
    )
    .withPanel(
      tablePanel({
        title: 'SPC violations by sensor',
        description:
          'Western Electric / Nelson rule violations on GMP-critical process values: count and the latest rule number.',
        w: 12,
        targets: [
          influx({
            select: [{ field: 'value', fn: 'count', as: 'violations' }],
            from: { measurement: 'spc_violation' },
            where: ASSET_FILTER,
            groupByTags: bySensor,
          }).table(),
        ],
      }),
    )
    .withPanel(
      timeSeries({
        title: 'SPC violations',
        description: 'Each point is a violation; its value is the rule number.',
        unit: 'none',
        w: 24,
        points: true,
        targets: [
          influx({
            select: [{ field: 'value', fn: 'max' }],
            from: { measurement: 'spc_violation' },
            where: ASSET_FILTER,
            groupByTime: '$__interval',
            groupByTags: bySensor,
            fill: 'none',
          }).alias('rule · $tag_machine/$tag_sensor'),
        ],
      }),
    )
    .build();
}
