/**
 * A small seeded PRNG (mulberry32) so that a failing crash run can be replayed with the same
 * kill schedule: the seed is printed, and CRASH_SEED overrides the default.
 */
export const DEFAULT_CRASH_SEED = 0x5eed_c1;

export function crashSeed(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.CRASH_SEED;
  if (raw === undefined || raw === '') return DEFAULT_CRASH_SEED;
  const seed = Number(raw);
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffff_ffff) {
    throw new Error(`CRASH_SEED must be an integer in [0, 2^32); got "${raw}"`);
  }
  return seed;
}

/** Returns a function giving uniform floats in [0, 1). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Uniform integer in [lo, hi]. */
export function randomInt(rng: () => number, lo: number, hi: number): number {
  return lo + Math.floor(rng() * (hi - lo + 1));
}

/** `CRASH_KILLS=lo,hi` (inclusive) or the default range. */
export function killRange(raw: string | undefined, dflt: [number, number]): [number, number] {
  if (raw === undefined || raw === '') return dflt;
  const m = /^(\d+),(\d+)$/.exec(raw.trim());
  if (!m || Number(m[1]) < 1 || Number(m[1]) > Number(m[2]))
    throw new Error(`CRASH_KILLS must be "lo,hi" with 1 ≤ lo ≤ hi; got "${raw}"`);
  return [Number(m[1]), Number(m[2])];
}
