/**
 * `sinks:` section of the plant model: where PlantPulse ships the local log (DESIGN C3).
 * Absent section or absent `influx` = no sink. Strict objects, like the rest of the model.
 */
import { z } from 'zod';
import { duration } from './duration.js';

export const influxSinkSchema = z
  .strictObject({
    url: z
      .url()
      .describe('Base URL of InfluxDB (1.8+, 2.x, 3.x) or a server speaking /api/v2/write.'),
    org: z.string().default('').describe('InfluxDB 2.x organisation (ignored by 1.8 and 3.x).'),
    bucket: z
      .string()
      .min(1)
      .describe('Bucket (2.x/3.x) or "database/retention-policy" (1.8 compatibility API).'),
    token: z
      .string()
      .min(1)
      .optional()
      .describe(
        'Inline API token: discouraged (logged as a warning); prefer tokenFile or tokenEnv.',
      ),
    tokenFile: z.string().min(1).optional().describe('File holding the API token (first line).'),
    tokenEnv: z
      .string()
      .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'an environment variable name, e.g. INFLUX_TOKEN')
      .optional()
      .describe('Name of the environment variable holding the API token.'),
    batchLines: z.number().int().min(1).max(1_000_000).default(10_000),
    batchBytes: z
      .number()
      .int()
      .min(1024)
      .default(4 * 1024 * 1024)
      .describe('Upper bound of one request body before compression.'),
    flushInterval: duration()
      .default(1000)
      .describe('How long a partly filled batch may wait for more rows.'),
    gzipThreshold: z
      .number()
      .int()
      .min(0)
      .default(1000)
      .describe('Bodies of at least this many bytes are sent gzip-compressed.'),
    gzip: z.boolean().default(true),
    timeout: duration().default(30_000).describe('Time limit of one write request.'),
    retryInitial: duration().default(500).describe('First retry delay (doubles per attempt).'),
    retryMax: duration().default(30_000).describe('Longest retry delay (before Retry-After).'),
    retryAfterMax: duration()
      .default(300_000)
      .describe('Cap on a server-sent Retry-After, so a bad header cannot park the sink.'),
    ensureSchema: z
      .boolean()
      .default(true)
      .describe(
        'On InfluxDB 2.x: check at start that the bucket and a DBRP mapping exist (InfluxQL), creating them when the token allows.',
      ),
    dbrp: z
      .strictObject({
        database: z.string().min(1).optional().describe('InfluxQL database (default: the bucket).'),
        retentionPolicy: z.string().min(1).default('autogen'),
      })
      .prefault({}),
    selfMetrics: z
      .boolean()
      .default(true)
      .describe(
        "Also write PlantPulse's own counters and gauges (ingest, rejects, sink backlog) to InfluxDB for the Ingest health dashboard.",
      ),
    selfMetricsInterval: duration()
      .default(10_000)
      .describe('How often the own metrics are written.'),
    cursor: z
      .string()
      .regex(/^[a-z0-9:_-]+$/)
      .default('sink:influx')
      .describe('Name of the saved log position of this sink.'),
  })
  .superRefine((s, ctx) => {
    const given = (['token', 'tokenFile', 'tokenEnv'] as const).filter((k) => s[k] !== undefined);
    if (given.length > 1) {
      ctx.addIssue({
        code: 'custom',
        path: [given[1]!],
        message: `give the token one way only; ${given.join(' and ')} are all set`,
      });
    }
    if (s.retryMax < s.retryInitial) {
      ctx.addIssue({
        code: 'custom',
        path: ['retryMax'],
        message: 'retryMax must be at least retryInitial',
      });
    }
  });

export const sinksSchema = z.strictObject({
  influx: influxSinkSchema.optional(),
});

export type InfluxSinkConfig = z.output<typeof influxSinkSchema>;
export type SinksConfig = z.output<typeof sinksSchema>;
