/**
 * Replay of historical data (CSV) through the same ingest path as live data: rows become
 * readings published over MQTT as the sensor's device, so validation, unit conversion,
 * idempotency and the log are exactly those of production. Bad rows are reported as
 * `line N: reason` and skipped; they never stop the replay.
 *
 * Long form: `timestamp,value` (one sensor, --sensor PATH). Wide form: a header
 * `timestamp,<col>,<col>…` where each column is a sensor path or is mapped with col=PATH.
 * Timestamps: RFC 3339 with an offset, or epoch milliseconds.
 */
import type { PlantIndex, SensorInfo } from '../config/plant-index.js';
import type { SimMessage } from './stream.js';

export interface RowError {
  line: number;
  reason: string;
}

export interface ReplayPlan {
  sensors: SensorInfo[];
  /** Readings per sensor, in file order. */
  readings: Map<SensorInfo, { ts: number; v: number }[]>;
  errors: RowError[];
  rows: number;
  first: number;
  last: number;
}

const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:[Zz]|[+-]\d{2}:\d{2})$/;

/** Splits one CSV line (RFC 4180 quotes allowed). */
export function splitCsv(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') {
        cur += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cur += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      out.push(cur.trim());
      cur = '';
    } else cur += c;
  }
  out.push(cur.trim());
  return out;
}

export function parseTs(
  text: string,
  now: number,
  maxFutureSkewMs: number,
  earliestMs: number,
): number | string {
  let ms: number;
  if (/^\d+$/.test(text)) {
    ms = Number(text);
    if (ms < 1e11)
      return `timestamp ${text} looks like epoch seconds; use epoch milliseconds or RFC 3339`;
  } else if (RFC3339.test(text)) ms = Date.parse(text);
  else
    return `timestamp "${text.slice(0, 40)}" is neither RFC 3339 with an offset (2026-01-05T06:00:00Z) nor epoch milliseconds`;
  if (Number.isNaN(ms)) return `timestamp "${text}" is not a valid date`;
  if (ms > now + maxFutureSkewMs) return `timestamp ${new Date(ms).toISOString()} is in the future`;
  if (ms < earliestMs)
    return `timestamp ${new Date(ms).toISOString()} is before ingest.earliestTimestamp`;
  return ms;
}

export interface ReplayArgs {
  text: string;
  /** Long form: the sensor of the value column. */
  sensor?: string;
  /** Wide form: column → sensor path (columns not mapped must be sensor paths themselves). */
  wide?: boolean;
  map?: Record<string, string>;
  now?: number;
}

export function planReplay(index: PlantIndex, a: ReplayArgs): ReplayPlan {
  const lines = a.text.split(/\r?\n/);
  const errors: RowError[] = [];
  const now = a.now ?? Date.now();
  const win = [now, index.model.ingest.maxFutureSkew, index.earliestMs] as const;
  let columns: (SensorInfo | undefined)[];
  let startLine = 0;
  const header = splitCsv(lines[0] ?? '');
  const hasHeader = header.length > 0 && !/^\d/.test(header[0]!) && !RFC3339.test(header[0]!);
  const lookup = (name: string): SensorInfo => {
    const path = a.map?.[name] ?? name;
    const s = index.sensorByPath.get(path);
    if (!s)
      throw new Error(
        `column "${name}"${path !== name ? ` (mapped to ${path})` : ''} is not a sensor path of the plant model; map it with --map ${name}=site/line/machine/sensor`,
      );
    return s;
  };
  if (a.wide) {
    if (!hasHeader) throw new Error('a wide CSV needs a header: timestamp,<sensor or column>,…');
    columns = header.slice(1).map(lookup);
    startLine = 1;
  } else {
    if (!a.sensor)
      throw new Error(
        'long-form CSV (timestamp,value) needs --sensor site/line/machine/sensor (or use --wide)',
      );
    columns = [lookup(a.sensor)];
    startLine = hasHeader ? 1 : 0;
  }
  if (columns.some((c) => c?.kind === 'waveform'))
    throw new Error(
      'waveform sensors cannot be replayed from CSV (one value per row); replay scalar sensors',
    );
  const readings = new Map<SensorInfo, { ts: number; v: number }[]>(columns.map((c) => [c!, []]));
  let rows = 0;
  let first = Infinity;
  let last = -Infinity;
  for (let i = startLine; i < lines.length; i++) {
    const raw = lines[i]!;
    if (raw.trim() === '' || raw.startsWith('#')) continue;
    const lineNo = i + 1;
    const cells = splitCsv(raw);
    if (cells.length !== columns.length + 1) {
      errors.push({
        line: lineNo,
        reason: `expected ${columns.length + 1} columns, found ${cells.length}`,
      });
      continue;
    }
    const ts = parseTs(cells[0]!, ...win);
    if (typeof ts === 'string') {
      errors.push({ line: lineNo, reason: ts });
      continue;
    }
    rows++;
    let bad = false;
    for (let c = 0; c < columns.length; c++) {
      const cell = cells[c + 1]!;
      if (cell === '' && a.wide) continue; // wide files leave gaps where a sensor has no value
      const s = columns[c]!;
      const v = Number(cell);
      if (cell === '' || !Number.isFinite(v)) {
        errors.push({ line: lineNo, reason: `${s.path}: "${cell.slice(0, 40)}" is not a number` });
        bad = true;
        continue;
      }
      const r = s.config.range;
      if (r && (v < r[0] || v > r[1])) {
        errors.push({
          line: lineNo,
          reason: `${s.path}: ${v} ${s.declaredUnit} is outside the valid range [${r[0]}, ${r[1]}]`,
        });
        bad = true;
        continue;
      }
      readings.get(s)!.push({ ts, v });
    }
    if (!bad || a.wide) {
      first = Math.min(first, ts);
      last = Math.max(last, ts);
    }
  }
  return { sensors: columns as SensorInfo[], readings, errors, rows, first, last };
}

/** The replay as a message stream (time-ordered, `batch` readings per message), for the publisher. */
export function* replayMessages(plan: ReplayPlan, batch: number): Generator<SimMessage> {
  const queues = plan.sensors.map((s) => ({
    s,
    rs: [...plan.readings.get(s)!].sort((a, b) => a.ts - b.ts),
    i: 0,
  }));
  for (;;) {
    let q: (typeof queues)[number] | undefined;
    for (const x of queues) if (x.i < x.rs.length && (!q || x.rs[x.i]!.ts < q.rs[q.i]!.ts)) q = x;
    if (!q) return;
    const part = q.rs.slice(q.i, q.i + batch);
    q.i += part.length;
    const body = part.map((r) => `{"ts":${r.ts},"v":${r.v}}`);
    yield {
      type: 'message',
      topic: q.s.topic,
      device: q.s.device,
      payload: batch === 1 ? body[0]! : `[${body.join(',')}]`,
      at: part[part.length - 1]!.ts,
      readings: part.length,
      class: 'reading',
    };
  }
}
