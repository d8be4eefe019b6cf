/**
 * Transport faults, applied to the ordered message stream as a real network and real gateways
 * would: QoS 1 duplicates (a lost PUBACK makes the device resend), messages overtaking each
 * other, and a gateway that loses its uplink, buffers, and flushes its backlog late. (A device
 * with a skewed clock is applied at generation time, where the timestamps are written.)
 */
import type { PlantIndex } from '../../config/plant-index.js';
import { floorMin } from '../calendar.js';
import type { Rng } from '../prng.js';
import type { SimEvent, SimMessage } from '../stream.js';

export interface TransportPlan {
  duplicateRate: number;
  reorderRate: number;
  offline: { device: string; start: number; end: number } | undefined;
  clockSkew: { device: string; offsetMs: number } | undefined;
}

export interface TransportStats {
  duplicateMessages: number;
  duplicateReadings: number;
  reordered: number;
  offlineHeld: number;
}

export interface TransportOptions {
  /** Duplicates, reordering, an offline gateway and a clock-skewed device (default on). */
  transportFaults?: boolean;
  /** Where the gateway outage starts (fraction of the run) and how long it lasts. */
  offline?: { startFrac: number; durationMs: number };
}

/**
 * One gateway goes offline (by default at 45 % of the run, for 2 % of it: 2 min to 2 h) and
 * another device's clock runs 90 s slow; both among the devices that publish.
 */
export function planTransport(
  index: PlantIndex,
  from: number,
  to: number,
  opts: TransportOptions,
  rng: Rng,
): TransportPlan {
  const on = opts.transportFaults ?? true;
  const span = to - from;
  const devices = [...new Set(index.sensors.map((s) => s.device).filter((d): d is string => !!d))];
  const offlineDev = on && devices.length > 0 ? rng.pick(devices) : undefined;
  const skewPool = devices.filter((d) => d !== offlineDev);
  const skewDev = on && skewPool.length > 0 ? rng.pick(skewPool) : undefined;
  const off = opts.offline ?? {
    startFrac: 0.45,
    durationMs: Math.min(2 * 3_600_000, Math.max(2 * 60_000, span * 0.02)),
  };
  const offStart = floorMin(from + span * off.startFrac);
  return {
    duplicateRate: on ? 0.002 : 0,
    reorderRate: on ? 0.002 : 0,
    offline: offlineDev
      ? { device: offlineDev, start: offStart, end: Math.min(to, offStart + off.durationMs) }
      : undefined,
    clockSkew: skewDev ? { device: skewDev, offsetMs: -90_000 } : undefined,
  };
}

/** Wraps the clean stream; `rng` is consumed in stream order, so the result is deterministic. */
export function* applyTransport(
  events: Iterable<SimMessage>,
  plan: TransportPlan,
  rng: Rng,
  stats: TransportStats,
): Generator<SimEvent> {
  const delayed: { msg: SimMessage; release: number }[] = [];
  let held: SimMessage[] = [];
  let offlineAnnounced = false;
  let flushed = false;
  let seq = 0;
  const off = plan.offline;

  function* emit(m: SimMessage): Generator<SimEvent> {
    yield m;
    // Duplicates of reading messages only: a duplicated malformed message would be a second dead letter.
    if ((m.class === 'reading' || m.class === 'waveform') && rng.chance(plan.duplicateRate)) {
      stats.duplicateMessages++;
      stats.duplicateReadings += m.readings;
      yield { ...m, duplicate: true };
    }
  }

  function* release(): Generator<SimEvent> {
    for (let i = 0; i < delayed.length;) {
      if (delayed[i]!.release <= seq) {
        const [d] = delayed.splice(i, 1);
        yield* emit(d!.msg);
      } else i++;
    }
  }

  for (const m of events) {
    seq++;
    if (off && !flushed && m.at >= off.end) {
      yield { type: 'gateway', device: off.device, online: true, at: off.end };
      for (const h of held) yield* emit(h);
      held = [];
      flushed = true;
    }
    if (off && !flushed && m.device === off.device && m.at >= off.start) {
      if (!offlineAnnounced) {
        yield { type: 'gateway', device: off.device, online: false, at: off.start };
        offlineAnnounced = true;
      }
      stats.offlineHeld++;
      held.push(m);
      continue;
    }
    if (m.class === 'reading' && rng.chance(plan.reorderRate)) {
      stats.reordered++;
      delayed.push({ msg: m, release: seq + rng.int(1, 8) });
      continue;
    }
    yield* emit(m);
    yield* release();
  }
  for (const d of delayed) yield* emit(d.msg);
  if (held.length > 0) {
    yield { type: 'gateway', device: off!.device, online: true, at: off!.end };
    for (const h of held) yield* emit(h);
  }
}
