import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { ApiDeps } from '../deps.js';
import { errorBody } from '../errors.js';
import { instant, sensorParam, step, timeWindow } from '../time-params.js';

const MINUTE = 60_000;

/** Readings of one sensor: raw, or in buckets from raw rows or the 1-minute rollups. */
export const readingsRoutes: FastifyPluginAsyncZod<ApiDeps> = async (app, deps) => {
  app.get(
    '/api/v1/readings',
    {
      config: { role: 'viewer' },
      schema: {
        summary: 'Readings of one sensor in [from, to)',
        description:
          'Without `step`: raw readings (newest retention window). With `step`: buckets with count/mean/min/max/last; whole-minute steps read the 1-minute rollups, so they also cover data older than the raw retention.',
        querystring: z.object({
          sensor: z.string().describe('site/line/machine/sensor, as listed by /api/v1/sensors'),
          from: instant.optional(),
          to: instant.optional(),
          step: step.optional(),
          limit: z.coerce.number().int().min(1).max(100_000).default(10_000),
        }),
        response: {
          200: z.object({
            sensor: z.string(),
            unit: z.string(),
            from: z.number(),
            to: z.number(),
            step: z.number().nullable(),
            source: z.enum(['raw', 'rollup_1m']),
            points: z.array(
              z.union([
                z.object({ ts: z.number(), value: z.number().nullable(), quality: z.number() }),
                z.object({
                  ts: z.number(),
                  count: z.number(),
                  mean: z.number(),
                  min: z.number(),
                  max: z.number(),
                  last: z.number(),
                }),
              ]),
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
      // Every sensor of the plant model has a series: the ingestor registers them all at start.
      const series = deps.store.series.get(sensor.path)!;
      const { from, to } = timeWindow(q);
      const base = { sensor: sensor.path, unit: sensor.canonicalUnit, from, to };
      if (q.step === undefined) {
        return {
          ...base,
          step: null,
          source: 'raw' as const,
          points: deps.store.queries.readings(series.id, from, to, q.limit),
        };
      }
      if (q.step % MINUTE === 0) {
        const points = deps.store.queries.buckets(
          series.id,
          from - (from % q.step),
          to,
          q.step,
          'rollup_1m',
        );
        return {
          ...base,
          step: q.step,
          source: 'rollup_1m' as const,
          points: points.slice(0, q.limit),
        };
      }
      const points = deps.store.queries.buckets(series.id, from, to, q.step, 'raw');
      return { ...base, step: q.step, source: 'raw' as const, points: points.slice(0, q.limit) };
    },
  );

  app.get(
    '/api/v1/dead-letters',
    {
      config: { role: 'engineer' },
      schema: {
        summary: 'Rejected payloads, newest first, with the reason and the field at fault',
        querystring: z.object({
          limit: z.coerce.number().int().min(1).max(1000).default(100),
          before: z.coerce.number().int().optional().describe('page: only ids below this'),
          code: z
            .string()
            .regex(/^PP_ERR_[A-Z_]+$/)
            .optional(),
        }),
        response: {
          200: z.object({
            deadLetters: z.array(
              z.object({
                id: z.number(),
                received: z.number(),
                topic: z.string(),
                clientId: z.string().nullable(),
                code: z.string(),
                field: z.string().nullable(),
                reason: z.string(),
                payload: z
                  .string()
                  .describe('the kept bytes, as text, or base64 when payloadEncoding says so'),
                payloadEncoding: z.enum(['utf8', 'base64']),
                payloadSize: z.number(),
                truncated: z.boolean(),
              }),
            ),
          }),
        },
      },
    },
    async (req) => ({ deadLetters: deps.store.queries.deadLetters(req.query) }),
  );
};
