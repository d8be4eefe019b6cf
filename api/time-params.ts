import { z } from 'zod';
import { parseDuration } from '../config/duration.js';

/** Epoch milliseconds or an RFC 3339 date-time, as query parameters. */
export const instant = z
  .string()
  .transform((s, ctx) => {
    const ms = /^-?\d+$/.test(s) ? Number(s) : Date.parse(s);
    if (!Number.isFinite(ms)) {
      ctx.addIssue({
        code: 'custom',
        message: `"${s}" is neither epoch milliseconds nor an RFC 3339 date-time`,
      });
      return z.NEVER;
    }
    return ms;
  })
  .describe('epoch milliseconds or RFC 3339, e.g. 2026-11-23T00:00:00Z');

export const step = z
  .string()
  .transform((s, ctx) => {
    const ms = parseDuration(s);
    if (ms === undefined || ms < 1000) {
      ctx.addIssue({
        code: 'custom',
        message: `"${s}" is not a step of at least 1s (e.g. "10s", "1m", "1h")`,
      });
      return z.NEVER;
    }
    return ms;
  })
  .describe('bucket width, e.g. 10s, 1m, 1h; omit for raw readings');
