import { statSync, statfsSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { Gauge, type Registry } from 'prom-client';
import { z } from 'zod';
import { LOG_FILE } from '../../store/db.js';
import type { ApiDeps } from '../deps.js';

const component = z.object({ ready: z.boolean(), detail: z.string().optional() });

/** Liveness (always 200 while the process serves) with per-component readiness, and Prometheus metrics. */
export const healthRoutes: FastifyPluginAsyncZod<ApiDeps> = async (app, deps) => {
  const freeBytes = freeBytesGauge(deps.metrics.registry);
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
      const disk = diskFull(deps);
      const components = { ...deps.readiness(), ...(disk ? { disk } : {}) };
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
      const free = freeSpace(deps.dataDir);
      if (free !== undefined) freeBytes.set(free);
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

/** Bytes available to PlantPulse on the data dir's filesystem (undefined if it cannot be read). */
function freeSpace(dataDir: string): number | undefined {
  try {
    const s = statfsSync(dataDir);
    return s.bavail * s.bsize;
  } catch {
    return undefined;
  }
}

/**
 * A `disk` component, present only while commits fail with SQLITE_FULL: PlantPulse is then alive
 * but acknowledges no reading (devices keep resending) until space returns. The free space is
 * always in /metrics (plantpulse_data_dir_free_bytes).
 */
function diskFull(deps: ApiDeps): { ready: false; detail: string } | undefined {
  const failure = deps.store.writer.failure;
  if (!failure || (failure.error as { code?: string }).code !== 'SQLITE_FULL') return undefined;
  const free = freeSpace(deps.dataDir);
  return {
    ready: false,
    detail: `disk full: ${failure.failedCommits} commits failed (SQLITE_FULL) since ${new Date(failure.sinceMs).toISOString()}; readings are not acknowledged until space returns; ${free === undefined ? 'free space unknown' : `${mib(free)} MiB free`} on ${deps.dataDir}`,
  };
}

const mib = (bytes: number) => (bytes / 2 ** 20).toFixed(1);

/** Registered once per registry (a test may build several apps on one set of metrics). */
function freeBytesGauge(registry: Registry): Gauge {
  const name = 'plantpulse_data_dir_free_bytes';
  const existing = registry.getSingleMetric(name);
  if (existing) return existing as Gauge;
  return new Gauge({
    name,
    help: 'Bytes available on the filesystem of the data dir (SQLITE_FULL below what a commit needs)',
    registers: [registry],
  });
}
