/**
 * The per-machine summary the API serves (GET /api/v1/machines/:id/wear), kept in the
 * operator's own table `maintenance_machines` (one row per machine, replaced whole), and the
 * sentence a maintenance lead reads.
 */
import type Database from 'better-sqlite3';
import type { WaveformFeatures } from './features.js';
import type { Zone } from './iso.js';
import type { MachinePlan } from './model.js';
import type { RulEstimate } from './rul.js';
import type { Baseline } from './wear.js';

export const MAINTENANCE_SCHEMA = `
CREATE TABLE IF NOT EXISTS maintenance_machines (
  machine TEXT PRIMARY KEY,
  ts INTEGER NOT NULL,
  summary TEXT NOT NULL
);
`;

export interface SensorSummary {
  sensor: string;
  kind: 'vibration' | 'waveform';
  zone: Zone | null;
  /** Hours spent in zones A–D while the machine ran. */
  hoursInZone: { A: number; B: number; C: number; D: number };
  /** Latest waveform features (waveform sensors). */
  features: (WaveformFeatures & { ts: number }) | null;
}

export interface MachineSummary {
  machine: string;
  name: string;
  asOf: number | null;
  primarySensor: string | null;
  iso: { basis: string; limits: { ab: number; bc: number; cd: number }; zone: Zone | null };
  limit: string;
  /** Mean vibration of the primary sensor over the running minutes of the last complete hour. */
  vibrationMmS: number | null;
  /** The same, normalised to the reference load (the value the trend is fitted on). */
  loadNormalisedMmS: number | null;
  baseline: (Baseline & { learnedAt: number }) | null;
  learning: { runningMinutes: number; since: number | null } | null;
  wearIndex: number | null;
  rul: (Omit<RulEstimate, 'high'> & { high: number | null }) | null;
  rulReason: string | null;
  operatingHours: number;
  starts: number;
  sensors: SensorSummary[];
  message: string;
}

const f1 = (x: number) => (Math.abs(x) >= 10 ? x.toFixed(0) : x.toFixed(1));
/** Whole days; the interval bounds are rounded outwards (floor, ceil) so rounding never narrows it. */
const days = (x: number) => (x >= 100 ? f1(x) : x < 1 ? '< 1' : String(Math.round(x)));
const lowDays = (x: number) => (x >= 100 ? f1(x) : String(Math.floor(x)));
const highDays = (x: number) => (x >= 100 ? f1(x) : String(Math.max(1, Math.ceil(x))));

/**
 * "Granulator G-201 drive-end bearing: vibration 7.1 mm/s RMS, ISO 10816 zone C, rising
 * 0.2 mm/s per day; about 12 days to zone D (8–17)".
 */
export function wearMessage(
  plan: MachinePlan,
  primaryName: string | null,
  vib: number | null,
  vRef: number | null,
  zone: Zone | null,
  rul: RulEstimate | null,
  reason: string | null,
): string {
  const who = primaryName ? `${plan.name} ${primaryName}` : plan.name;
  if (vib === null) return `${who}: ${reason ?? 'no running hour measured yet'}`;
  // The trend is of the load-normalised value; say so when it differs visibly from the raw one.
  const ref =
    vRef !== null && Math.abs(vRef - vib) >= 0.05 ? ` (${vRef.toFixed(1)} at peak load)` : '';
  let s = `${who}: vibration ${vib.toFixed(1)} mm/s RMS${ref}, ISO 10816 zone ${zone ?? '?'}`;
  if (rul) {
    const rate = rul.ratePerDay >= 0.05 ? rul.ratePerDay.toFixed(1) : rul.ratePerDay.toPrecision(1);
    const hi = Number.isFinite(rul.high) ? highDays(rul.high) : 'open';
    s +=
      rul.days === 0
        ? `, rising ${rate} mm/s per day; at ${plan.limit.label} now`
        : `, rising ${rate} mm/s per day; about ${days(rul.days)} days to ${plan.limit.label} (${lowDays(rul.low)}–${hi})`;
  } else if (reason) s += `; no remaining-life estimate: ${reason}`;
  return s;
}

export function writeSummaries(db: Database.Database, rows: MachineSummary[]): void {
  const st = db.prepare(
    'INSERT OR REPLACE INTO maintenance_machines(machine, ts, summary) VALUES (?, ?, ?)',
  );
  for (const r of rows) st.run(r.machine, r.asOf ?? 0, JSON.stringify(r));
}

export function readSummary(db: Database.Database, machine: string): MachineSummary | undefined {
  let row: { summary: string } | undefined;
  try {
    row = db
      .prepare<[string], { summary: string }>(
        'SELECT summary FROM maintenance_machines WHERE machine = ?',
      )
      .get(machine);
  } catch {
    // The table appears when the operator first runs; before that there is nothing to read.
    return undefined;
  }
  return row ? (JSON.parse(row.summary) as MachineSummary) : undefined;
}
