/**
 * The alert operator: evaluates the plant model's alert rules over the log on event time and
 * keeps the alert lifecycle (lifecycle.ts) in checkpointed state (DESIGN C3/C4).
 *
 * "Now" for time-based conditions (stale, minimum durations, escalation, closing) is the
 * event-time watermark: the newest reading timestamp seen in the log. Not the wall clock, because then a replay or a backfill of last week's readings
 * would find every sensor stale and every alert overdue, and the same log would give different
 * alerts on each run; with the watermark the alerts are a function of the log (C4), and live
 * the watermark trails the wall clock by the ingest latency. What it cannot see is a silence of
 * the whole plant: with no reading at all the watermark stands still, so no stale alert fires
 * until something speaks again (the /health endpoint and the broker connection count cover it).
 *
 * Human actions (ack, resolve) reach the operator as `alert_action` rows in the log
 * (actions.ts), so operator state and human state never race: the log orders them, and a
 * replay applies them at the same place again.
 *
 * Each transition, in the runner's step transaction (Emitter.write): the alert row, a history
 * row, an `alert_state` derived row and one outbox row per channel, so a notification exists
 * exactly when its transition does.
 */
import type { AlertRule, ChannelConfig } from '../config/alerts-schema.js';
import type { PlantIndex } from '../config/plant-index.js';
import type { DerivedRow, Operator } from '../analytics/operator.js';
import { finer, learn, newCadence } from './cadence.js';
import {
  addMember,
  grouper,
  membersDeadline,
  newGroupSlot,
  observeMember,
  refreshGroup,
  settleMembers,
  staleReading,
} from './groups.js';
import {
  act,
  advance,
  deadline,
  newSlot,
  observe,
  setActive,
  type Report,
  type SlotState,
  type TransitionEvent,
} from './lifecycle.js';
import {
  ALERT_ACTION_KIND,
  ALERT_STATE_KIND,
  inScope,
  rawSensorsOf,
  signalMatches,
  splitKey,
  staleAfter,
} from './rules.js';
import { ALERT_TABLES, AlertWrites, idempotencyKey, type Notification } from './tables.js';

/** "No deadline" (JSON-safe, unlike Infinity: snapshots are JSON). */
const NEVER = Number.MAX_SAFE_INTEGER;

export interface AlertsState {
  watermark: number | null;
  firstSeen: number | null;
  /** Finest reading spacing any stale-watched series has shown (cadence.ts). */
  grid: number | null;
  /**
   * Event time of the earliest deadline of any slot (a minimum duration ending, a stale limit,
   * an escalation…). Every slot is re-evaluated only when the watermark reaches it, so a
   * replayed month costs one pass per deadline, not one per second.
   */
  nextTick: number;
  /**
   * Set by `init`: a start from the first log record (a new store, or a version change that
   * replays the log). The first step closes the alerts an earlier run left in the table; the
   * replay rewrites (same ids) every one the rules still raise.
   */
  fresh?: boolean;
  /** Keyed by `${rule}\u0000${asset}`, or `${rule}\u0000${group key}` for a group (groups.ts). */
  slots: Record<string, SlotState>;
}

/** Body of an `alert_action` log row. */
export interface AlertAction {
  alertId: string;
  rule: string;
  asset: string;
  action: 'ack' | 'resolve';
  by: string;
  note: string | null;
}

const RANK = { info: 0, warning: 1, critical: 2 } as const;
const slotKey = (rule: string, asset: string) => `${rule}\u0000${asset}`;
const STATE_VALUE = {
  open: 1,
  reopen: 1,
  escalate: 1,
  acknowledged: 2,
  resolved: 0,
  closed: 0,
} as const;

