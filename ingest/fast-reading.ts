/**
 * Shape check for one reading object, equivalent to `readingSchema.safeParse(x).success` but
 * without allocating. Ingest takes this path for every reading and asks zod only when it fails,
 * to get the precise error. tests/unit/ingest-fast-reading.test.ts holds the two equivalent.
 */
import type { ReadingPayload } from './payload-schemas.js';

const ALLOWED = new Set(['ts', 'v', 'unit', 'q']);

export function isReading(x: unknown): x is ReadingPayload {
  if (typeof x !== 'object' || x === null || Array.isArray(x)) return false;
  const o = x as Record<string, unknown>;
  let hasTs = false;
  let hasV = false;
  for (const k in o) {
    if (!ALLOWED.has(k)) return false;
    const val = o[k];
    switch (k) {
      case 'ts':
        if (!(typeof val === 'string' || (typeof val === 'number' && Number.isFinite(val))))
          return false;
        hasTs = true;
        break;
      case 'v':
        if (typeof val !== 'number' || !Number.isFinite(val)) return false;
        hasV = true;
        break;
      case 'unit':
        if (typeof val !== 'string' && val !== undefined) return false;
        break;
      case 'q':
        if (!(
          val === undefined ||
          val === 'good' ||
          val === 'uncertain' ||
          val === 'bad' ||
          val === 0 ||
          val === 1 ||
          val === 2
        ))
          return false;
        break;
    }
  }
  return hasTs && hasV;
}
