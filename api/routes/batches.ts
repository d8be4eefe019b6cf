/**
 * Production batches with their energy (issue 4), from the energy operator's `batches` table:
 * running batches show the running figure, settled ones the settled figure and how often late
 * data revised it.
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ENERGY_SCHEMA, type BatchRow } from '../../analytics/energy/tables.js';
import { CodedError } from '../../runtime/errors.js';
import type { ApiDeps } from '../deps.js';
import { errorBody } from '../errors.js';
import { instant } from '../time-params.js';

const batchOut = z.object({
  id: z.string().describe('line path and MES batch id: site/line/batch'),
  line: z.string(),
  batch: z.string().describe('batch id as the MES sent it'),
  product: z.string().nullable(),
  quantity: z.number().nullable(),
  unit: z.string().nullable(),
  start: z.number().nullable().describe('epoch ms'),
  end: z.number().nullable().describe('epoch ms; null while running'),
  durationMs: z.number().nullable(),
  status: z.enum(['running', 'settled', 'aborted']),
  energy: z.object({
    kwh: z.number(),
    coverage: z.number().describe('share of the batch time × machines with measured energy, 0–1'),
    kwhPerUnit: z.number().nullable(),
    cost: z.number(),
    currency: z.string(),
    co2Kg: z.number(),
    revision: z.number().describe('times late data changed the settled figure'),
  }),
});

function toOut(r: BatchRow): z.infer<typeof batchOut> {
  return {
    id: r.id,
    line: r.line,
    batch: r.batch,
    product: r.product,
    quantity: r.quantity,
    unit: r.unit,
    start: r.start_ts,
    end: r.end_ts,
    durationMs: r.duration_ms,
    status: r.status,
    energy: {
      kwh: r.kwh,
      coverage: r.coverage,
      kwhPerUnit: r.kwh_per_unit,
      cost: r.cost,
      currency: r.currency,
      co2Kg: r.co2_kg,
      revision: r.revision,
    },
  };
}

export const batchesRoutes: FastifyPluginAsyncZod<ApiDeps> = async (app, deps) => {
  const db = deps.store.db;
  db.exec(ENERGY_SCHEMA); // the operator creates it too; the API may answer before its first step

  app.get(
    '/api/v1/batches',
    {
      config: { role: 'viewer' },
      schema: {
        summary: 'Batches that started in [from, to), newest first, with their energy',
        querystring: z.object({
          line: z.string().optional().describe('site/line'),
          status: z.enum(['running', 'settled', 'aborted']).optional(),
          from: instant.optional(),
          to: instant.optional(),
          limit: z.coerce.number().int().min(1).max(10_000).default(500),
        }),
        response: { 200: z.object({ batches: z.array(batchOut) }), 400: errorBody },
      },
    },
    async (req) => {
      const q = req.query;
      if (q.line !== undefined && !deps.index.lines.some((l) => l.path === q.line))
        throw new CodedError(
          'PP_ERR_BAD_REQUEST',
          `line "${q.line}" is not in the plant model; write site/line, e.g. ${deps.index.lines[0]?.path ?? 'site/line'}`,
        );
      const rows = db
        .prepare(
          `SELECT * FROM batches
           WHERE (@line IS NULL OR line = @line) AND (@status IS NULL OR status = @status)
             AND start_ts >= @from AND start_ts < @to
           ORDER BY start_ts DESC, id LIMIT @limit`,
        )
        .all({
          line: q.line ?? null,
          status: q.status ?? null,
          from: q.from ?? -8.64e15,
          to: q.to ?? 8.64e15,
          limit: q.limit,
        }) as BatchRow[];
      return { batches: rows.map(toOut) };
    },
  );

  app.get(
    '/api/v1/batches/:id',
    {
      config: { role: 'viewer' },
      schema: {
        summary:
          'One batch with its energy, by id (site/line/batch, URL-encoded) or by MES batch id',
        params: z.object({ id: z.string().min(1) }),
        response: { 200: batchOut, 404: errorBody, 400: errorBody },
      },
    },
    async (req) => {
      const id = req.params.id;
      const exact = db.prepare('SELECT * FROM batches WHERE id = ?').get(id) as
        BatchRow | undefined;
      if (exact) return toOut(exact);
      const byBatch = db
        .prepare('SELECT * FROM batches WHERE batch = ? LIMIT 2')
        .all(id) as BatchRow[];
      if (byBatch.length === 1) return toOut(byBatch[0]!);
      if (byBatch.length > 1)
        throw new CodedError(
          'PP_ERR_BAD_REQUEST',
          `batch id "${id}" is used on more than one line; ask for site/line/${id} (URL-encoded)`,
        );
      throw new CodedError(
        'PP_ERR_NOT_FOUND',
        `no batch "${id}"; GET /api/v1/batches lists them (id = site/line/batch)`,
      );
    },
  );
};
