import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { recordAction, type AlertRow } from '../../alerts/actions.js';
import { ALERT_TABLES } from '../../alerts/tables.js';
import { SEVERITIES } from '../../config/alerts-schema.js';
import { CodedError } from '../../runtime/errors.js';
import { actorOf } from '../auth.js';
import type { ApiDeps } from '../deps.js';
import { errorBody } from '../errors.js';

const STATES = ['open', 'acknowledged', 'resolved', 'closed'] as const;

const alert = z.object({
  id: z.string(),
  rule: z.string(),
  asset: z.string(),
  severity: z.enum(SEVERITIES),
  state: z.enum(STATES),
  message: z.string(),
  value: z.number().nullable(),
  openedAt: z.number(),
  updatedAt: z.number(),
  escalation: z.number(),
  reopens: z.number(),
  acknowledged: z
    .object({ by: z.string(), at: z.number(), note: z.string().nullable() })
    .nullable(),
  resolved: z.object({ by: z.string(), at: z.number() }).nullable(),
  closedAt: z.number().nullable(),
});

const notification = z.object({
  key: z.string(),
  channel: z.string(),
  alertId: z.string(),
  transition: z.string(),
  state: z.enum(['pending', 'sent', 'dead']),
  attempts: z.number(),
  nextAt: z.number(),
  lastError: z.string().nullable(),
  sentAt: z.number().nullable(),
});

interface OutboxRow {
  key: string;
  channel: string;
  alert_id: string;
  transition: string;
  state: 'pending' | 'sent' | 'dead';
  attempts: number;
  next_at: number;
  last_error: string | null;
  sent_at: number | null;
}

const toAlert = (r: AlertRow): z.infer<typeof alert> => ({
  id: r.id,
  rule: r.rule,
  asset: r.asset,
  severity: r.severity as z.infer<typeof alert>['severity'],
  state: r.state as z.infer<typeof alert>['state'],
  message: r.message,
  value: r.value,
  openedAt: r.opened_at,
  updatedAt: r.updated_at,
  escalation: r.escalation,
  reopens: r.reopens,
  acknowledged: r.ack_by ? { by: r.ack_by, at: r.ack_at!, note: r.ack_note } : null,
  resolved: r.resolved_by ? { by: r.resolved_by, at: r.resolved_at! } : null,
  closedAt: r.closed_at,
});

const toNotification = (r: OutboxRow): z.infer<typeof notification> => ({
  key: r.key,
  channel: r.channel,
  alertId: r.alert_id,
  transition: r.transition,
  state: r.state,
  attempts: r.attempts,
  nextAt: r.next_at,
  lastError: r.last_error,
  sentAt: r.sent_at,
});

const actionBody = z.object({
  by: z
    .string()
    .min(1)
    .max(200)
    .optional()
    .describe(
      'Who acts, when a shared token is used; default: the token name. The audit trail names the token.',
    ),
  note: z.string().max(2000).optional(),
});

