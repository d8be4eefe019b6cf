/**
 * Log rows → line-protocol lines, following DESIGN §3:
 *
 * - measurement = the series kind (power, energy, temperature, …; a derived series: its kind,
 *   e.g. anomaly_score);
 * - tags site, line, machine, sensor from the asset path; a derived series whose key is not a
 *   sensor path (e.g. "t/l1/m1/power:anomaly_score") also gets `series` = its key, so two
 *   derived series of one sensor never collide. Tag values come only from the plant model and
 *   operator-defined keys, so cardinality is bounded by plant size × operators;
 * - field `value` (float, canonical unit); `quality` (integer) only when not good (1 uncertain,
 *   2 bad), which keeps the common line short;
 * - timestamp in milliseconds (the write uses precision=ms).
 *
 * Batch events (kind batch_event, keys "site/line/batch.<event>") are shipped as measurement
 * `batch_event` with tags site, line, event and fields batch, product, phase (strings: batch
 * ids are unbounded, so they must not be tags) and value = quantity when given.
 *
 * Rows with no representable value (NULL or non-finite, and no batch event body) are skipped:
 * there is nothing for InfluxDB to hold.
 */
import type { PlantIndex } from '../../config/plant-index.js';
import type { SeriesRow } from '../../store/series.js';
import {
  formatFields,
  formatFloat,
  seriesPrefix,
  type FieldValue,
  type Tags,
} from './line-protocol.js';

export interface ShipRow {
  pos: number;
  series: number;
  ts: number;
  value: number | null;
  quality: number;
  body: Buffer | null;
}

interface SeriesShape {
  /** `measurement,tags` already escaped. */
  prefix: string;
  batchEvent: boolean;
}

export class PointFormatter {
  private readonly shapes = new Map<number, SeriesShape>();

  constructor(
    private readonly index: PlantIndex | undefined,
    private readonly seriesOf: (id: number) => SeriesRow | undefined,
  ) {}

  /** One line without the trailing newline, or undefined when the row has nothing to ship. */
  format(row: ShipRow): string | undefined {
    const shape = this.shapeOf(row.series);
    if (shape === undefined) return undefined;
    if (shape.batchEvent) return this.batchEvent(shape, row);
    if (row.value === null) return undefined;
    const v = formatFloat(row.value);
    if (v === undefined) return undefined;
    const q = row.quality !== 0 ? `,quality=${row.quality}i` : '';
    return `${shape.prefix} value=${v}${q} ${row.ts}`;
  }

  /** Forget cached shapes (a series re-declared with another kind). */
  reset(): void {
    this.shapes.clear();
  }

  private shapeOf(id: number): SeriesShape | undefined {
    const known = this.shapes.get(id);
    if (known) return known;
    const row = this.seriesOf(id);
    if (!row) return undefined;
    const shape = shapeFor(row, this.index);
    this.shapes.set(id, shape);
    return shape;
  }

  private batchEvent(shape: SeriesShape, row: ShipRow): string | undefined {
    let doc: Record<string, unknown> = {};
    if (row.body) {
      try {
        doc = JSON.parse(row.body.toString('utf8')) as Record<string, unknown>;
      } catch {
        doc = {};
      }
    }
    const fields: [string, FieldValue][] = [];
    if (row.value !== null) fields.push(['value', { type: 'float', value: row.value }]);
    for (const k of ['batch', 'product', 'phase', 'unit'] as const) {
      const s = doc[k];
      if (typeof s === 'string' && s !== '') fields.push([k, { type: 'string', value: s }]);
    }
    const f = formatFields(fields);
    return f === undefined ? undefined : `${shape.prefix} ${f} ${row.ts}`;
  }
}

const BATCH_KEY = /^([^/]+)\/([^/]+)\/batch\.([A-Za-z]+)$/;

export function shapeFor(row: SeriesRow, index: PlantIndex | undefined): SeriesShape {
  if (row.kind === 'batch_event') {
    const m = BATCH_KEY.exec(row.key);
    const tags: Tags = m
      ? [
          ['site', m[1]!],
          ['line', m[2]!],
          ['event', m[3]!],
        ]
      : [['series', row.key]];
    return { prefix: seriesPrefix('batch_event', tags), batchEvent: true };
  }
  const colon = row.key.indexOf(':');
  const path = colon >= 0 ? row.key.slice(0, colon) : row.key;
  const sensor = index?.sensorByPath.get(path);
  const tags: [string, string][] = [];
  if (sensor) {
    tags.push(['site', sensor.site], ['line', sensor.line], ['machine', sensor.machine]);
    tags.push(['sensor', sensor.sensor]);
  } else {
    const [site, line, machine, name] = path.split('/');
    if (path.split('/').length === 4) {
      tags.push(['site', site!], ['line', line!], ['machine', machine!], ['sensor', name!]);
    }
  }
  if (!sensor || colon >= 0) tags.push(['series', row.key]);
  return { prefix: seriesPrefix(row.kind, tags), batchEvent: false };
}
