/**
 * Operating hours, start/stop cycles and time in each ISO zone, from the running source's
 * readings in log order (event time).
 *
 * Running has hysteresis: it turns on at the on threshold and off only below the lower off
 * threshold, so a drive idling around one threshold does not count a start per wobble. A
 * state sensor needs none (its codes are discrete: 1 = running). Time between two readings
 * counts for the state of the earlier one, capped at three expected intervals or five minutes,
 * whichever is longer (gateways that thin out their samples are common): across a longer gap
 * nobody knows what the machine did, and the hours are not invented. A reading
 * older than the last one of its sensor (reordered in transport) changes no counter.
 */
import type { RunningSource } from './model.js';
import { zoneOf, type Zone, type ZoneLimits } from './iso.js';

export interface Usage {
  running: boolean | null;
  lastTs: number | null;
  operatingMs: number;
  starts: number;
  late: number;
}

export const newUsage = (): Usage => ({
  running: null,
  lastTs: null,
  operatingMs: 0,
  starts: 0,
  late: 0,
});

const RUNNING_STATE = 1;
const MIN_BRIDGE_MS = 5 * 60_000;
const bridge = (dt: number, intervalMs: number) =>
  Math.min(dt, Math.max(3 * intervalMs, MIN_BRIDGE_MS));

/** Feeds one reading of the running source. */
export function onRunningReading(
  u: Usage,
  src: RunningSource,
  ts: number,
  value: number,
  intervalMs: number,
): void {
  if (u.lastTs !== null && ts <= u.lastTs) {
    if (ts < u.lastTs) u.late++;
    return;
  }
  if (u.lastTs !== null && u.running) u.operatingMs += bridge(ts - u.lastTs, intervalMs);
  u.lastTs = ts;
  let next: boolean;
  if (src.kind === 'state') next = Math.round(value) === RUNNING_STATE;
  else {
    const [on, off] = src.kind === 'power' ? [src.onW, src.offW] : [src.onMmS, src.offMmS];
    next = u.running ? value >= off : value >= on;
  }
  if (next && u.running === false) u.starts++;
  u.running = next;
}

/** ISO zone of one vibration sensor, with time in each zone while its machine runs. */
export interface ZoneTrack {
  zone: Zone | null;
  lastTs: number | null;
  /** Milliseconds in zones A, B, C, D. */
  ms: [number, number, number, number];
}

export const newZoneTrack = (): ZoneTrack => ({ zone: null, lastTs: null, ms: [0, 0, 0, 0] });

/**
 * A reading moves the zone up as soon as it crosses a boundary, and down only once it is 5 %
 * below it: the transmitter's noise near a boundary then writes one zone change, not dozens.
 * Returns true when the zone changed.
 */
export function onZoneReading(
  z: ZoneTrack,
  limits: ZoneLimits,
  ts: number,
  mmPerS: number,
  running: boolean,
  intervalMs: number,
): boolean {
  if (z.lastTs !== null && ts <= z.lastTs) return false;
  if (z.lastTs !== null && z.zone !== null && running)
    z.ms['ABCD'.indexOf(z.zone)]! += bridge(ts - z.lastTs, intervalMs);
  z.lastTs = ts;
  const up = zoneOf(mmPerS, limits);
  const down = zoneOf(mmPerS / 0.95, limits);
  let next: Zone;
  if (z.zone === null) next = up;
  else if (up > z.zone) next = up;
  else if (down < z.zone) next = down;
  else next = z.zone;
  const changed = next !== z.zone;
  z.zone = next;
  return changed;
}
