import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { readSummary } from '../../analytics/maintenance/summary.js';
import { CodedError } from '../../runtime/errors.js';
import type { ApiDeps } from '../deps.js';
import { errorBody } from '../errors.js';

const zone = z.enum(['A', 'B', 'C', 'D']).nullable();
const hoursInZone = z.object({ A: z.number(), B: z.number(), C: z.number(), D: z.number() });
const features = z
  .object({
    ts: z.number(),
    accelRms: z.number(),
    velocityRms: z.number(),
    peak: z.number(),
    crestFactor: z.number(),
    kurtosis: z.number(),
    bands: z.array(z.object({ fromHz: z.number(), toHz: z.number(), rms: z.number() })),
    bearingEnergy: z.number().nullable(),
  })
  .nullable();

const wearBody = z.object({
  machine: z.string().describe('site/line/machine'),
  name: z.string(),
  asOf: z.number().nullable().describe('End of the last hour evaluated (epoch ms)'),
  primarySensor: z.string().nullable(),
  iso: z.object({
    basis: z.string(),
    limits: z.object({ ab: z.number(), bc: z.number(), cd: z.number() }),
    zone,
  }),
  limit: z.string(),
  vibrationMmS: z.number().nullable(),
  loadNormalisedMmS: z.number().nullable(),
  baseline: z
    .object({ a: z.number(), b: z.number(), pRef: z.number(), learnedAt: z.number() })
    .nullable(),
  learning: z.object({ runningMinutes: z.number(), since: z.number().nullable() }).nullable(),
  wearIndex: z.number().nullable(),
  rul: z
    .object({
      days: z.number(),
      low: z.number(),
      high: z.number().nullable().describe('null: the interval is open-ended'),
      model: z.enum(['linear', 'exponential']),
      level: z.number(),
      ratePerDay: z.number(),
      r2: z.number(),
    })
    .nullable(),
  rulReason: z.string().nullable(),
  operatingHours: z.number(),
  starts: z.number(),
  sensors: z.array(
    z.object({
      sensor: z.string(),
      kind: z.enum(['vibration', 'waveform']),
      zone,
      hoursInZone,
      features,
    }),
  ),
  message: z.string(),
});

/** Wear, ISO zone, remaining useful life and usage of one machine (issue 7). */
export const maintenanceRoutes: FastifyPluginAsyncZod<ApiDeps> = async (app, deps) => {
  const machines = [...new Set(deps.index.sensors.map((s) => `${s.site}/${s.line}/${s.machine}`))];
  app.get(
    '/api/v1/machines/:id/wear',
    {
      config: { role: 'maintenance' },
      schema: {
        summary: "A machine's vibration features, ISO 10816 zone, wear index, RUL and usage",
        params: z.object({ id: z.string().describe('Machine id, e.g. g-201') }),
        querystring: z.object({
          site: z.string().optional().describe('Needed only when the id exists on several sites'),
          line: z.string().optional().describe('Needed only when the id exists on several lines'),
        }),
        response: { 200: wearBody, 400: errorBody, 404: errorBody },
      },
    },
    async (req) => {
      const { id } = req.params;
      const { site, line } = req.query;
      const hits = machines.filter((p) => {
        const [s, l, m] = p.split('/');
        return m === id && (!site || s === site) && (!line || l === line);
      });
      if (hits.length === 0)
        throw new CodedError(
          'PP_ERR_NOT_FOUND',
          `no machine "${id}"${site ? ` on site ${site}` : ''}${line ? ` in line ${line}` : ''}; GET /api/v1/sensors lists the machines`,
        );
      if (hits.length > 1)
        throw new CodedError(
          'PP_ERR_BAD_REQUEST',
          `machine id "${id}" exists at ${hits.join(', ')}; add ?site= and/or ?line= to choose one`,
        );
      const summary = readSummary(deps.store.db, hits[0]!);
      if (!summary)
        throw new CodedError(
          'PP_ERR_NOT_FOUND',
          `no wear figures for ${hits[0]} yet: it has no vibration or running data analysed so far`,
        );
      return summary;
    },
  );
};
