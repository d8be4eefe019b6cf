/**
 * The anomaly operator: one detector (detector.ts) per scalar process sensor, fed from the log
 * in order on event time (DESIGN C3/C4), plus SPC rules for critical sensors (spc.ts).
 *
 * Derived series per sensor `P`:
 *  - `P:anomaly_score` (kind anomaly_score, unit 1): every reading is scored; readings scoring
 *    ≥ STORE_MIN_SCORE (and flag changes) are stored, body = explanation;
 *  - `P:anomaly_flag` (kind anomaly_flag): 1 when the flag turns on, 0 when it turns off;
 *  - `P:anomaly_gap` (kind anomaly_gap, ms): a dropout, at gapFactor intervals after the last
 *    reading before it, reported when the sensor speaks again;
 *  - `P:spc` (kind spc_violation, value = Western Electric / Nelson rule number).
 */
import { localParts } from '../../config/local-time.js';
import type { PlantIndex, SensorInfo } from '../../config/plant-index.js';
import type { Emitter, Operator } from '../operator.js';

type DerivedOut = Emitter;
import {
  changeAt,
  contextOfEvent,
  newLineContext,
  noteChange,
  type LineContext,
} from './batch-context.js';
import {
  CONTEXT_TOLERANCE,
  enterContext,
  explain,
  formatMs,
  newAssessment,
  newState,
  step,
  type Assessment,
  type DetectorState,
} from './detector.js';
import { DEFAULT_SETTINGS, resolveSettings, type DetectorSettings } from './settings.js';
import { newSpcState, spcStep, SPC_RULES, type SpcBaseline, type SpcState } from './spc.js';

export const SCORE_KIND = 'anomaly_score';
export const FLAG_KIND = 'anomaly_flag';
export const GAP_KIND = 'anomaly_gap';
export const SPC_KIND = 'spc_violation';
/**
 * Scores below this are not stored: a row per reading would double the log of 1 s sensors.
 * Every reading is still scored (state, flag); `plantpulse score` writes every score.
 */
export const STORE_MIN_SCORE = 0.5;

/** Scalar process values: not meters, discrete states or waveform blocks. */
export function scoredKind(kind: string): boolean {
  return !['energy', 'state', 'waveform'].includes(kind);
}

export interface AnomalyState {
  detectors: Record<string, DetectorState>;
  spc: Record<string, SpcState>;
  /** Batch context per line path (site/line). */
  lines: Record<string, LineContext>;
  /** Readings held back until `clock - contextLateness` passes them: [sensor path, ts, value]. */
  pending: [string, number, number][];
  head: number;
  /** Latest event time seen in the log (readings and batch events). */
  clock: number;
  /** Readings not scored because they were not newer than their sensor's last one. */
  stale?: number;
}

interface Plan {
  info: SensorInfo;
  line: string;
  settings: DetectorSettings;
  critical: boolean;
  spcBaseline: SpcBaseline;
  /** The site's UTC offset, cached per UTC hour (seasonal buckets are in site time). */
  tz: string;
  offsetHour: number;
  offsetMs: number;
}

/** Which sensors are scored, with what settings (from the plant model; not part of the state). */
export function planSensors(index: PlantIndex): Map<string, Plan> {
  const cfg = index.model.anomaly;
  const out = new Map<string, Plan>();
  if (!cfg.enabled) return out;
  for (const info of index.sensors) {
    const own = cfg.sensors[info.path];
    const enabled = own?.enabled ?? cfg.defaults.enabled ?? scoredKind(info.kind);
    if (!enabled || !scoredKind(info.kind)) continue;
    out.set(info.path, {
      info,
      line: info.path.split('/').slice(0, 2).join('/'),
      settings: resolveSettings(info.intervalMs, info.range, cfg.defaults, own),
      critical: info.config.critical,
      tz: index.model.sites.find((x) => x.id === info.site)?.timezone ?? 'UTC',
      offsetHour: NaN,
      offsetMs: 0,
      spcBaseline: spcBaselineOf(
        own?.spcBaselinePeriod ?? cfg.defaults.spcBaselinePeriod,
        own?.spcBaseline ?? cfg.defaults.spcBaseline ?? firstDayOf(info.intervalMs),
      ),
    });
  }
  return out;
}

const HOUR_MS = 3_600_000;

/** Offset of the zone's civil time from UTC at `ts` (DST-aware), in ms. */
function utcOffsetMs(ts: number, tz: string): number {
  const p = localParts(ts, tz);
  const local = Date.UTC(p.y, p.m - 1, p.d, p.h, p.mi, p.s);
  return local - Math.floor(ts / 1000) * 1000;
}

/**
 * Default SPC baseline without a configured period: the sensor's first day of readings (at least
 * DEFAULT_SETTINGS.spcBaseline), so the limits include a day's normal cycle. 500 readings of a
 * 5 s sensor are 42 minutes: limits that narrow flagged every room's daily swing (the demo
 * raised ~170 SPC alerts in two simulated days).
 */
function firstDayOf(intervalMs: number): number {
  return Math.max(DEFAULT_SETTINGS.spcBaseline, Math.ceil(86_400_000 / Math.max(1, intervalMs)));
}

function spcBaselineOf(
  period: { from: string; to: string } | undefined,
  count: number | undefined,
): SpcBaseline {
  const base: SpcBaseline = { count: count ?? DEFAULT_SETTINGS.spcBaseline };
  if (period) {
    base.fromMs = Date.parse(period.from);
    base.toMs = Date.parse(period.to);
  }
  return base;
}

