/**
 * The observed cadence behind stale limits (alerts/cadence.ts): the spacing a series really
 * reports at (robust to an outage gap, adopting a changed rate), the lag its readings arrive
 * with behind the watermark (learned, decaying, and never learned from a backlog flushed after
 * an outage), and the stale limit they give.
 */
import { describe, expect, it } from 'vitest';
import { learn, newCadence, staleLimit, LAG_HALF_LIFE_MS } from '../../alerts/cadence.js';
import { ruleSchema, type AlertRule } from '../../config/alerts-schema.js';

const rule = (condition: Record<string, unknown>): AlertRule =>
  ruleSchema.parse({ id: 'r', signal: 'sensor', condition });
const intervals30 = rule({ type: 'stale', intervals: 30 });
const after5m = rule({ type: 'stale', after: '5m' });

/** Feeds in-order readings at `times` that arrive as they are stamped (watermark = ts + lag). */
function feed(times: number[], lag = 0, c = newCadence(), declared = 1_000) {
  let prev: number | null = null;
  for (const ts of times) {
    learn(c, ts, prev, ts + lag, prev === null ? undefined : staleLimit(intervals30, declared, c));
    prev = ts;
  }
  return c;
}
const steps = (from: number, step: number, n: number) =>
  Array.from({ length: n }, (_, i) => from + i * step);

describe('observed spacing', () => {
  it('is the median gap: an outage gap does not move it, a new rate wins after a few readings', () => {
    const c = feed([...steps(0, 1_000, 20), ...steps(7_220_000, 1_000, 3)]); // a 2 h gap
    expect(c.spacing).toBe(1_000);
    feed(steps(7_232_000, 10_000, 4), 0, c);
    expect(c.spacing).toBe(1_000); // 4 of 9 gaps at 10 s: not yet the rate
    feed(steps(7_272_000, 10_000, 2), 0, c);
    expect(c.spacing).toBe(10_000);
  });

  it('raises the stale limit to intervals × spacing when coarser than declared, never below declared', () => {
    const coarse = feed(steps(0, 60_000, 10)); // declared 1 s, a gateway sends one a minute
    expect(staleLimit(intervals30, 1_000, coarse)).toBe(30 * 60_000);
    const fast = feed(steps(0, 200, 10)); // faster than declared: the declared budget stays
    expect(staleLimit(intervals30, 1_000, fast)).toBe(30 * 1_000);
    // `after` is a floor of two of the series' own gaps: a 10-minute series is not stale at 5 minutes.
    const slow = feed(steps(0, 600_000, 5));
    expect(staleLimit(after5m, 1_000, slow)).toBe(1_200_000);
    expect(staleLimit(after5m, 1_000, fast)).toBe(300_000);
    // Before a series has shown a gap of its own, the finest spacing seen on any series stands in.
    expect(staleLimit(intervals30, 1_000, newCadence(), 60_000)).toBe(30 * 60_000);
    // A derived series with no declared interval: one hour per interval, as before.
    expect(staleLimit(intervals30, undefined, undefined)).toBe(30 * 3_600_000);
  });
});

describe('arrival lag', () => {
  it('is learned from readings that reach the log behind the watermark and added to the limit', () => {
    const c = feed(steps(0, 1_000, 100), 90_000); // a device clock 90 s behind
    expect(c.lag).toBe(90_000);
    expect(staleLimit(intervals30, 1_000, c)).toBe(30_000 + 90_000);
  });

  it('decays with its half-life on event time once readings arrive on time again', () => {
    const c = feed([0], 60_000);
    feed(steps(1_000, 1_000, 3), 0, c);
    expect(c.lag).toBeGreaterThan(59_000);
    learn(c, LAG_HALF_LIFE_MS, 3_000, LAG_HALF_LIFE_MS, staleLimit(intervals30, 1_000, c));
    expect(c.lag).toBe(30_000);
  });

  it('is not learned from a backlog flushed after an outage, nor from the rest of that backlog', () => {
    const c = feed(steps(0, 1_000, 60));
    expect(c.lag).toBe(0);
    // Offline from 60 s to 2 h; the gateway flushes its buffer in order when it is back, at a
    // watermark the other gateways have moved to 2 h.
    const back = 7_200_000;
    let prev = 59_000;
    for (const ts of steps(60_000, 1_000, 7_140)) {
      learn(c, ts, prev, back, staleLimit(intervals30, 1_000, c));
      prev = ts;
    }
    expect(c.lag).toBe(0);
    expect(c.drainUntil).toBe(back);
    // Then live again: on time, learned as such.
    learn(c, back + 1_000, prev, back + 1_500, staleLimit(intervals30, 1_000, c));
    expect(c.lag).toBe(500);
    expect(c.drainUntil).toBeNull();
  });
});
