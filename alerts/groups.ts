/**
 * Alert grouping (`groupBy: machine | line | device`): one alert per (rule, group) instead of
 * one per series, so a gateway that drops off the network pages once, not once per sensor.
 *
 * A group slot is a lifecycle slot (lifecycle.ts) whose members are the series of the group.
 *
 * - Conditions other than stale: the group's condition holds while **any** member's does; the
 *   message names how many and which (capped list).
 * - Stale: the group alert means **the whole group is silent**: no member has reported for the
 *   stale limit of its fastest live member. Not "every member past its own limit", which would
 *   wait for the slowest (a 10-minute waveform: 5 hours) while the 1-second sensors page one by
 *   one. A member silent on its own is reported as its own alert (keyed by its series, like
 *   groupBy asset) — but only once the group has reported *after* that member's limit passed:
 *   proof that the group is alive and the member is not. During a whole-group outage nothing
 *   reports, so no member alert can open; when the group comes back every member that still
 *   says nothing is reported on its own.
 *
 * Pure functions on the operator's state; time is event time.
 */
import type { AlertRule } from '../config/alerts-schema.js';
import type { PlantIndex } from '../config/plant-index.js';
import { finer, learn, newCadence } from './cadence.js';
import { heardAt, newSlot, observe, setActive, settle, type SlotState } from './lifecycle.js';
import { assetLabel, staleAfter } from './rules.js';

export interface Group {
  /** Slot key part and alert id input: `device:gw-1`, `machine:site/line/m-1`, `line:site/line`. */
  key: string;
  /** Asset path the alert carries (API filters, MQTT topic, alert_state series): the group's path. */
  asset: string;
  label: string;
}

/**
 * Which group a series asset belongs to under `rule` (null: its own slot — groupBy asset, or an
 * asset the grouping does not cover, such as a machine-level derived series under `device`).
 */
export function grouper(rule: AlertRule, index: PlantIndex): (asset: string) => Group | null {
  const by = rule.groupBy;
  if (by === 'asset') return () => null;
  const cache = new Map<string, Group | null>();
  const devices = by === 'device' ? deviceGroups(index) : undefined;
  return (asset) => {
    let g = cache.get(asset);
    if (g !== undefined) return g;
    const parts = asset.split('/');
    if (by === 'device') {
      const id = index.sensorByPath.get(asset)?.device;
      g = id ? (devices!.get(id) ?? null) : null;
    } else {
      const n = by === 'machine' ? 3 : 2;
      const path = parts.slice(0, n).join('/');
      g = parts.length < n ? null : { key: `${by}:${path}`, asset: path, label: labelOf(by, path) };
    }
    cache.set(asset, g);
    return g;
  };
}

function labelOf(by: 'machine' | 'line', path: string): string {
  return by === 'machine' ? assetLabel(path) : `line ${path}`;
}

/** A device's group: its id as the name, the common path of the sensors it publishes as the asset. */
function deviceGroups(index: PlantIndex): Map<string, Group> {
  const paths = new Map<string, string[]>();
  for (const s of index.sensors) {
    if (!s.device) continue;
    const p = s.path.split('/');
    const cur = paths.get(s.device);
    if (!cur) paths.set(s.device, p);
    else {
      let i = 0;
      while (i < cur.length && i < p.length && cur[i] === p[i]) i++;
      cur.length = i;
    }
  }
  return new Map(
    [...paths].map(([id, p]) => [id, { key: `device:${id}`, asset: p.join('/') || id, label: id }]),
  );
}

export function newGroupSlot(g: Group): SlotState {
  return { ...newSlot(g.asset), group: g.key, label: g.label, members: {} };
}

/** Non-stale conditions: a member's point, and the group's condition = any member's. */
export function observeMember(
  g: SlotState,
  rule: AlertRule,
  asset: string,
  ts: number,
  v: number,
  range: [number, number] | null,
): void {
  const m = (g.members![asset] ??= newSlot(asset));
  const was = m.active;
  m.range = range;
  observe(m, rule, ts, v);
  g.lastTs = Math.max(g.lastTs ?? ts, ts);
  g.value = v;
  if (m.active !== was || g.since === null) setActive(g, anyActive(g), ts);
}

/** Non-stale conditions at event time `t`: members' SPC quiet periods, then the group's condition. */
export function settleMembers(g: SlotState, rule: AlertRule, t: number): void {
  let changed = false;
  for (const m of Object.values(g.members!)) {
    const was = m.active;
    settle(m, rule, t);
    changed ||= m.active !== was;
  }
  if (changed) setActive(g, anyActive(g), t);
}