export function alertsOperator(index: PlantIndex): Operator<AlertsState> {
  const cfg = index.model.alerts;
  const rules = cfg.enabled ? cfg.rules : [];
  const ruleById = new Map(rules.map((r) => [r.id, r]));
  const groupOf = new Map(rules.map((r) => [r.id, grouper(r, index)]));
  const channels = new Map<string, ChannelConfig>(cfg.channels.map((c) => [c.id, c]));
  /** Series id → rules watching it (derived from the plant model; not state). */
  const watchers = new Map<number, AlertRule[]>();
  let writes: AlertWrites | undefined;

  const slotFor = (state: AlertsState, rule: AlertRule, asset: string) =>
    (state.slots[slotKey(rule.id, asset)] ??= newSlot(asset));

  /**
   * The stale limit the lifecycle judges a slot by: a group's is its fastest live member's; a
   * member's own alert has none (its group's readings decide it, groups.ts).
   */
  const limitOf = (state: AlertsState, rule: AlertRule, slot: SlotState, firstSeen: number) => {
    if (rule.condition.type !== 'stale' || slot.inGroup) return undefined;
    if (!slot.members) return staleAfter(rule, index, slot.asset, slot.cad, state.grid);
    if (slot.limit === undefined) refreshGroup(slot, { rule, index, firstSeen, grid: state.grid });
    return slot.limit;
  };

  /** Time-driven lifecycle of one slot at `t`; returns its next deadline. */
  const step = (
    state: AlertsState,
    slot: SlotState,
    rule: AlertRule,
    t: number,
    report: Report,
  ) => {
    const first = state.firstSeen ?? t;
    if (slot.members && rule.condition.type !== 'stale') settleMembers(slot, rule, t);
    const staleMs = limitOf(state, rule, slot, first);
    advance(slot, rule, t, staleMs, first, report);
    const due = deadline(slot, rule, staleMs, first);
    return slot.members ? Math.min(due, membersDeadline(slot, rule)) : due;
  };

  return {
    name: 'alerts',
    // 2: stale limits learn each series' cadence; groupBy (group slots with members).
    version: 2,
    schema: ALERT_TABLES,
    init() {
      const slots: Record<string, SlotState> = {};
      for (const rule of rules) {
        if (rule.condition.type !== 'stale' || !rule.condition.fromStart) continue;
        const groupFor = groupOf.get(rule.id)!;
        for (const path of rawSensorsOf(rule, index)) {
          const g = groupFor(path);
          if (!g) slots[slotKey(rule.id, path)] = newSlot(path);
          else addMember((slots[slotKey(rule.id, g.key)] ??= newGroupSlot(g)), path);
        }
      }
      return { watermark: null, firstSeen: null, grid: null, nextTick: 0, slots, fresh: true };
    },
    apply(state, records, out, ctx) {
      if (state.fresh) {
        // Alerts of rules that changed meaning (per sensor before groupBy, say) would otherwise
        // stay open for ever: nothing re-evaluates them.
        out.write((db) => {
          db.prepare(
            "UPDATE alerts SET state = 'closed', closed_at = updated_at WHERE state <> 'closed'",
          ).run();
        });
        delete state.fresh;
      }
      const events: TransitionEvent[] = [];
      const report = (e: TransitionEvent) => events.push(e);
      const due = (d: number) => (state.nextTick = Math.min(state.nextTick, d));
      const tick = (t: number) => {
        let next = NEVER;
        for (const [key, slot] of Object.entries(state.slots)) {
          const rule = ruleById.get(key.slice(0, key.indexOf('\u0000')));
          if (rule) next = Math.min(next, step(state, slot, rule, t, report));
        }
        state.nextTick = Math.max(next, t + 1);
      };
      /** On the series' own time, so a late point is judged where it belongs; never before the alert's last transition, so its history stays in order. */
      const at = (slot: SlotState, ts: number) => Math.max(ts, slot.alert?.updatedAt ?? ts);

      for (const r of records) {
        const series = ctx.seriesOf(r.series);
        if (!series || series.kind === ALERT_STATE_KIND) continue;
        if (series.kind === ALERT_ACTION_KIND) {
          const a = parseAction(r.body);
          const rule = a && ruleById.get(a.rule);
          const slot = a && rule ? slotOfAlert(state, rule.id, a) : undefined;
          if (a && slot) {
            // It takes effect at the event time it is read at, so the lifecycle keeps one time
            // axis with the readings (equal to the wall clock live, and replay-safe); when it
            // happened on the wall clock is in its log row and the audit trail.
            const t = Math.max(state.watermark ?? r.ts, slot.alert?.updatedAt ?? 0);
            act(slot, a.alertId, a.action, t, a.by, a.note, report);
            const first = state.firstSeen ?? t;
            due(deadline(slot, rule!, limitOf(state, rule!, slot, first), first));
          }
          continue;
        }
        // Every other record (readings and derived points alike) moves the watermark.
        state.firstSeen ??= r.ts;
        if (state.watermark === null || r.ts > state.watermark) state.watermark = r.ts;
        let mine = watchers.get(r.series);
        if (!mine) {
          const { asset } = splitKey(series.key);
          mine = rules.filter((rule) => signalMatches(rule, series) && inScope(rule, asset));
          watchers.set(r.series, mine);
        }
        if (mine.length > 0 && r.value !== null) {
          const { asset } = splitKey(series.key);
          for (const rule of mine) {
            const g = groupOf.get(rule.id)!(asset);
            const stale = rule.condition.type === 'stale';
            // A backlog (a gateway flushing after an outage) is news now, not at its stamps.
            let backlog = false;
            if (!g) {
              const slot = slotFor(state, rule, asset);
              if (stale) {
                slot.cad ??= newCadence();
                const before = slot.lastTs === null ? undefined : limitOf(state, rule, slot, r.ts);
                backlog = learn(slot.cad, r.ts, slot.lastTs, state.watermark, before);
                setGrid(state, finer(state.grid, slot.cad));
                if (backlog) slot.heard = state.watermark - slot.cad.lag;
              }
              slot.range = rangeOf(r.body);
              observe(slot, rule, r.ts, r.value);
              due(step(state, slot, rule, at(slot, backlog ? state.watermark : r.ts), report));
              continue;
            }
            const gs = (state.slots[slotKey(rule.id, g.key)] ??= newGroupSlot(g));
            if (stale) {
              const cx = { rule, index, firstSeen: state.firstSeen, grid: state.grid };
              const read = staleReading(gs, cx, asset, r.ts, r.value, state.watermark);
              const { revived, silent } = read;
              backlog = read.backlog;
              setGrid(state, cx.grid);
              const own = state.slots[slotKey(rule.id, asset)];
              if (revived && own) {
                own.lastTs = Math.max(own.lastTs ?? r.ts, r.ts);
                setActive(own, false, r.ts);
                due(step(state, own, rule, at(own, r.ts), report));
              }
              for (const m of silent) {
                const x = (state.slots[slotKey(rule.id, m.asset)] ??= {
                  ...newSlot(m.asset),
                  inGroup: g.key,
                });
                Object.assign(x, { lastTs: m.lastTs, value: m.value });
                setActive(x, true, gs.lastTs!);
                due(step(state, x, rule, at(x, gs.lastTs!), report));
              }
            } else observeMember(gs, rule, asset, r.ts, r.value, rangeOf(r.body));
            due(step(state, gs, rule, at(gs, backlog ? state.watermark : r.ts), report));
          }
        }
        if (state.watermark >= state.nextTick) tick(state.watermark);
      }
      if (events.length === 0) return;
      for (const e of events) out.emit(stateRow(e));
      out.write((db) => {
        writes ??= new AlertWrites(db);
        for (const e of events) {
          writes.transition(e);
          const rule = ruleById.get(e.alert.rule)!;
          const notify = rule.notify.includes(e.transition);
          const n: Notification = {
            key: idempotencyKey(e),
            transition: e.transition,
            at: e.at,
            by: e.by,
            note: e.note,
            alert: e.alert,
            rule: { id: rule.id, signal: rule.signal, description: rule.description ?? null },
          };
          for (const ch of new Set([...rule.channels, ...e.channels])) {
            const c = channels.get(ch);
            // A retained MQTT topic mirrors the alert's state, so it gets every transition.
            if (!c?.enabled || RANK[e.alert.severity] < RANK[c.minSeverity]) continue;
            if (notify || (c.type === 'mqtt' && c.retain)) writes.enqueue(n, ch);
          }
        }
      });
    },
    snapshot: (state) => structuredClone(state),
    restore: (snap) => structuredClone(snap as AlertsState),
  };
}

