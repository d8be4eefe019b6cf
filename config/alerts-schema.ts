/**
 * Alert rules and notification channels (issue 7). A rule watches one signal — a derived kind or
 * key suffix (iso_zone, wear_index, rul_days, anomaly_flag, spc_violation …) or a raw sensor
 * kind — over a scope of assets, and opens at most one alert per (rule, asset), or per (rule,
 * machine | line | device) with `groupBy`. Channels say
 * where notifications go; secrets are named by environment variable, never written here.
 */
import { z } from 'zod';
import { duration } from './duration.js';

export const SEVERITIES = ['info', 'warning', 'critical'] as const;
export type Severity = (typeof SEVERITIES)[number];

const id = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, 'use 1–64 lower-case letters, digits, "_" or "-"');

const envName = z
  .string()
  .regex(/^[A-Z_][A-Z0-9_]*$/, 'an environment variable name such as PP_SMTP_PASSWORD');

const threshold = (type: 'above' | 'below') =>
  z.strictObject({
    type: z.literal(type),
    threshold: z.number().describe(`Opens when the value is ${type === 'above' ? '≥' : '≤'} this.`),
    clear: z
      .number()
      .optional()
      .describe(
        `Hysteresis: clears only when the value is ${type === 'above' ? 'below' : 'above'} this (default: the threshold).`,
      ),
  });

export const conditionSchema = z
  .discriminatedUnion('type', [
    threshold('above'),
    threshold('below'),
    z
      .strictObject({ type: z.literal('flag') })
      .describe(
        'Active while the signal is 1 (e.g. anomaly_flag); use `for` to require it sustained.',
      ),
    z.strictObject({
      type: z.literal('spc'),
      rules: z
        .array(z.number().int().positive())
        .optional()
        .describe('SPC rule numbers that count (default: any).'),
      quiet: duration()
        .default(3_600_000)
        .describe('Clears after this long without another violation.'),
    }),
    z
      .strictObject({
        type: z.literal('stale'),
        after: duration().optional(),
        fromStart: z
          .boolean()
          .default(false)
          .describe(
            'Also raise for sensors that have sent nothing since the log began (default: only sensors that stopped).',
          ),
        intervals: z
          .number()
          .positive()
          .optional()
          .describe("Stale after this many of the sensor's expected intervals (raw sensors)."),
      })
      .refine((c) => (c.after === undefined) !== (c.intervals === undefined), {
        message:
          'give exactly one of `after` (a duration) or `intervals` (a multiple of the sensor interval)',
      }),
    z.strictObject({
      type: z.literal('flatline'),
      after: duration().describe('No change for this long opens the alert.'),
      tolerance: z.number().min(0).default(0).describe('Changes up to this size count as none.'),
    }),
  ])
  .describe('above / below a threshold, flag, spc, stale (no reading), flatline (no change).');

export const escalationSchema = z.strictObject({
  after: duration().describe('Unacknowledged this long after opening (event time).'),
  severity: z.enum(SEVERITIES).optional().describe('Raise the alert to this severity.'),
  channels: z.array(id).default([]).describe('Also notify these channels.'),
});

export const GROUP_BY = ['asset', 'machine', 'line', 'device'] as const;
export type GroupBy = (typeof GROUP_BY)[number];

const TRANSITIONS = ['open', 'reopen', 'escalate', 'acknowledged', 'resolved', 'closed'] as const;
export type Transition = (typeof TRANSITIONS)[number];

export const ruleSchema = z.strictObject({
  id,
  description: z.string().optional(),
  signal: z
    .string()
    .min(1)
    .describe(
      'Derived kind or key suffix (iso_zone, wear_index, rul_days, anomaly_flag, spc_violation…), a raw sensor kind (temperature…), or "sensor" for every raw sensor.',
    ),
  assets: z
    .union([z.literal('all'), z.array(z.string().min(1)).min(1)])
    .default('all')
    .describe('Asset path prefixes (site, site/line, site/line/machine, …/sensor) or "all".'),
  condition: conditionSchema,
  groupBy: z
    .enum(GROUP_BY, {
      error: (iss) =>
        `groupBy ${JSON.stringify(iss.input)} is not one of ${GROUP_BY.join(' | ')}: asset = one alert per series (default), machine / line = per asset path, device = per publishing device or gateway`,
    })
    .default('asset')
    .describe(
      'One alert per series (asset, the default), or per machine, line or publishing device: the group alert is open while any member holds the condition; for stale, while the whole group is silent, and a member silent on its own gets its own alert.',
    ),
  severity: z.enum(SEVERITIES).default('warning'),
  for: duration().default(0).describe('Minimum duration the condition holds before opening.'),
  clearFor: duration()
    .default(0)
    .describe('Minimum duration the condition is clear before resolving.'),
  reopenWindow: duration()
    .default(3_600_000)
    .describe(
      'A resolved alert whose condition returns within this window re-opens (one alert, not one per crossing); after it the alert closes.',
    ),
  escalate: z.array(escalationSchema).default([]),
  channels: z.array(id).default([]),
  notify: z
    .array(z.enum(TRANSITIONS))
    .default(['open', 'reopen', 'escalate', 'acknowledged', 'resolved'])
    .describe('Which lifecycle transitions send notifications.'),
  message: z.string().optional().describe('Text shown instead of the generated description.'),
});

