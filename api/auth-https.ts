/**
 * HTTPS for the API (`http.tls`): Fastify's server factory with the same TLS floor (1.2) as
 * the MQTT listeners. Returned as a spread so `buildApp` keeps one Fastify construction.
 */
import type { Server as HttpServer } from 'node:http';
import { createServer } from 'node:https';
import { join } from 'node:path';
import type { FastifyServerFactory } from 'fastify';
import { tlsServerOptions } from '../broker/tls.js';
import type { ApiDeps } from './deps.js';

export function httpsServerFactory(deps: ApiDeps): { serverFactory?: FastifyServerFactory } {
  const tls = deps.index.model.http.tls;
  if (!tls) return {};
  const options = tlsServerOptions(
    tls,
    deps.configFile ?? join(process.cwd(), 'plant.yaml'),
    'http.tls',
  );
  // Fastify only calls listen/close/address on the server, which https.Server has alike.
  return {
    serverFactory: (handler) => createServer(options, handler) as unknown as HttpServer,
  };
}
