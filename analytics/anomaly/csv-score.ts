/**
 * Backtesting through the detector: `timestamp,value` CSV in, `timestamp,value,anomaly_score`
 * out (the NAB results format), one output row per input row. Used by `plantpulse score` and
 * `npm run eval:nab`; the detector is the one the operator runs.
 */
import { newAssessment, newState, step, type Ablation } from './detector.js';
import { DEFAULT_SETTINGS, type DetectorSettings } from './settings.js';

export interface ScoredRow {
  timestamp: string;
  value: string;
  score: number;
  flag: boolean;
}

/** Epoch ms, RFC 3339, or "YYYY-MM-DD HH:MM:SS" (read as UTC, the NAB convention). */
export function parseTimestamp(text: string): number {
  const t = text.trim();
  if (/^-?\d+$/.test(t)) return Number(t);
  const iso = /[zZ]|[+-]\d{2}:\d{2}$/.test(t) ? t : `${t.replace(' ', 'T')}Z`;
  return Date.parse(iso);
}

export class CsvFormatError extends Error {}

/** Scores CSV text; `settings` defaults to the shared configuration (no per-file tuning). */
export function scoreCsv(
  text: string,
  settings: DetectorSettings = DEFAULT_SETTINGS,
  ablation?: Ablation,
): ScoredRow[] {
  const lines = text.split(/\r?\n/);
  const header = (lines[0] ?? '').split(',').map((h) => h.trim().toLowerCase());
  const ti = header.indexOf('timestamp');
  const vi = header.indexOf('value');
  if (ti < 0 || vi < 0)
    throw new CsvFormatError(`line 1: expected a header with "timestamp" and "value" columns`);
  const st = newState(settings);
  const a = newAssessment();
  const out: ScoredRow[] = [];
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.trim() === '') continue;
    const cols = line.split(',');
    const timestamp = cols[ti]?.trim() ?? '';
    const value = cols[vi]?.trim() ?? '';
    const ts = parseTimestamp(timestamp);
    const x = Number(value);
    if (!Number.isFinite(ts))
      throw new CsvFormatError(`line ${i + 1}: bad timestamp "${timestamp}"`);
    if (value === '' || !Number.isFinite(x)) {
      out.push({ timestamp, value, score: 0, flag: st.flag });
      continue;
    }
    step(st, settings, ts, x, a, ablation);
    out.push({ timestamp, value, score: a.score, flag: a.flag });
  }
  return out;
}

export function formatScores(rows: ScoredRow[]): string {
  const body = rows.map((r) => `${r.timestamp},${r.value},${round(r.score)}`);
  return `timestamp,value,anomaly_score\n${body.join('\n')}\n`;
}

function round(x: number): string {
  return x === 0 ? '0' : x.toPrecision(6);
}
