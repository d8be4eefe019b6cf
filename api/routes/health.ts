import { statSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { LOG_FILE } from '../../store/db.js';
import type { ApiDeps } from '../deps.js';

const component = z.object({ ready: z.boolean(), detail: z.string().optional() });

/** Liveness (always 200 while the process serves) with per-component readiness, and Prometheus metrics. */
export const healthRoutes: FastifyPluginAsyncZod<ApiDeps> = async (app, deps) => {
  app.get(
    '/health',
    {
      config: { role: 'public' },
      schema: {
        summary: 'Liveness and per-component readiness',
        response: {
          200: z.object({
            status: z.enum(['ok', 'degraded']),
            uptimeS: z.number(),
            components: z.record(z.string(), component),
          }),
        },
      },
    },
    async () => {
      const components = deps.readiness();
      const ok = Object.values(components).every((c) => c.ready);
      return {
        status: ok ? ('ok' as const) : ('degraded' as const),
        uptimeS: Math.round((Date.now() - deps.startedAt) / 1000),
        components,
      };
    },
  );

  app.get(
    '/metrics',
    {
      config: { role: 'viewer' },
      schema: { summary: 'Prometheus metrics (text exposition format)' },
    },
    async (_req, reply) => {
      deps.metrics.logBytes.set(logSize(deps.dataDir));
      deps.metrics.logPosition.set(deps.store.queries.counts().lastPos);
      void reply.header('content-type', deps.metrics.registry.contentType);
      return deps.metrics.registry.metrics();
    },
  );
};

function logSize(dataDir: string): number {
  let total = 0;
  for (const suffix of ['', '-wal', '-shm']) {
    try {
      total += statSync(join(dataDir, LOG_FILE + suffix)).size;
    } catch {
      // the WAL and shm files come and go with checkpoints
    }
  }
  return total;
}