function stateRow(e: TransitionEvent): DerivedRow {
  const a = e.alert;
  return {
    series: `${a.asset}:alert:${a.rule}`,
    kind: ALERT_STATE_KIND,
    unit: '1',
    ts: e.at,
    value: STATE_VALUE[e.transition],
    body: Buffer.from(
      JSON.stringify({
        alertId: a.id,
        rule: a.rule,
        severity: a.severity,
        message: a.message,
        transition: e.transition,
      }),
    ),
  };
}

/** A new finest spacing changes the limits of series that have not shown their own: groups recompute theirs. */
function setGrid(state: AlertsState, grid: number | null): void {
  if (grid === state.grid) return;
  state.grid = grid;
  for (const slot of Object.values(state.slots))
    if (slot.members) slot.limit = slot.due = undefined;
}

/** The slot holding the alert an action names: by its asset, else (group slots) by its id. */
function slotOfAlert(state: AlertsState, rule: string, a: AlertAction): SlotState | undefined {
  const direct = state.slots[slotKey(rule, a.asset)];
  if (direct?.alert?.id === a.alertId) return direct;
  for (const [key, slot] of Object.entries(state.slots))
    if (slot.alert?.id === a.alertId && key.startsWith(`${rule}\u0000`)) return slot;
  return direct;
}

function parseAction(body: Buffer | null): AlertAction | undefined {
  if (!body) return undefined;
  try {
    const a = JSON.parse(body.toString('utf8')) as AlertAction;
    return a.action === 'ack' || a.action === 'resolve' ? a : undefined;
  } catch {
    return undefined;
  }
}

/** `{low, high}` of a derived point's JSON body (rul_days carries its confidence interval). */
function rangeOf(body: Buffer | null): [number, number] | null {
  if (!body || body[0] !== 0x7b /* '{' */) return null;
  try {
    const b = JSON.parse(body.toString('utf8')) as { low?: unknown; high?: unknown };
    return typeof b.low === 'number' && typeof b.high === 'number' ? [b.low, b.high] : null;
  } catch {
    return null;
  }
}
