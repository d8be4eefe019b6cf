import type { PlantIndex } from '../config/plant-index.js';
import type { Logger } from '../runtime/logger.js';
import type { Metrics } from '../runtime/metrics.js';
import type { Store } from '../store/store.js';
import type { RouteRole } from '../security/roles.js';

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
  /** The plant model file; TLS file paths (http.tls) are relative to it. */
  configFile?: string;
}

/**
 * The role each route requires (`config: { role }`), enforced by api/auth.ts against bearer
 * tokens (DESIGN C6; lattice in security/roles.ts). A route without one makes buildApp fail.
 */
export type Role = RouteRole;

declare module 'fastify' {
  interface FastifyContextConfig {
    role?: Role;
  }
}
