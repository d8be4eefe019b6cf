/**
 * Deterministic randomness for the simulator. Never Math.random: the same seed must give the
 * same published stream byte for byte.
 *
 * Two kinds of draws:
 * - `Rng` (mulberry32), a sequential stream for planning (schedule, fault windows), where the
 *   order of draws is fixed by the planning code;
 * - `hash01(seed, a, b)`, a counter-based draw keyed by (sensor, timestamp), for per-reading
 *   noise, so a value does not depend on how many other values were generated before it (batch
 *   size, resolution of other sensors or the order of iteration cannot change it).
 */

export class Rng {
  private state: number;
  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  uniform(lo: number, hi: number): number {
    return lo + (hi - lo) * this.next();
  }

  /** Integer in [lo, hi] inclusive. */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)]!;
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  /** A child stream, so that adding draws in one planner does not shift another's. */
  fork(label: string): Rng {
    return new Rng(mix(this.state, strHash(label)));
  }
}

/** FNV-1a of a string: stable ids for sensors and labels. */
export function strHash(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** A 32-bit avalanche mix (murmur3 finaliser) of two words. */
export function mix(a: number, b: number): number {
  let h = (a ^ Math.imul(b, 0x9e3779b1)) >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Uniform in [0, 1) keyed by (seed, key, t); t is split in two words so epoch ms stay exact. */
export function hash01(seed: number, key: number, t: number): number {
  const hi = Math.floor(t / 4294967296);
  const lo = t >>> 0;
  return mix(mix(mix(seed, key), lo), hi) / 4294967296;
}

/** Standard normal keyed like hash01 (Box–Muller on two keyed draws). */
export function hashGauss(seed: number, key: number, t: number): number {
  const u1 = hash01(seed, key, t) || 1e-12;
  const u2 = hash01(seed ^ 0x5bd1e995, key, t);
  return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
}
