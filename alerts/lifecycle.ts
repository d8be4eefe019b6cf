/**
 * The state machine of one (rule, asset) slot, on event time only (DESIGN C4). Pure: the
 * operator feeds it readings, watermark ticks and human actions in log order and persists the
 * transitions it reports.
 *
 *   condition:  inactive ──(crosses threshold)──► active ──(falls past the clear level)──► inactive
 *   alert:      (none) ─active ≥ for─► open ─ack─► acknowledged ─clear ≥ clearFor / resolve─► resolved
 *               resolved ─active again within reopenWindow─► open (same alert, "reopen")
 *               resolved ─quiet for reopenWindow─► closed (slot free for a new alert)
 *
 * Hysteresis (clear level), the minimum duration and the reopen window together are what make
 * a flapping signal one alert rather than one per crossing.
 */
import { createHash } from 'node:crypto';
import type { AlertRule, Severity, Transition } from '../config/alerts-schema.js';
import { formatDuration } from '../config/duration.js';
import type { Cadence } from './cadence.js';
import { describe } from './messages.js';

export type AlertState = 'open' | 'acknowledged' | 'resolved' | 'closed';

export interface AlertRecord {
  id: string;
  rule: string;
  asset: string;
  severity: Severity;
  state: AlertState;
  openedAt: number;
  /** Latest opening or re-opening: escalation counts from here. */
  openSince: number;
  updatedAt: number;
  /** History sequence number of the newest transition. */
  seq: number;
  /** Escalation levels passed so far. */
  escalation: number;
  reopens: number;
  ackBy: string | null;
  ackAt: number | null;
  ackNote: string | null;
  resolvedAt: number | null;
  resolvedBy: string | null;
  closedAt: number | null;
  value: number | null;
  message: string;
}

export interface SlotState {
  asset: string;
  active: boolean;
  /** Event time the current active or inactive phase began (null: never evaluated). */
  since: number | null;
  lastTs: number | null;
  value: number | null;
  /** Flatline: value the current flat run started with, and when. */
  flatValue: number | null;
  flatSince: number | null;
  lastViolation: number | null;
  violationRule: number | null;
  /** Interval the newest point carried in its body (e.g. rul_days {low, high}), for messages. */
  range: [number, number] | null;
  /** A human resolved the alert while the condition held: wait for it to clear before re-opening. */
  suppressed: boolean;
  alert: AlertRecord | null;
  /** Stale rules: how this series has been seen to report (cadence.ts). */
  cad?: Cadence;
  /**
   * Grouped rules (groupBy ≠ asset): the group key (`device:gw-1`, `machine:site/line/m-1`…,
   * alert ids hash it), the group's name for messages, and its members by series asset. A
   * member is a SlotState whose `alert` stays null.
   */
  group?: string;
  label?: string;
  members?: Record<string, SlotState>;
  /** Group, stale: stale limit of its fastest live member, and the earliest member deadline. */
  limit?: number;
  due?: number;
  /** Group, stale: when it last came back from a silence of the whole group. */
  back?: number;
  /**
   * Stale: watermark (less the usual lag) at which a backlog of this series was last read —
   * it is speaking again, though its readings are stamped in the past (cadence.ts).
   */
  heard?: number;
  /** Member, stale: reported silent on its own while its group kept reporting. */
  dead?: boolean;
  /** A member's own alert slot under a grouped stale rule: the key of the group that saw it. */
  inGroup?: string;
}

export interface TransitionEvent {
  transition: Transition;
  at: number;
  by: string;
  note: string | null;
  alert: AlertRecord;
  /** Extra channels of an escalation level. */
  channels: string[];
}

export type Report = (e: TransitionEvent) => void;

export function newSlot(asset: string): SlotState {
  return {
    asset,
    active: false,
    since: null,
    lastTs: null,
    value: null,
    flatValue: null,
    flatSince: null,
    lastViolation: null,
    violationRule: null,
    range: null,
    suppressed: false,
    alert: null,
  };
}

const RANK: Record<Severity, number> = { info: 0, warning: 1, critical: 2 };

/** Deterministic, so a replay re-creates the same ids and the outbox dedups by them. */
export function alertId(rule: string, asset: string, openedAt: number): string {
  return `al_${createHash('sha1').update(`${rule}\0${asset}\0${openedAt}`).digest('hex').slice(0, 16)}`;
}