const retrySchema = z
  .strictObject({
    maxAttempts: z.number().int().min(1).default(8),
    baseDelay: duration().default(2_000),
    maxDelay: duration().default(300_000),
  })
  .prefault({});

const rateSchema = z
  .strictObject({
    perMinute: z.number().positive().default(30),
    burst: z.number().int().min(1).default(10),
  })
  .prefault({});

const common = {
  id,
  enabled: z.boolean().default(true),
  retry: retrySchema,
  rateLimit: rateSchema,
  timeout: duration().default(10_000),
  minSeverity: z
    .enum(SEVERITIES)
    .default('info')
    .describe('Only alerts at least this severe reach the channel (e.g. critical for a pager).'),
};

export const emailChannelSchema = z.strictObject({
  ...common,
  type: z.literal('email'),
  host: z.string(),
  port: z.number().int().min(1).max(65535).default(587),
  secure: z
    .boolean()
    .default(false)
    .describe('TLS from the start (port 465); false = STARTTLS when offered.'),
  requireTLS: z.boolean().default(false),
  user: z.string().optional(),
  passwordEnv: envName.optional().describe('Environment variable holding the SMTP password.'),
  from: z.string(),
  to: z.array(z.string()).min(1),
});

export const webhookChannelSchema = z
  .strictObject({
    ...common,
    type: z.literal('webhook'),
    url: z.url().optional(),
    urlEnv: envName
      .optional()
      .describe('Environment variable holding the URL (Slack/Teams URLs are secrets).'),
    format: z.enum(['json', 'slack', 'teams']).default('json'),
    headersEnv: z
      .record(z.string(), envName)
      .default({})
      .describe('Header name → environment variable holding its value (e.g. Authorization).'),
  })
  .refine((c) => (c.url === undefined) !== (c.urlEnv === undefined), {
    message: 'give exactly one of `url` or `urlEnv`',
  });

export const mqttChannelSchema = z.strictObject({
  ...common,
  type: z.literal('mqtt'),
  topic: z
    .string()
    .default('plantpulse/alerts/{asset}/{rule}')
    .describe('Topic template: {asset} (path), {rule}, {severity}, {site}, {line}, {machine}.'),
  retain: z.boolean().default(true).describe('Retain the newest state of each alert on its topic.'),
  qos: z.union([z.literal(0), z.literal(1)]).default(1),
});

export const channelSchema = z.discriminatedUnion('type', [
  emailChannelSchema,
  webhookChannelSchema,
  mqttChannelSchema,
]);

export const alertsSchema = z
  .strictObject({
    enabled: z.boolean().default(true),
    rules: z.array(ruleSchema).default([]),
    channels: z.array(channelSchema).default([]),
    dispatchInterval: duration().default(500).describe('How often the outbox is polled.'),
    skipOlderThan: duration()
      .optional()
      .describe(
        'Do not send notifications whose event time is older than this (wall clock), e.g. after a backfill of last month; they are marked dead with the reason.',
      ),
  })
  .superRefine((cfg, ctx) => {
    const channelIds = new Set<string>();
    cfg.channels.forEach((c, i) => {
      if (channelIds.has(c.id))
        ctx.addIssue({
          code: 'custom',
          path: ['channels', i, 'id'],
          message: `duplicate channel id "${c.id}"`,
        });
      channelIds.add(c.id);
    });
    const ruleIds = new Set<string>();
    cfg.rules.forEach((r, i) => {
      if (ruleIds.has(r.id))
        ctx.addIssue({
          code: 'custom',
          path: ['rules', i, 'id'],
          message: `duplicate rule id "${r.id}"`,
        });
      ruleIds.add(r.id);
      const check = (ids: string[], path: (string | number)[]) =>
        ids.forEach((c, j) => {
          if (!channelIds.has(c))
            ctx.addIssue({
              code: 'custom',
              path: ['rules', i, ...path, j],
              message: `no channel "${c}" in alerts.channels (known: ${[...channelIds].join(', ') || 'none'})`,
            });
        });
      check(r.channels, ['channels']);
      r.escalate.forEach((e, k) => check(e.channels, ['escalate', k, 'channels']));
      if (r.condition.type === 'above' || r.condition.type === 'below') {
        const { threshold: t, clear } = r.condition;
        if (clear !== undefined && (r.condition.type === 'above' ? clear > t : clear < t))
          ctx.addIssue({
            code: 'custom',
            path: ['rules', i, 'condition', 'clear'],
            message: `clear must be on the normal side of the threshold (${r.condition.type === 'above' ? '≤' : '≥'} ${t}), or hysteresis works backwards`,
          });
      }
    });
  })
  .prefault({});

export type AlertsConfig = z.output<typeof alertsSchema>;
export type AlertRule = z.output<typeof ruleSchema>;
export type AlertCondition = z.output<typeof conditionSchema>;
export type ChannelConfig = z.output<typeof channelSchema>;
export type EmailChannelConfig = z.output<typeof emailChannelSchema>;
export type WebhookChannelConfig = z.output<typeof webhookChannelSchema>;
export type MqttChannelConfig = z.output<typeof mqttChannelSchema>;
