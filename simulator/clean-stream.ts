/**
 * The fault-free stream, in event-time order: sensors are grouped by sampling interval and each
 * group produces windows of `batch` readings per sensor (one block for waveforms); the windows of
 * all groups, the MES's batch events and the malformed messages are merged by start time.
 * Transport faults are applied afterwards, to this ordered stream (faults/transport.ts).
 */
import type { PlantIndex } from '../config/plant-index.js';
import { batchEventMessages } from './batch-events.js';
import type { MalformedMessage } from './faults/malformed.js';
import type { LineSchedule } from './schedule.js';
import type { SensorSource } from './sensors.js';
import type { SimMessage } from './stream.js';
import { windowMessage } from './windows.js';

/** What the stream is generated from: the planned run (a Simulation is one). */
export interface StreamPlan {
  readonly index: PlantIndex;
  readonly from: number;
  readonly to: number;
  /** Readings per message. */
  readonly batch: number;
  readonly sources: SensorSource[];
  readonly schedules: LineSchedule[];
  readonly malformed: MalformedMessage[];
}

interface Group {
  sources: SensorSource[];
  /** Window width (ms) and the start of the group's next window. */
  width: number;
  ws: number;
}

export function* cleanStream(p: StreamPlan): Generator<SimMessage> {
  const groups = intervalGroups(p);
  const batchMsgs = batchEventMessages(p.schedules, p.index);
  const bad = p.malformed.map(malformedMessage);
  let bi = 0;
  let mi = 0;
  for (;;) {
    let g: Group | undefined;
    for (const x of groups) if (x.ws < p.to && (!g || x.ws < g.ws)) g = x;
    const tb = batchMsgs[bi]?.at ?? Infinity;
    const tm = bad[mi]?.at ?? Infinity;
    const tg = g?.ws ?? Infinity;
    if (tb === Infinity && tm === Infinity && tg === Infinity) return;
    // Ties go to batch events, so a phase starts before the readings stamped at that instant.
    if (tb <= tm && tb <= tg) yield batchMsgs[bi++]!;
    else if (tm <= tg) yield bad[mi++]!;
    else {
      const end = Math.min(g!.ws + g!.width, p.to);
      for (const src of g!.sources) {
        const m = windowMessage(src, g!.ws, end, p.batch);
        if (m) yield m;
      }
      g!.ws += g!.width;
    }
  }
}

/** Sources sharing an interval (waveforms apart: a window holds one block of theirs). */
function intervalGroups(p: StreamPlan): Group[] {
  const byInterval = new Map<string, SensorSource[]>();
  for (const s of p.sources) {
    const k = `${s.waveform ? 'w' : 's'}${s.intervalMs}`;
    byInterval.set(k, [...(byInterval.get(k) ?? []), s]);
  }
  return [...byInterval.values()].map((sources) => {
    const interval = sources[0]!.intervalMs;
    const width = sources[0]!.waveform ? interval : interval * p.batch;
    return { sources, width, ws: Math.ceil(p.from / interval) * interval };
  });
}

function malformedMessage(m: MalformedMessage): SimMessage {
  return {
    type: 'message',
    topic: m.topic,
    device: m.device,
    payload: m.payload,
    at: m.at,
    readings: 0,
    class: 'malformed',
  };
}