export function setActive(slot: SlotState, active: boolean, t: number): void {
  if (slot.active === active && slot.since !== null) return;
  slot.active = active;
  slot.since = t;
}

/** What a stale limit counts from: the newest reading, or a backlog read since. */
export function heardAt(slot: SlotState, firstSeen: number): number {
  return Math.max(slot.lastTs ?? firstSeen, slot.heard ?? -Infinity);
}

/** A reading (or derived point) of the slot's signal at event time `ts`. */
export function observe(slot: SlotState, rule: AlertRule, ts: number, v: number): void {
  const c = rule.condition;
  slot.value = v;
  // A late point must not make the series look older than it is (stale).
  slot.lastTs = Math.max(slot.lastTs ?? ts, ts);
  switch (c.type) {
    case 'above':
      if (v >= c.threshold) setActive(slot, true, ts);
      else if (v < (c.clear ?? c.threshold)) setActive(slot, false, ts);
      else if (slot.since === null) setActive(slot, false, ts);
      break;
    case 'below':
      if (v <= c.threshold) setActive(slot, true, ts);
      else if (v > (c.clear ?? c.threshold)) setActive(slot, false, ts);
      else if (slot.since === null) setActive(slot, false, ts);
      break;
    case 'flag':
      setActive(slot, v >= 0.5, ts);
      break;
    case 'spc':
      if (!c.rules || c.rules.includes(v)) {
        slot.lastViolation = ts;
        slot.violationRule = v;
        setActive(slot, true, ts);
      }
      break;
    case 'stale':
      setActive(slot, false, ts);
      break;
    case 'flatline':
      if (slot.flatValue === null || Math.abs(v - slot.flatValue) > c.tolerance) {
        slot.flatValue = v;
        slot.flatSince = ts;
        setActive(slot, false, ts);
      } else if (ts - slot.flatSince! >= c.after) setActive(slot, true, ts);
      break;
  }
}

/**
 * Time-driven part at event time `t` (the watermark): staleness, SPC quiet periods, minimum
 * durations, resolving, closing and escalation.
 */
export function advance(
  slot: SlotState,
  rule: AlertRule,
  t: number,
  staleMs: number | undefined,
  firstSeen: number,
  report: Report,
): void {
  const c = rule.condition;
  if (c.type === 'stale' && staleMs !== undefined) {
    const base = heardAt(slot, firstSeen);
    if (!slot.active && t - base >= staleMs) setActive(slot, true, t);
  }
  settle(slot, rule, t);
  const a = slot.alert;
  if (slot.active) {
    const since = slot.since ?? t;
    if (!slot.suppressed && (!a || a.state === 'resolved') && t - since >= rule.for)
      open(slot, rule, t, report);
  } else {
    slot.suppressed = false;
    if (
      a &&
      (a.state === 'open' || a.state === 'acknowledged') &&
      t - (slot.since ?? t) >= rule.clearFor
    ) {
      transition(a, 'resolved', t, 'system', 'condition cleared', report);
    } else if (a && a.state === 'resolved' && t - (a.resolvedAt ?? t) >= rule.reopenWindow) {
      transition(a, 'closed', t, 'system', null, report);
      slot.alert = null;
    }
  }
  const cur = slot.alert;
  if (cur && cur.state === 'open') {
    while (
      cur.escalation < rule.escalate.length &&
      t - cur.openSince >= rule.escalate[cur.escalation]!.after
    ) {
      const level = rule.escalate[cur.escalation]!;
      cur.escalation++;
      if (level.severity && RANK[level.severity] > RANK[cur.severity])
        cur.severity = level.severity;
      transition(
        cur,
        'escalate',
        t,
        'system',
        `not acknowledged within ${formatDuration(level.after)}`,
        report,
        level.channels,
      );
    }
  }
}

/** Time-driven part of the condition itself: an SPC violation clears after its quiet period. */
export function settle(slot: SlotState, rule: AlertRule, t: number): void {
  const c = rule.condition;
  if (c.type === 'spc' && slot.active && slot.lastViolation !== null) {
    if (t - slot.lastViolation >= c.quiet) setActive(slot, false, t);
  }
}

