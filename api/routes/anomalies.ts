import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { ApiDeps } from '../deps.js';
import { errorBody } from '../errors.js';
import { instant, sensorParam, timeWindow } from '../time-params.js';

interface Row {
  ts: number;
  value: number | null;
  body: Buffer | null;
}

const text = (b: Buffer | null) => (b ? b.toString('utf8') : null);

/** Anomaly scores, flag changes, dropouts and SPC violations of one sensor (issue 6). */
export const anomaliesRoutes: FastifyPluginAsyncZod<ApiDeps> = async (app, deps) => {
  const read = deps.store.db.prepare<[string, number, number, number], Row>(
    `SELECT l.ts, l.value, l.body FROM log l JOIN series s ON s.id = l.series
     WHERE s.key = ? AND l.ts >= ? AND l.ts < ? ORDER BY l.ts LIMIT ?`,
  );
  app.get(
    '/api/v1/anomalies',
    {
      config: { role: 'viewer' },
      schema: {
        summary: 'Anomaly scores, flags, dropouts and SPC violations of one sensor in [from, to)',
        querystring: z.object({
          sensor: z.string().describe('site/line/machine/sensor, as listed by /api/v1/sensors'),
          from: instant.optional(),
          to: instant.optional(),
          minScore: z.coerce.number().min(0).max(1).default(0),
          limit: z.coerce.number().int().min(1).max(100_000).default(10_000),
        }),
        response: {
          200: z.object({
            sensor: z.string(),
            from: z.number(),
            to: z.number(),
            scores: z.array(
              z.object({ ts: z.number(), score: z.number(), explanation: z.string().nullable() }),
            ),
            flags: z.array(
              z.object({ ts: z.number(), on: z.boolean(), explanation: z.string().nullable() }),
            ),
            dropouts: z.array(
              z.object({ ts: z.number(), gapMs: z.number(), explanation: z.string().nullable() }),
            ),
            spc: z.array(
              z.object({ ts: z.number(), rule: z.number(), explanation: z.string().nullable() }),
            ),
          }),
          400: errorBody,
          404: errorBody,
        },
      },
    },
    async (req) => {
      const q = req.query;
      const sensor = sensorParam(deps.index, q.sensor);
      const { from, to } = timeWindow(q);
      const rows = (suffix: string) => read.all(`${sensor.path}:${suffix}`, from, to, q.limit);
      return {
        sensor: sensor.path,
        from,
        to,
        scores: rows('anomaly_score')
          .filter((r) => (r.value ?? 0) >= q.minScore)
          .map((r) => ({ ts: r.ts, score: r.value ?? 0, explanation: text(r.body) })),
        flags: rows('anomaly_flag').map((r) => ({
          ts: r.ts,
          on: r.value === 1,
          explanation: text(r.body),
        })),
        dropouts: rows('anomaly_gap').map((r) => ({
          ts: r.ts,
          gapMs: r.value ?? 0,
          explanation: text(r.body),
        })),
        spc: rows('spc').map((r) => ({ ts: r.ts, rule: r.value ?? 0, explanation: text(r.body) })),
      };
    },
  );
};
