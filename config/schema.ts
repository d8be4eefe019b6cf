/**
 * The plant model: one YAML file describing sites → lines → machines → sensors, the devices
 * allowed to publish, and the runtime settings. Validated with zod at start; the JSON Schema
 * that editors use for autocompletion is generated from this same schema (`plantpulse config schema`).
 *
 * Objects are strict: an unknown key is an error, never silently ignored (a typo such as
 * `retension:` must not fall back to a default).
 */
import { z } from 'zod';
import { alertsSchema } from './alerts-schema.js';
import { anomalySchema } from './anomaly-schema.js';
import { duration } from './duration.js';
import { energySchema } from './energy-schema.js';
import * as security from './security-schema.js';
import { machineMaintenanceSchema, maintenanceSchema } from './maintenance-schema.js';
import { sinksSchema } from './sinks-schema.js';
import { SENSOR_KINDS, converterFor, unitsOf, type SensorKind } from './units.js';

function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

/** Ids appear in MQTT topics and InfluxDB tags, so they exclude '/', '+', '#', '$' and spaces. */
export const assetId = () =>
  z
    .string()
    .regex(
      /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/,
      'use 1–64 letters, digits, "_", "." or "-", starting with a letter or digit (ids become MQTT topic levels)',
    );

const range = z
  .tuple([z.number(), z.number()])
  .describe("Valid range [min, max] in the sensor's declared unit; readings outside are rejected.")
  .refine(([lo, hi]) => lo < hi, 'range must be [min, max] with min < max');

export const sensorSchema = z
  .strictObject({
    id: assetId(),
    name: z.string().optional(),
    kind: z.enum(SENSOR_KINDS).describe('What the sensor measures; fixes the canonical unit.'),
    unit: z
      .string()
      .describe("The unit the device sends in; converted to the kind's canonical unit at ingest."),
    interval: duration().describe(
      'Expected interval between readings (used for gap and staleness detection).',
    ),
    range: range.optional(),
    critical: z.boolean().default(false).describe('GMP-critical process value (SPC applies).'),
    /** For energy counters: the register value at which the meter rolls over to zero. */
    rollover: z.number().positive().optional(),
    /** For waveform sensors: the expected sample rate in Hz. */
    sampleRate: z.number().positive().optional(),
    since: z.iso
      .date()
      .optional()
      .describe(
        'Date the sensor was installed; readings before it are rejected as bad timestamps.',
      ),
  })
  .superRefine((s, ctx) => {
    if (s.rollover !== undefined && s.kind !== 'energy') {
      ctx.addIssue({
        code: 'custom',
        path: ['rollover'],
        message: `rollover applies to energy counters only; remove it from this ${s.kind} sensor`,
      });
    }
    if (s.sampleRate !== undefined && s.kind !== 'waveform') {
      ctx.addIssue({
        code: 'custom',
        path: ['sampleRate'],
        message: `sampleRate applies to waveform sensors only; remove it from this ${s.kind} sensor`,
      });
    }
    if (!converterFor(s.kind as SensorKind, s.unit)) {
      ctx.addIssue({
        code: 'custom',
        path: ['unit'],
        message: `unit "${s.unit}" does not measure ${s.kind}; use one of ${unitsOf(
          s.kind as SensorKind,
        )
          .map((u) => `"${u}"`)
          .join(', ')}`,
      });
    }
  });

export const machineSchema = z.strictObject({
  id: assetId(),
  name: z.string().optional(),
  type: z.string().optional().describe('Equipment type, e.g. granulator, tablet-press, hvac-ahu.'),
  vibrationClass: z
    .enum(['I', 'II', 'III', 'IV'])
    .optional()
    .describe('ISO 10816 machine class for vibration severity zones.'),
  sensors: z.array(sensorSchema).min(1),
  maintenance: machineMaintenanceSchema,
});

export const lineSchema = z.strictObject({
  id: assetId(),
  name: z.string().optional(),
  machines: z.array(machineSchema).min(1),
});

export const siteSchema = z.strictObject({
  id: assetId(),
  name: z.string().optional(),
  timezone: z
    .string()
    .refine(isTimeZone, {
      error: (iss) =>
        `"${String(iss.input)}" is not an IANA time zone; write one such as "Europe/Zurich" or "UTC"`,
    })
    .default('UTC')
    .describe('IANA time zone for reports and tariffs, e.g. Europe/Zurich.'),
  lines: z.array(lineSchema).min(1),
});