/**
 * The next event time at which `advance` could change this slot without a new reading
 * (Number.MAX_SAFE_INTEGER: none). Used to skip idle evaluations; an early answer only costs
 * an extra pass, so it may be conservative.
 */
export function deadline(
  slot: SlotState,
  rule: AlertRule,
  staleMs: number | undefined,
  firstSeen: number,
): number {
  const c = rule.condition;
  const a = slot.alert;
  const due: number[] = [];
  if (c.type === 'stale' && staleMs !== undefined && !slot.active)
    due.push(heardAt(slot, firstSeen) + staleMs);
  if (c.type === 'spc' && slot.active && slot.lastViolation !== null)
    due.push(slot.lastViolation + c.quiet);
  if (slot.active && slot.since !== null && !slot.suppressed && (!a || a.state === 'resolved'))
    due.push(slot.since + rule.for);
  if (
    !slot.active &&
    slot.since !== null &&
    a &&
    (a.state === 'open' || a.state === 'acknowledged')
  )
    due.push(slot.since + rule.clearFor);
  if (!slot.active && a && a.state === 'resolved' && a.resolvedAt !== null)
    due.push(a.resolvedAt + rule.reopenWindow);
  if (a && a.state === 'open' && a.escalation < rule.escalate.length)
    due.push(a.openSince + rule.escalate[a.escalation]!.after);
  return due.length ? Math.min(...due) : Number.MAX_SAFE_INTEGER;
}

function open(slot: SlotState, rule: AlertRule, t: number, report: Report): void {
  const a = slot.alert;
  if (a) {
    a.reopens++;
    // A new episode: it needs a new acknowledgement (the old one stays in the history).
    Object.assign(a, { openSince: t, ackBy: null, ackAt: null, ackNote: null });
    a.resolvedAt = null;
    a.resolvedBy = null;
    a.value = slot.value;
    a.message = describe(rule, slot, a.asset);
    transition(a, 'reopen', t, 'system', null, report);
    return;
  }
  const asset = slot.asset;
  const rec: AlertRecord = {
    id: alertId(rule.id, slot.group ?? asset, t),
    rule: rule.id,
    asset,
    severity: rule.severity,
    state: 'open',
    openedAt: t,
    openSince: t,
    updatedAt: t,
    seq: 0,
    escalation: 0,
    reopens: 0,
    ackBy: null,
    ackAt: null,
    ackNote: null,
    resolvedAt: null,
    resolvedBy: null,
    closedAt: null,
    value: slot.value,
    message: describe(rule, slot, asset),
  };
  slot.alert = rec;
  transition(rec, 'open', t, 'system', null, report);
}

const STATE_AFTER: Record<Transition, AlertState | null> = {
  open: 'open',
  reopen: 'open',
  escalate: null,
  acknowledged: 'acknowledged',
  resolved: 'resolved',
  closed: 'closed',
};

function transition(
  a: AlertRecord,
  kind: Transition,
  t: number,
  by: string,
  note: string | null,
  report: Report,
  channels: string[] = [],
): void {
  a.state = STATE_AFTER[kind] ?? a.state;
  a.updatedAt = t;
  a.seq++;
  if (kind === 'acknowledged') Object.assign(a, { ackBy: by, ackAt: t, ackNote: note });
  if (kind === 'resolved') Object.assign(a, { resolvedAt: t, resolvedBy: by });
  if (kind === 'closed') a.closedAt = t;
  report({ transition: kind, at: t, by, note, alert: { ...a }, channels });
}

/** A human action read from the log. Returns why it was ignored, or null when applied. */
export function act(
  slot: SlotState,
  alertIdWanted: string,
  action: 'ack' | 'resolve',
  t: number,
  by: string,
  note: string | null,
  report: Report,
): string | null {
  const a = slot.alert;
  if (!a || a.id !== alertIdWanted) return 'the alert is closed';
  if (action === 'ack') {
    if (a.state !== 'open') return `the alert is ${a.state}`;
    transition(a, 'acknowledged', t, by, note, report);
    return null;
  }
  if (a.state === 'resolved') return 'the alert is already resolved';
  transition(a, 'resolved', t, by, note, report);
  slot.suppressed = slot.active;
  return null;
}
