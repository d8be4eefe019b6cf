import { z } from 'zod';
import { parseDuration } from '../config/duration.js';
import type { PlantIndex, SensorInfo } from '../config/plant-index.js';
import { CodedError } from '../runtime/errors.js';

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

/** The sensor a `sensor=site/line/machine/sensor` parameter names, or PP_ERR_NOT_FOUND. */
export function sensorParam(index: PlantIndex, path: string): SensorInfo {
  const sensor = index.sensorByPath.get(path);
  if (!sensor) {
    throw new CodedError(
      'PP_ERR_NOT_FOUND',
      `no sensor "${path}"; GET /api/v1/sensors lists the paths (site/line/machine/sensor)`,
    );
  }
  return sensor;
}

/** The [from, to) window of a query: defaults to the last hour; from must be before to. */
export function timeWindow(q: { from?: number; to?: number }): { from: number; to: number } {
  const to = q.to ?? Date.now();
  const from = q.from ?? to - 3_600_000;
  if (from >= to) {
    throw new CodedError(
      'PP_ERR_BAD_REQUEST',
      `from (${new Date(from).toISOString()}) must be before to (${new Date(to).toISOString()})`,
    );
  }
  return { from, to };
}
