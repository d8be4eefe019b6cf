/**
 * The HTTP API. `buildApp` builds it from its dependencies without listening, so tests use
 * `app.inject` or listen on an ephemeral port; `runtime/plantpulse.ts` listens.
 */
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import {
  jsonSchemaTransform,
  serializerCompiler,
  validatorCompiler,
  type ZodTypeProvider,
} from 'fastify-type-provider-zod';
import type { ApiDeps } from './deps.js';
import { installAuth, openApiSecurity } from './auth.js';
import { httpsServerFactory } from './auth-https.js';
import { auditRoutes } from './routes/audit.js';
import { accessRoutes } from './routes/access.js';
import { installErrorHandler } from './errors.js';
import { batchesRoutes } from './routes/batches.js';
import { anomaliesRoutes } from './routes/anomalies.js';
import { alertsRoutes } from './routes/alerts.js';
import { healthRoutes } from './routes/health.js';
import { inventoryRoutes } from './routes/inventory.js';
import { maintenanceRoutes } from './routes/maintenance.js';
import { readingsRoutes } from './routes/readings.js';
import { reportsRoutes } from './routes/reports.js';

export async function buildApp(deps: ApiDeps): Promise<FastifyInstance> {
  // pino's Logger and Fastify's base logger differ only in typing; pino is what Fastify uses.
  const app = Fastify({
    loggerInstance: deps.log.child({ component: 'api' }) as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
    ...httpsServerFactory(deps),
  }).withTypeProvider<ZodTypeProvider>();
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  installErrorHandler(app);
  await installAuth(app, deps); // before any route: routes without a role fail here

  await app.register(swagger, {
    openapi: {
      info: {
        title: 'PlantPulse API',
        version: '1',
        description: 'Readings, dead letters and health of a PlantPulse instance.',
      },
      ...openApiSecurity, // bearer tokens: the "Authorize" button of /docs
    },
    transform: jsonSchemaTransform,
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });

  await app.register(healthRoutes, deps);
  await app.register(inventoryRoutes, deps);
  await app.register(readingsRoutes, deps);
  await app.register(anomaliesRoutes, deps);
  await app.register(batchesRoutes, deps);
  await app.register(auditRoutes, deps);
  await app.register(accessRoutes, deps);
  await app.register(reportsRoutes, deps);
  await app.register(alertsRoutes, deps);
  await app.register(maintenanceRoutes, deps);
  return app;
}