const utf8 = (s: string) => Buffer.from(s, 'utf8');

export function anomalyOperator(index: PlantIndex): Operator<AnomalyState> {
  const plans = planSensors(index);
  const lateness = index.model.anomaly.contextLateness;
  const a = newAssessment();
  /** Scores held-back readings whose batch context can no longer change. */
  const release = (state: AnomalyState, out: DerivedOut) => {
    const q = state.pending;
    const horizon = state.clock - lateness;
    while (state.head < q.length && q[state.head]![1] <= horizon) {
      const [path, ts, value] = q[state.head++]!;
      const plan = plans.get(path);
      if (plan) scoreReading(state, plan, ts, value, out, a);
    }
    if (state.head >= 4096 && state.head * 2 >= q.length) {
      q.splice(0, state.head);
      state.head = 0;
    }
  };
  return {
    name: 'anomaly',
    // 2: batch context (phase profiles, settling, held-back readings) in the state.
    // 3: the default SPC baseline is the first day of readings.
    version: 3,
    init: () => ({
      detectors: {},
      spc: {},
      lines: {},
      pending: [],
      head: 0,
      clock: Number.MIN_SAFE_INTEGER,
    }),
    apply(state, records, out, ctx) {
      for (const r of records) {
        const series = ctx.seriesOf(r.series);
        if (!series) continue;
        if (series.kind === 'batch_event') {
          const line = series.key.slice(0, series.key.lastIndexOf('/'));
          const lc = (state.lines[line] ??= newLineContext());
          const c = contextOfEvent(lc, r.body);
          if (c !== undefined) noteChange(lc, r.ts, c);
        } else {
          const plan = plans.get(series.key);
          if (!plan || r.value === null) continue;
          // Readings of a line that reports batch phases wait until the events that govern them
          // can have arrived: the MES and the sensor gateways are separate paths into the log.
          if (state.lines[plan.line] && lateness > 0)
            state.pending.push([plan.info.path, r.ts, r.value]);
          else scoreReading(state, plan, r.ts, r.value, out, a);
        }
        if (r.ts > state.clock) {
          state.clock = r.ts;
          release(state, out);
        }
      }
    },
    snapshot: (state) => structuredClone(state),
    restore: (snap) => structuredClone(snap as AnomalyState),
  };
}

function scoreReading(
  state: AnomalyState,
  plan: Plan,
  ts: number,
  value: number,
  out: DerivedOut,
  a: Assessment,
): void {
  const path = plan.info.path;
  const st = (state.detectors[path] ??= newState(plan.settings));
  // A duplicate or a reading older than the last one scored (a resend, a message overtaken, a
  // gateway's late backlog) is stored but not scored: the detector's state is a function of the
  // sensor's stream in event-time order, and a stale reading must not move it backwards.
  if (st.n > 0 && ts <= st.lastTs) {
    state.stale = (state.stale ?? 0) + 1;
    return;
  }
  const lc = state.lines[plan.line];
  const change = lc ? changeAt(lc, ts + CONTEXT_TOLERANCE) : undefined;
  if (change && (change[1] !== st.ctx || change[0] > st.ctxTs))
    enterContext(st, change[1], change[0]);
  const prevTs = st.lastTs;
  const hour = Math.floor(ts / HOUR_MS);
  if (hour !== plan.offsetHour) {
    plan.offsetHour = hour;
    plan.offsetMs = utcOffsetMs(ts, plan.tz);
  }
  step(st, plan.settings, ts, value, a, undefined, plan.offsetMs);
  if (a.gapMs > 0) {
    out.emit({
      series: `${path}:anomaly_gap`,
      kind: GAP_KIND,
      unit: 'ms',
      ts: prevTs + plan.settings.gapFactor * st.dt,
      value: a.gapMs,
      body: utf8(
        `dropout: no readings for ${formatMs(a.gapMs)} (expected every ${formatMs(st.dt)})`,
      ),
    });
  }
  const notable = a.score >= STORE_MIN_SCORE;
  const why = notable || a.changed ? explain(a, st) : null;
  if (notable || a.changed) {
    out.emit({
      series: `${path}:anomaly_score`,
      kind: SCORE_KIND,
      unit: '1',
      ts: ts,
      value: a.score,
      body: why ? utf8(why) : null,
    });
  }
  if (a.changed) {
    out.emit({
      series: `${path}:anomaly_flag`,
      kind: FLAG_KIND,
      unit: '1',
      ts: ts,
      value: a.flag ? 1 : 0,
      body: utf8(a.flag ? (why ?? '') : 'back within the usual range'),
    });
  }
  if (plan.critical) {
    const sp = (state.spc[path] ??= newSpcState());
    const rules = spcStep(sp, plan.spcBaseline, ts, value);
    if (rules.length > 0) {
      // One row per reading (the log's key is series + time): the most severe rule is the
      // value, every rule the reading completes is in the text.
      const also = rules.length > 1 ? `; also rules ${rules.slice(1).join(', ')}` : '';
      out.emit({
        series: `${path}:spc`,
        kind: SPC_KIND,
        unit: '1',
        ts: ts,
        value: rules[0]!,
        body: utf8(`${SPC_RULES[rules[0]!]!}${also}`),
      });
    }
  }
}
