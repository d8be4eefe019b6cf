/**
 * Security settings of the plant model (issue 8), referenced from the `mqtt:` and `http:`
 * sections of config/schema.ts: TLS for MQTT and the API, mutual TLS for devices, MQTT over
 * WebSocket, API authentication, rate limits and CORS. Paths are relative to the plant model
 * file. Every key has a default or is optional, so existing plant files stay valid.
 */
import { z } from 'zod';
import { duration } from './duration.js';

const path = () => z.string().min(1);
const port = (dflt: number) => z.number().int().min(0).max(65535).default(dflt);

export const tlsFilesSchema = z.strictObject({
  cert: path().describe('PEM server certificate (chain) file.'),
  key: path().describe('PEM private key file of the server certificate.'),
  ca: path()
    .optional()
    .describe('PEM CA bundle that signs client certificates (needed for clientCerts).'),
  minVersion: z
    .enum(['TLSv1.2', 'TLSv1.3'])
    .default('TLSv1.2')
    .describe('Oldest TLS version accepted; TLS 1.0/1.1 are never offered.'),
});

export const mqttTlsSchema = tlsFilesSchema
  .extend({
    port: port(8883),
    clientCerts: z
      .enum(['off', 'optional', 'required'])
      .default('off')
      .describe(
        'Mutual TLS: "optional" lets a device log in with a certificate signed by `ca` (its CN or a subjectAltName is the device id; no password) or with its password; "required" refuses clients without such a certificate.',
      ),
  })
  .refine((t) => t.clientCerts === 'off' || t.ca !== undefined, {
    message: 'clientCerts needs `ca`: the CA bundle that signs device certificates',
    path: ['ca'],
  });

export const mqttWebSocketSchema = z.strictObject({
  port: port(8083),
  path: z.string().startsWith('/').default('/mqtt'),
  tls: tlsFilesSchema.omit({ ca: true }).optional().describe('Serve wss:// instead of ws://.'),
});

export const httpTlsSchema = tlsFilesSchema;

export const httpAuthSchema = z
  .enum(['tokens', 'off'])
  .default('tokens')
  .describe(
    'tokens: every route but /health needs a bearer token with the route role (plantpulse tokens add). off: the API is open to anyone who can reach it (demo only; logged loudly).',
  );

export const rateLimitSchema = z
  .strictObject({
    enabled: z.boolean().default(true),
    max: z
      .number()
      .int()
      .positive()
      .default(1200)
      .describe('Requests per window per token (or per IP without one).'),
    window: duration().default(60_000),
  })
  .prefault({});

export const corsSchema = z.strictObject({
  origins: z
    .array(z.url())
    .min(1)
    .describe(
      'Browser origins allowed to call the API, e.g. https://grafana.plant.example. No wildcard.',
    ),
});

export type TlsFiles = z.output<typeof tlsFilesSchema>;
export type MqttTls = z.output<typeof mqttTlsSchema>;
export type MqttWebSocket = z.output<typeof mqttWebSocketSchema>;
export type RateLimitConfig = z.output<typeof rateLimitSchema>;