export const deviceSchema = z.strictObject({
  id: assetId().describe('The MQTT username of the device or gateway.'),
  description: z.string().optional(),
  prefix: z
    .string()
    .regex(/^[^#+\s]+[^/#+\s]$/, 'a topic prefix without wildcards, spaces or a trailing "/"')
    .describe('Topic prefix the device may publish under, e.g. plants/basel/granulation.'),
});

export const mqttSchema = z
  .strictObject({
    port: z.number().int().min(0).max(65535).default(1883),
    host: z.string().default('0.0.0.0'),
    allowAnonymous: z
      .boolean()
      .default(false)
      .describe('Accept clients without credentials (demo only; logged loudly at start).'),
    topicTemplate: z.string().default('plants/{site}/{line}/{machine}/{sensor}'),
    batchTopicTemplate: z.string().default('plants/{site}/{line}/batch'),
    maxPacketBytes: z
      .number()
      .int()
      .positive()
      .default(4 * 1024 * 1024),
    maxConnections: z.number().int().positive().default(10_000),
    keepaliveLimitSeconds: z.number().int().min(0).default(3600),
    connectTimeout: duration().default(10_000),
    tcp: z
      .boolean()
      .default(true)
      .describe('Plain MQTT on `port`; false leaves only TLS/WebSocket.'),
    tls: security.mqttTlsSchema.optional().describe('MQTT over TLS (mqtts), optionally mutual.'),
    websocket: security.mqttWebSocketSchema.optional().describe('MQTT over WebSocket (ws/wss).'),
  })
  .prefault({});

export const ingestSchema = z
  .strictObject({
    maxPayloadBytes: z
      .number()
      .int()
      .positive()
      .default(1024 * 1024),
    maxFutureSkew: duration()
      .default(5 * 60_000)
      .describe('Readings further in the future than this are rejected.'),
    earliestTimestamp: z.iso
      .date()
      .default('2000-01-01')
      .describe('Readings before this date are rejected.'),
    deadLetterPayloadCap: z.number().int().positive().default(8192),
    commitMaxRows: z.number().int().positive().default(20_000),
    durability: z
      .enum(['full', 'normal'])
      .default('full')
      .describe(
        'full: fsync every group commit (survives power loss); normal: survives a process crash only.',
      ),
  })
  .prefault({});

export const storageSchema = z
  .strictObject({
    rawRetention: duration().default(90 * 86_400_000),
    rollupRetention: duration().default(5 * 365 * 86_400_000),
    maintenanceInterval: duration().default(60_000),
  })
  .prefault({});

export const httpSchema = z
  .strictObject({
    port: z.number().int().min(0).max(65535).default(8080),
    host: z.string().default('0.0.0.0'),
    tls: security.httpTlsSchema.optional().describe('Serve the API over HTTPS.'),
    auth: security.httpAuthSchema,
    rateLimit: security.rateLimitSchema,
    cors: security.corsSchema.optional().describe('CORS is off unless origins are listed.'),
  })
  .prefault({});

export const plantSchema = z
  .strictObject({
    $schema: z.string().optional(),
    plant: z.strictObject({ name: z.string(), description: z.string().optional() }),
    sites: z.array(siteSchema).min(1),
    devices: z.array(deviceSchema).default([]),
    mqtt: mqttSchema,
    ingest: ingestSchema,
    storage: storageSchema,
    http: httpSchema,
    sinks: sinksSchema.optional().describe('Where the log is shipped (absent = nowhere).'),
    anomaly: anomalySchema,
    energy: energySchema,
    alerts: alertsSchema,
    maintenance: maintenanceSchema,
  })
  .superRefine((plant, ctx) => {
    uniqueIds(plant.sites, ['sites'], ctx);
    plant.sites.forEach((site, si) => {
      uniqueIds(site.lines, ['sites', si, 'lines'], ctx);
      site.lines.forEach((line, li) => {
        uniqueIds(line.machines, ['sites', si, 'lines', li, 'machines'], ctx);
        line.machines.forEach((m, mi) =>
          uniqueIds(m.sensors, ['sites', si, 'lines', li, 'machines', mi, 'sensors'], ctx),
        );
      });
    });
    uniqueIds(plant.devices, ['devices'], ctx);
  });

function uniqueIds(items: { id: string }[], path: (string | number)[], ctx: z.RefinementCtx): void {
  const seen = new Map<string, number>();
  items.forEach((item, i) => {
    const first = seen.get(item.id);
    if (first !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: [...path, i, 'id'],
        message: `duplicate id "${item.id}" (already used at index ${first}); ids must be unique among siblings`,
      });
    } else seen.set(item.id, i);
  });
}

export type PlantModel = z.output<typeof plantSchema>;
export type PlantModelInput = z.input<typeof plantSchema>;
export type SensorConfig = z.output<typeof sensorSchema>;
export type MachineConfig = z.output<typeof machineSchema>;
export type DeviceConfig = z.output<typeof deviceSchema>;

/** JSON Schema for editors (YAML language server), generated from the zod schema above. */
export function plantJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(plantSchema, { io: 'input', unrepresentable: 'any' }) as Record<
    string,
    unknown
  >;
}
