/** Every dashboard PlantPulse provisions, by file name. */
import type * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import { anomalies } from './anomalies.js';
import { energyBatches } from './energy-batches.js';
import { ingestHealth } from './ingest-health.js';
import { maintenance } from './maintenance.js';
import { plantOverview } from './plant-overview.js';

export const DASHBOARDS: Record<string, () => dashboard.Dashboard> = {
  'plant-overview': plantOverview,
  'energy-batches': energyBatches,
  anomalies,
  'maintenance-wear': maintenance,
  'ingest-health': ingestHealth,
};
