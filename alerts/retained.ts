/**
 * The current state of every alert that is not closed, as notifications: what a retained MQTT
 * alert topic should hold. The embedded broker keeps retained messages in memory, so the
 * dispatcher publishes these again at start; each carries the idempotency key of the
 * transition that produced the state, so a subscriber that saw it before recognises it.
 */
import type Database from 'better-sqlite3';
import type { Severity } from '../config/alerts-schema.js';
import type { PlantIndex } from '../config/plant-index.js';
import type { AlertRow } from './actions.js';
import type { AlertRecord, AlertState } from './lifecycle.js';
import type { Notification } from './tables.js';

interface Row extends AlertRow {
  seq: number;
  transition: Notification['transition'];
  at: number;
  by: string;
  note: string | null;
}

export function currentStates(db: Database.Database, index: PlantIndex): Notification[] {
  const rules = new Map(index.model.alerts.rules.map((r) => [r.id, r]));
  const rows = db
    .prepare(
      `SELECT a.*, h.seq, h.transition, h.at, h.by, h.note FROM alerts a
         JOIN alert_history h ON h.alert_id = a.id
          AND h.seq = (SELECT MAX(seq) FROM alert_history WHERE alert_id = a.id)
        WHERE a.state != 'closed' ORDER BY a.opened_at, a.id`,
    )
    .all() as Row[];
  return rows.map((r) => {
    const alert: AlertRecord = {
      id: r.id,
      rule: r.rule,
      asset: r.asset,
      severity: r.severity as Severity,
      state: r.state as AlertState,
      openedAt: r.opened_at,
      openSince: r.updated_at,
      updatedAt: r.updated_at,
      seq: r.seq,
      escalation: r.escalation,
      reopens: r.reopens,
      ackBy: r.ack_by,
      ackAt: r.ack_at,
      ackNote: r.ack_note,
      resolvedAt: r.resolved_at,
      resolvedBy: r.resolved_by,
      closedAt: r.closed_at,
      value: r.value,
      message: r.message,
    };
    const rule = rules.get(r.rule);
    return {
      key: `${r.id}/${r.seq}-${r.transition}`,
      transition: r.transition,
      at: r.at,
      by: r.by,
      note: r.note,
      alert,
      rule: { id: r.rule, signal: rule?.signal ?? '', description: rule?.description ?? null },
    };
  });
}
