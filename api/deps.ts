import type { PlantIndex } from '../config/plant-index.js';
import type { Logger } from '../runtime/logger.js';
import type { Metrics } from '../runtime/metrics.js';
import type { Store } from '../store/store.js';

/** What the API needs from the running PlantPulse; tests build it from real parts. */
export interface ApiDeps {
  index: PlantIndex;
  store: Store;
  metrics: Metrics;
  log: Logger;
  dataDir: string;
  /** Per-component readiness, asked on each /health request. */
  readiness: () => Record<string, { ready: boolean; detail?: string }>;
  startedAt: number;
  /** Log position each analytics operator has consumed up to. */
  analyticsPositions?: () => Record<string, number>;
}

/**
 * The role each route requires. Enforcement (bearer tokens, DESIGN C6) arrives with the
 * security issue; declaring the role beside every route now keeps that change mechanical.
 */
export type Role = 'public' | 'viewer' | 'engineer' | 'maintenance' | 'energy' | 'admin';

declare module 'fastify' {
  interface FastifyContextConfig {
    role?: Role;
  }
}