/** Earliest member SPC quiet-period end (Number.MAX_SAFE_INTEGER: none). */
export function membersDeadline(g: SlotState, rule: AlertRule): number {
  const c = rule.condition;
  let due = Number.MAX_SAFE_INTEGER;
  if (c.type !== 'spc') return due;
  for (const m of Object.values(g.members!))
    if (m.active && m.lastViolation !== null) due = Math.min(due, m.lastViolation + c.quiet);
  return due;
}

function anyActive(g: SlotState): boolean {
  for (const m of Object.values(g.members!)) if (m.active) return true;
  return false;
}

export interface StaleContext {
  rule: AlertRule;
  index: PlantIndex;
  /** Event time of the first record: the base of members that never reported. */
  firstSeen: number;
  /** Finest spacing seen on any series (cadence.ts); a reading may refine it. */
  grid: number | null;
}

/** A member known before it reports (`fromStart`). */
export function addMember(g: SlotState, asset: string): void {
  g.members![asset] ??= { ...newSlot(asset), cad: newCadence() };
}

/**
 * Stale rule: a member's reading at `ts`, read at watermark `watermark`. Returns whether the
 * member had been reported silent on its own (its alert can clear), whether the reading came in
 * a backlog, and the members now found silent on their own (their alerts open).
 */
export function staleReading(
  g: SlotState,
  cx: StaleContext,
  asset: string,
  ts: number,
  v: number,
  watermark: number,
): { revived: boolean; backlog: boolean; silent: SlotState[] } {
  const { rule, index } = cx;
  const isNew = !g.members![asset];
  const m = (g.members![asset] ??= { ...newSlot(asset), cad: newCadence() });
  const before = staleAfter(rule, index, asset, m.cad, cx.grid);
  const { spacing, lag } = m.cad!;
  const grid = cx.grid;
  const backlog = learn(m.cad!, ts, m.lastTs, watermark, m.lastTs === null ? undefined : before);
  cx.grid = finer(cx.grid, m.cad!);
  if (backlog) m.heard = g.heard = watermark - m.cad!.lag;
  const revived = m.dead === true;
  m.dead = false;
  // Back from a silence of the whole group: its members get their own limit from now on before
  // one of them counts as silent on its own (they report one after the other as it comes back).
  const back = g.active || (g.lastTs !== null && g.limit !== undefined && ts - g.lastTs >= g.limit);
  if (back) g.back = backlog ? watermark : ts;
  observe(m, rule, ts, v);
  observe(g, rule, ts, v);
  if (
    isNew ||
    revived ||
    back ||
    g.limit === undefined ||
    // A new spacing or lag peak; a lag that only decays is picked up at the next recompute.
    m.cad!.spacing !== spacing ||
    m.cad!.lag > lag ||
    cx.grid !== grid
  )
    refreshGroup(g, cx);
  const silent: SlotState[] = [];
  const L = g.lastTs!;
  if (g.due! <= L) {
    // The group has spoken after these members' limits: they are silent on their own.
    for (const x of Object.values(g.members!)) {
      if (x.dead) continue;
      const limit = staleAfter(rule, index, x.asset, x.cad, cx.grid)!;
      if (since(g, x, cx) + limit <= L) {
        x.dead = true;
        silent.push(x);
      }
    }
    refreshGroup(g, cx);
  }
  return { revived, backlog, silent };
}

/** Since when a member's silence is its own: its last reading, or the group's return after a silence. */
function since(g: SlotState, m: SlotState, cx: StaleContext): number {
  return Math.max(heardAt(m, cx.firstSeen), g.back ?? -Infinity);
}

/** Recomputes the group's stale limit (fastest live member) and earliest member deadline. */
export function refreshGroup(g: SlotState, cx: StaleContext): void {
  let limit = Infinity;
  let anyLimit = Infinity;
  let due = Infinity;
  for (const m of Object.values(g.members!)) {
    const l = staleAfter(cx.rule, cx.index, m.asset, m.cad, cx.grid)!;
    anyLimit = Math.min(anyLimit, l);
    if (m.dead) continue;
    limit = Math.min(limit, l);
    due = Math.min(due, since(g, m, cx) + l);
  }
  // Every member silent on its own (then the group is silent too, by the same measure).
  g.limit = Number.isFinite(limit) ? limit : anyLimit;
  g.due = Number.isFinite(due) ? due : Number.MAX_SAFE_INTEGER;
}
