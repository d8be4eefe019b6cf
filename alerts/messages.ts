/**
 * The generated one-line description of an alert, in the words a maintenance lead uses: the
 * machine tag and sensor, ISO zones by letter, a derived row's {low, high} interval, and for a
 * grouped rule the group's name with how many and which members (a capped list).
 */
import type { AlertRule } from '../config/alerts-schema.js';
import { formatDuration } from '../config/duration.js';
import type { SlotState } from './lifecycle.js';
import { assetLabel } from './rules.js';

const fmt = (v: number | null) =>
  v === null ? '–' : Number.isInteger(v) ? String(v) : v.toPrecision(4);

const ZONES = ['A', 'B', 'C', 'D'];

/** "ISO zone C (limit C)", "rul_days 12.40 ≤ 14": the reading in the words of its signal. */
function crossing(
  rule: AlertRule,
  v: number | null,
  range: [number, number] | null,
  op: string,
  limit: number,
): string {
  if (rule.signal === 'iso_zone' && v !== null) {
    const z = (x: number) => ZONES[Math.round(x) - 1] ?? fmt(x);
    return `ISO 10816 zone ${z(v)} (limit ${op} ${z(limit)})`;
  }
  const r = range ? ` (${fmt(range[0])}–${fmt(range[1])})` : '';
  return `${rule.signal} ${fmt(v)}${r} ${op} ${fmt(limit)}`;
}

/** The generated one-line description, e.g. "G-201 impeller-vibration: ISO 10816 zone C (limit ≥ C)". */
export function describe(rule: AlertRule, slot: SlotState, asset: string): string {
  if (slot.members) return describeGroup(rule, slot, asset);
  const who = assetLabel(asset);
  if (rule.message) return `${who}: ${rule.message}`;
  const c = rule.condition;
  switch (c.type) {
    case 'above':
      return `${who}: ${crossing(rule, slot.value, slot.range, '≥', c.threshold)}`;
    case 'below':
      return `${who}: ${crossing(rule, slot.value, slot.range, '≤', c.threshold)}`;
    case 'flag':
      return `${who}: ${rule.signal} on${rule.for ? ` for ${formatDuration(rule.for)}` : ''}`;
    case 'spc':
      return `${who}: SPC rule ${fmt(slot.violationRule)} violated`;
    case 'stale':
      return `${who}: no reading since ${slot.lastTs === null ? 'start' : new Date(slot.lastTs).toISOString()}`;
    case 'flatline':
      return `${who}: flat at ${fmt(slot.flatValue)} for ${formatDuration((slot.lastTs ?? 0) - (slot.flatSince ?? 0))}`;
  }
}

/** Members named in a message before "+N more". */
export const LISTED_MEMBERS = 5;

/** "cp-401/power" for a member of the group at "basel/coating". */
function memberName(groupAsset: string, member: string): string {
  return member.startsWith(`${groupAsset}/`) ? member.slice(groupAsset.length + 1) : member;
}

function capped(names: string[], sep = ', '): string {
  const more = names.length - LISTED_MEMBERS;
  return names.slice(0, LISTED_MEMBERS).join(sep) + (more > 0 ? ` +${more} more` : '');
}

/**
 * "gw-coating: silent, 23 sensors without a reading since 2026-…Z: cp-401/power, … +18 more",
 * or for other conditions "G-201: 2 of 9 series — G-201 impeller-vibration: ISO 10816 zone C…; …".
 */
function describeGroup(rule: AlertRule, g: SlotState, asset: string): string {
  const who = g.label ?? assetLabel(asset);
  const members = Object.entries(g.members!);
  if (rule.message) return `${who}: ${rule.message}`;
  if (rule.condition.type === 'stale') {
    const live = members.filter(([, m]) => !m.dead).map(([k]) => memberName(asset, k));
    const dead = members.length - live.length;
    const since = g.lastTs === null ? 'start' : new Date(g.lastTs).toISOString();
    const noun = live.length === 1 ? 'sensor' : 'sensors';
    return (
      `${who}: silent, ${live.length} ${noun} without a reading since ${since}: ${capped(live)}` +
      (dead > 0 ? ` (${dead} more already reported silent)` : '')
    );
  }
  const active = members.filter(([, m]) => m.active);
  const parts = active.map(([k, m]) => describe(rule, m, k));
  return `${who}: ${active.length} of ${members.length} series — ${capped(parts, '; ')}`;
}
