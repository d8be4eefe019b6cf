/**
 * The alert operator's tables (operator `schema`, not migrations). The operator owns `alerts`
 * and `alert_history` (it is their only writer); the dispatcher owns the delivery columns of
 * `alert_outbox`; the API only reads them and records human actions in the log (actions.ts).
 * Every write is a keyed upsert or INSERT OR IGNORE, so a replay from a checkpoint rewrites the
 * same rows and never re-queues a notification that was already delivered.
 */
import type Database from 'better-sqlite3';
import type { TransitionEvent } from './lifecycle.js';

export const ALERT_TABLES = `
CREATE TABLE IF NOT EXISTS alerts (
  id           TEXT PRIMARY KEY,
  rule         TEXT NOT NULL,
  asset        TEXT NOT NULL,
  severity     TEXT NOT NULL,
  state        TEXT NOT NULL,
  opened_at    INTEGER NOT NULL,
  updated_at   INTEGER NOT NULL,
  escalation   INTEGER NOT NULL,
  reopens      INTEGER NOT NULL,
  ack_by       TEXT, ack_at INTEGER, ack_note TEXT,
  resolved_at  INTEGER, resolved_by TEXT, closed_at INTEGER,
  value        REAL,
  message      TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS alerts_state ON alerts(state, opened_at);
CREATE TABLE IF NOT EXISTS alert_history (
  alert_id   TEXT NOT NULL,
  seq        INTEGER NOT NULL,
  at         INTEGER NOT NULL,
  transition TEXT NOT NULL,
  state      TEXT NOT NULL,
  severity   TEXT NOT NULL,
  by         TEXT NOT NULL,
  note       TEXT,
  value      REAL,
  PRIMARY KEY (alert_id, seq)
);
CREATE TABLE IF NOT EXISTS alert_outbox (
  key         TEXT NOT NULL,           -- idempotency key: alert id, history seq, transition
  channel     TEXT NOT NULL,
  alert_id    TEXT NOT NULL,
  transition  TEXT NOT NULL,
  event_ts    INTEGER NOT NULL,
  payload     TEXT NOT NULL,           -- JSON Notification, rendered per channel at delivery
  state       TEXT NOT NULL DEFAULT 'pending',   -- pending | sent | dead
  attempts    INTEGER NOT NULL DEFAULT 0,
  next_at     INTEGER NOT NULL DEFAULT 0,        -- wall clock ms (delivery is operational time)
  last_error  TEXT,
  sent_at     INTEGER,
  PRIMARY KEY (key, channel)
);
CREATE INDEX IF NOT EXISTS alert_outbox_due ON alert_outbox(state, next_at);
`;

/** What a channel is given to deliver (stored as JSON in the outbox). */
export interface Notification {
  key: string;
  transition: TransitionEvent['transition'];
  at: number;
  by: string;
  note: string | null;
  alert: TransitionEvent['alert'];
  rule: { id: string; signal: string; description: string | null };
}

export function idempotencyKey(e: TransitionEvent): string {
  return `${e.alert.id}/${e.alert.seq}-${e.transition}`;
}

export class AlertWrites {
  private readonly upsertAlert: Database.Statement;
  private readonly history: Database.Statement;
  private readonly outbox: Database.Statement;

  constructor(db: Database.Database) {
    this.upsertAlert = db.prepare(`
      INSERT INTO alerts (id, rule, asset, severity, state, opened_at, updated_at, escalation, reopens,
        ack_by, ack_at, ack_note, resolved_at, resolved_by, closed_at, value, message)
      VALUES (@id, @rule, @asset, @severity, @state, @openedAt, @updatedAt, @escalation, @reopens,
        @ackBy, @ackAt, @ackNote, @resolvedAt, @resolvedBy, @closedAt, @value, @message)
      ON CONFLICT(id) DO UPDATE SET severity = excluded.severity, state = excluded.state,
        updated_at = excluded.updated_at, escalation = excluded.escalation, reopens = excluded.reopens,
        ack_by = excluded.ack_by, ack_at = excluded.ack_at, ack_note = excluded.ack_note,
        resolved_at = excluded.resolved_at, resolved_by = excluded.resolved_by,
        closed_at = excluded.closed_at, value = excluded.value, message = excluded.message`);
    this.history = db.prepare(`
      INSERT OR REPLACE INTO alert_history (alert_id, seq, at, transition, state, severity, by, note, value)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`);
    this.outbox = db.prepare(`
      INSERT OR IGNORE INTO alert_outbox (key, channel, alert_id, transition, event_ts, payload)
      VALUES (?, ?, ?, ?, ?, ?)`);
  }

  transition(e: TransitionEvent): void {
    const a = e.alert;
    const { seq: _seq, openSince: _since, ...row } = a;
    this.upsertAlert.run(row);
    this.history.run(a.id, a.seq, e.at, e.transition, a.state, a.severity, e.by, e.note, a.value);
  }

  enqueue(n: Notification, channel: string): void {
    this.outbox.run(n.key, channel, n.alert.id, n.transition, n.at, JSON.stringify(n));
  }
}
