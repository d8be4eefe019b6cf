/**
 * How a series actually reports, learned from the log, so a stale rule judges it by that and
 * not only by the interval the plant model declares. Two things make a healthy series look
 * silent on the event-time watermark:
 *
 * - **spacing**: readings further apart than declared (a gateway that down-samples, a historian
 *   replay at a coarser step). Learned as the median of the last gaps between its timestamps:
 *   an outage is one long gap and does not move the median; a changed rate is adopted after a
 *   few readings.
 * - **lag**: readings that reach the log behind the watermark (a gateway that flushes each
 *   sensor's buffer as one message, series by series; a device clock running behind). Learned as
 *   the largest `watermark − ts` seen on arrival, decaying with a half-life on event time. A
 *   reading that arrives later than the series' stale limit is a backlog (a gateway flushing
 *   after an outage), not its cadence: it and the rest of that backlog (everything stamped before
 *   the watermark it was noticed at) are not learned — otherwise each outage would make the next
 *   one slower to detect.
 *
 * The stale limit is then `intervals × max(declared, spacing)` (or `max(after, 2 × spacing)`)
 * plus the lag: never below the spacing a series really reports at, and never before its data
 * could have arrived. Pure and JSON-safe (it lives in the operator's checkpoint).
 */
import type { AlertRule } from '../config/alerts-schema.js';

export interface Cadence {
  /** Last gaps between increasing timestamps (ms), oldest first. */
  gaps: number[];
  /** Median of `gaps` (null until the first gap). */
  spacing: number | null;
  /** Learned arrival lag behind the watermark (ms) as of the newest reading … */
  lag: number;
  /** … decayed from this peak, learned at event time `lagAt` (no rounding builds up). */
  lagPeak: number;
  lagAt: number | null;
  /** Draining a backlog: readings stamped up to here are not learned as lag. */
  drainUntil: number | null;
}

/** Gaps kept for the median: an outage is one of them; a new rate wins after five. */
export const GAPS_KEPT = 9;
/** The learned lag halves over this much event time once the series stops arriving late. */
export const LAG_HALF_LIFE_MS = 6 * 3_600_000;

export function newCadence(): Cadence {
  return { gaps: [], spacing: null, lag: 0, lagPeak: 0, lagAt: null, drainUntil: null };
}

/**
 * Learns from one reading of the series at `ts`, read when the watermark is `watermark` (the
 * reading itself included). `prevTs`: the series' newest timestamp before it; `limitBefore`:
 * its stale limit before it (undefined: its first reading, learned as it comes). Returns true
 * when the reading is part of a backlog: the series is speaking again, at `watermark`.
 */
export function learn(
  c: Cadence,
  ts: number,
  prevTs: number | null,
  watermark: number,
  limitBefore: number | undefined,
): boolean {
  if (prevTs !== null && ts > prevTs) {
    const gap = ts - prevTs;
    // Regular series repeat the same gap: only a different one can move the median.
    const dropped = c.gaps.length >= GAPS_KEPT ? c.gaps.shift() : undefined;
    c.gaps.push(gap);
    if (dropped !== gap || c.spacing === null) c.spacing = median(c.gaps);
  }
  if (c.lagAt !== null && ts > c.lagAt && c.lagPeak > 0)
    c.lag = Math.floor(c.lagPeak * 2 ** (-(ts - c.lagAt) / LAG_HALF_LIFE_MS));
  const sample = watermark - ts;
  if (c.drainUntil !== null && ts <= c.drainUntil) return true;
  if (limitBefore !== undefined && sample >= limitBefore) {
    c.drainUntil = watermark;
    return true;
  }
  c.drainUntil = null;
  if (sample > c.lag) {
    c.lag = c.lagPeak = sample;
    c.lagAt = ts;
  }
  return false;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : Math.round((s[m - 1]! + s[m]!) / 2);
}

/**
 * Milliseconds without a reading after which the series is stale under a stale `rule`:
 * `declaredMs` is its declared interval (undefined for a derived series with no sensor), `grid`
 * the finest spacing seen on any series (the operator keeps it).
 */
export function staleLimit(
  rule: AlertRule,
  declaredMs: number | undefined,
  c: Cadence | undefined,
  grid: number | null = null,
): number | undefined {
  const cond = rule.condition;
  if (cond.type !== 'stale') return undefined;
  // Before its second reading a series has no spacing of its own: at the start of a replay at a
  // 1-minute step, a 1-second sensor would otherwise be stale at the second minute.
  const spacing = c?.spacing ?? grid ?? 0;
  const lag = c?.lag ?? 0;
  if (cond.after !== undefined) return Math.max(cond.after, 2 * spacing) + lag;
  // A derived series has no declared interval: one hour, or its observed spacing if longer.
  const unit = Math.max(declaredMs ?? 3_600_000, spacing);
  return (cond.intervals ?? 1) * unit + lag;
}

/** The finest spacing seen so far, refined by series `c`. */
export function finer(grid: number | null, c: Cadence): number | null {
  return c.spacing === null ? grid : Math.min(grid ?? c.spacing, c.spacing);
}
