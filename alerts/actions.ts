/**
 * Human actions on alerts (ack, resolve), as the API records them. The API never writes the
 * operator's tables: it appends an `alert_action` row to the log and the audit entry in one
 * transaction, and the alert operator applies the action when it reads that row, in log order
 * with the readings (operator.ts). One writer per table, no race between a human and the
 * operator, and a replay of the log re-applies the same actions at the same place.
 */
import type { Store } from '../store/store.js';
import type { AlertAction } from './operator.js';
import { ALERT_ACTION_KIND } from './rules.js';

export interface AlertRow {
  id: string;
  rule: string;
  asset: string;
  severity: string;
  state: string;
  opened_at: number;
  updated_at: number;
  escalation: number;
  reopens: number;
  ack_by: string | null;
  ack_at: number | null;
  ack_note: string | null;
  resolved_at: number | null;
  resolved_by: string | null;
  closed_at: number | null;
  value: number | null;
  message: string;
}

/**
 * Appends the action to the log and the audit trail atomically; returns the log position.
 * The row's timestamp is the wall clock (a human acted then), made unique per alert slot so a
 * second action in the same millisecond is not folded into the first by the (series, ts) key.
 */
export function recordAction(
  store: Store,
  alert: AlertRow,
  action: AlertAction['action'],
  by: string,
  note: string | null,
  now = Date.now(),
  /** Who the audit trail names: the API token (`by` is the person it says acted). */
  actor = by,
): { pos: number; ts: number } {
  const key = `${alert.asset}:alert_action:${alert.rule}`;
  const series = store.series.ensure(key, ALERT_ACTION_KIND, '1', false);
  const body: AlertAction = {
    alertId: alert.id,
    rule: alert.rule,
    asset: alert.asset,
    action,
    by,
    note,
  };
  const db = store.db;
  return db.transaction(() => {
    const last = db.prepare('SELECT MAX(ts) AS ts FROM log WHERE series = ?').get(series) as {
      ts: number | null;
    };
    const ts = Math.max(now, (last.ts ?? 0) + 1);
    const pos = Number(
      db
        .prepare(
          'INSERT INTO log(series, ts, value, quality, body, received) VALUES (?, ?, ?, 0, ?, ?)',
        )
        .run(series, ts, action === 'ack' ? 1 : 2, Buffer.from(JSON.stringify(body)), now)
        .lastInsertRowid,
    );
    store.audit.append({
      actor,
      action: action === 'ack' ? 'alert.ack' : 'alert.resolve',
      subject: alert.id,
      detail: {
        rule: alert.rule,
        asset: alert.asset,
        by,
        note,
        stateBefore: alert.state,
        logPos: pos,
      },
      at: now,
    });
    return { pos, ts };
  })();
}