/** Alerts (issue 7): list, detail with history and notifications, ack and resolve. */
export const alertsRoutes: FastifyPluginAsyncZod<ApiDeps> = async (app, deps) => {
  const db = deps.store.db;
  // The alert operator creates these too; the API may start before its first step.
  db.exec(ALERT_TABLES);
  const one = db.prepare<[string], AlertRow>('SELECT * FROM alerts WHERE id = ?');

  app.get(
    '/api/v1/alerts',
    {
      config: { role: 'viewer' },
      schema: {
        summary: 'Alerts, newest first, filtered by state, severity, asset path prefix and rule',
        querystring: z.object({
          state: z
            .enum([...STATES, 'active'])
            .optional()
            .describe('"active" = open or acknowledged'),
          severity: z.enum(SEVERITIES).optional(),
          asset: z.string().optional().describe('Asset path prefix, e.g. basel/granulation'),
          rule: z.string().optional(),
          limit: z.coerce.number().int().min(1).max(10_000).default(500),
        }),
        response: { 200: z.object({ alerts: z.array(alert) }), 400: errorBody },
      },
    },
    async (req) => {
      const q = req.query;
      const rows = db
        .prepare(
          `SELECT * FROM alerts
            WHERE (@state IS NULL OR state = @state OR (@state = 'active' AND state IN ('open', 'acknowledged')))
              AND (@severity IS NULL OR severity = @severity)
              AND (@asset IS NULL OR asset = @asset OR substr(asset, 1, length(@asset) + 1) = @asset || '/')
              AND (@rule IS NULL OR rule = @rule)
            ORDER BY opened_at DESC, id LIMIT @limit`,
        )
        .all({
          state: q.state ?? null,
          severity: q.severity ?? null,
          asset: q.asset?.replace(/\/+$/, '') ?? null,
          rule: q.rule ?? null,
          limit: q.limit,
        }) as AlertRow[];
      return { alerts: rows.map(toAlert) };
    },
  );

  app.get(
    '/api/v1/alerts/notifications',
    {
      config: { role: 'viewer' },
      schema: {
        summary: 'Outbox rows by delivery state (dead = gave up after retries)',
        querystring: z.object({
          state: z.enum(['pending', 'sent', 'dead']).optional(),
          channel: z.string().optional(),
          limit: z.coerce.number().int().min(1).max(10_000).default(500),
        }),
        response: { 200: z.object({ notifications: z.array(notification) }), 400: errorBody },
      },
    },
    async (req) => {
      const q = req.query;
      const rows = db
        .prepare(
          `SELECT * FROM alert_outbox WHERE (@state IS NULL OR state = @state) AND (@channel IS NULL OR channel = @channel)
            ORDER BY event_ts DESC, key LIMIT @limit`,
        )
        .all({ state: q.state ?? null, channel: q.channel ?? null, limit: q.limit }) as OutboxRow[];
      return { notifications: rows.map(toNotification) };
    },
  );

  app.get(
    '/api/v1/alerts/:id',
    {
      config: { role: 'viewer' },
      schema: {
        summary: 'One alert with its lifecycle history and its notifications',
        params: z.object({ id: z.string() }),
        response: {
          200: alert.extend({
            history: z.array(
              z.object({
                seq: z.number(),
                at: z.number(),
                transition: z.string(),
                state: z.string(),
                severity: z.string(),
                by: z.string(),
                note: z.string().nullable(),
                value: z.number().nullable(),
              }),
            ),
            notifications: z.array(notification),
          }),
          404: errorBody,
        },
      },
    },
    async (req) => {
      const row = one.get(req.params.id);
      if (!row) throw new CodedError('PP_ERR_NOT_FOUND', `no alert "${req.params.id}"`);
      const history = db
        .prepare(
          'SELECT seq, at, transition, state, severity, by, note, value FROM alert_history WHERE alert_id = ? ORDER BY seq',
        )
        .all(row.id) as {
        seq: number;
        at: number;
        transition: string;
        state: string;
        severity: string;
        by: string;
        note: string | null;
        value: number | null;
      }[];
      const notes = db
        .prepare('SELECT * FROM alert_outbox WHERE alert_id = ? ORDER BY event_ts, key, channel')
        .all(row.id) as OutboxRow[];
      return { ...toAlert(row), history, notifications: notes.map(toNotification) };
    },
  );

  const accepted = z.object({
    accepted: z.literal(true),
    action: z.enum(['ack', 'resolve']),
    alert: alert,
    logPos: z.number(),
  });

  for (const action of ['ack', 'resolve'] as const) {
    app.post(
      `/api/v1/alerts/:id/${action}`,
      {
        config: { role: 'maintenance' },
        schema: {
          summary:
            action === 'ack'
              ? 'Acknowledge an open alert (stops escalation); audited'
              : 'Resolve an open or acknowledged alert; audited',
          description:
            'Answers 202: the action is recorded in the log and the audit trail at once, and the alert operator applies it within milliseconds (GET the alert to see it).',
          params: z.object({ id: z.string() }),
          body: actionBody,
          response: { 202: accepted, 404: errorBody, 409: errorBody, 400: errorBody },
        },
      },
      async (req, reply) => {
        const row = one.get(req.params.id);
        if (!row) throw new CodedError('PP_ERR_NOT_FOUND', `no alert "${req.params.id}"`);
        const allowed = action === 'ack' ? ['open'] : ['open', 'acknowledged'];
        if (!allowed.includes(row.state)) {
          throw new CodedError(
            'PP_ERR_CONFLICT',
            `alert ${row.id} is ${row.state}; ${action === 'ack' ? 'only an open alert can be acknowledged' : 'only an open or acknowledged alert can be resolved'}`,
          );
        }
        const actor = actorOf(req);
        const by = req.body.by ?? actor.replace(/^token:/, '');
        const { pos } = recordAction(
          deps.store,
          row,
          action,
          by,
          req.body.note ?? null,
          Date.now(),
          actor,
        );
        return reply
          .status(202)
          .send({ accepted: true as const, action, alert: toAlert(row), logPos: pos });
      },
    );
  }
};
