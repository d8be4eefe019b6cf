import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { ApiDeps } from '../deps.js';
import { errorBody } from '../errors.js';

const entry = z.object({
  seq: z.number(),
  at: z.number(),
  actor: z.string(),
  action: z.string(),
  subject: z.string(),
  detail: z.record(z.string(), z.unknown()),
  prevHash: z.string(),
  hash: z.string(),
});

/** The hash-chained audit trail (audit/trail.ts): read and verify, for admins only. */
export const auditRoutes: FastifyPluginAsyncZod<ApiDeps> = async (app, deps) => {
  app.get(
    '/api/v1/audit',
    {
      config: { role: 'admin' },
      schema: {
        summary: 'Audit trail entries, newest first',
        querystring: z.object({
          action: z.string().optional().describe('Action prefix, e.g. "token." or "alert.ack"'),
          before: z.coerce
            .number()
            .int()
            .positive()
            .optional()
            .describe('Entries with seq below this (paging)'),
          limit: z.coerce.number().int().min(1).max(1000).default(100),
        }),
        response: { 200: z.object({ entries: z.array(entry) }), 400: errorBody },
      },
    },
    async (req) => ({
      entries: deps.store.audit.list({
        actionPrefix: req.query.action,
        beforeSeq: req.query.before,
        limit: req.query.limit,
      }),
    }),
  );

  app.get(
    '/api/v1/audit/verify',
    {
      config: { role: 'admin' },
      schema: {
        summary: 'Walk the whole hash chain; reports the first broken entry',
        response: {
          200: z.union([
            z.object({ ok: z.literal(true), entries: z.number(), headHash: z.string() }),
            z.object({
              ok: z.literal(false),
              entries: z.number(),
              brokenAt: z.number(),
              reason: z.string(),
            }),
          ]),
        },
      },
    },
    async () => deps.store.audit.verify(),
  );
};
