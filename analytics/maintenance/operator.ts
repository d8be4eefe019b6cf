/**
 * Predictive-maintenance wear indicators (issue 7) as an analytics operator on the log, on
 * event time (DESIGN C4). It reads vibration, waveform, power, state and speed readings and
 * writes the derived series of the maintenance contract (/work/BRIEF-SERIES.md):
 *
 * - per waveform block: `<sensor>:velocity_rms`, `accel_rms`, `crest_factor`, `kurtosis`,
 *   `bearing_energy` (features.ts), at the block's timestamp;
 * - per vibration sensor: `<sensor>:iso_zone` (1–4 = A–D) on change and every hour (iso.ts);
 * - per machine, every hour: `operating_hours`, `start_count` (usage.ts), `wear_index` and,
 *   when the trend supports one, `rul_days` with body {low, high, model, limit} (wear.ts, rul.ts);
 * - the machine summary row for the API (summary.ts).
 *
 * The watermark is the newest event time seen minus `maintenance.lateness`; an hour is closed
 * when the watermark passes its end, and readings for a closed hour are counted as late and
 * change nothing. Ticks happen inside the record loop, so outputs depend on the record
 * sequence only, not on how the runner cuts it into steps; a restart from a checkpoint
 * re-emits the same keyed rows.
 */
import type { PlantIndex } from '../../config/plant-index.js';
import { decodeWaveformBody } from '../../ingest/decode-waveform.js';
import type { Emitter, Operator } from '../operator.js';
import { defectFrequencies } from './bearing.js';
import { waveformFeatures } from './features.js';
import { zoneNumber, zoneOf, type Zone } from './iso.js';
import { buildMaintenanceModel, type MachinePlan } from './model.js';
import { DEFAULT_RUL, estimateRul } from './rul.js';
import type { MachineState, MaintenanceState } from './state.js';
import { MAINTENANCE_SCHEMA, wearMessage, writeSummaries, type MachineSummary } from './summary.js';
import { newUsage, newZoneTrack, onRunningReading, onZoneReading } from './usage.js';
import {
  finishLearning,
  HOUR,
  learn,
  MINUTE,
  newLearning,
  predict,
  trendLimit,
  wearIndex,
} from './wear.js';

export type { MaintenanceState } from './state.js';

const DAY = 86_400_000;
const BAD_QUALITY = 2;
/**
 * Minutes with a vibration value per running hour the primary sensor delivers at most (one per
 * minute, or one per waveform block). An hour becomes a trend point with at least a sixth of
 * them running (10 of 60 for a 1-minute transmitter, 1 of 6 for 10-minute waveform blocks),
 * and learning needs six hours' worth.
 */
const perHour = (plan: MachinePlan) =>
  Math.max(
    1,
    Math.min(60, Math.floor(HOUR / Math.max(MINUTE, plan.primary?.intervalMs ?? MINUTE))),
  );
const LEARNING_HOURS = 6;
/** Vibration above which a minute counts as running when the machine has no power sensor. */
const RUNNING_MM_S = 0.5;

const newMachine = (): MachineState => ({
  usage: newUsage(),
  learning: newLearning(),
  baseline: null,
  learnedAt: null,
  minutes: {},
  closedHour: null,
  trend: [],
  rpm: null,
  last: { ts: null, vibration: null, vRef: null, wear: null, rul: null, reason: null },
  lateReadings: 0,
});

export function maintenanceOperator(index: PlantIndex): Operator<MaintenanceState> {
  const model = buildMaintenanceModel(index);
  const { cfg } = model;
  const rulOpts = { ...DEFAULT_RUL, minPoints: cfg.minPoints };

  const machineOf = (st: MaintenanceState, plan: MachinePlan) =>
    (st.machines[plan.path] ??= newMachine());

  const addMinute = (m: MachineState, ts: number, slot: 0 | 2, v: number) => {
    const hour = Math.floor(ts / HOUR) * HOUR;
    if (m.closedHour !== null && hour <= m.closedHour) {
      m.lateReadings++;
      return;
    }
    const k = String(Math.floor(ts / MINUTE));
    const sums = (m.minutes[k] ??= [0, 0, 0, 0]);
    sums[slot] += v;
    sums[slot + 1]!++;
  };

  const zoneRow = (out: Emitter, sensor: string, ts: number, zone: Zone) =>
    out.emit({
      series: `${sensor}:iso_zone`,
      kind: 'iso_zone',
      unit: '1',
      ts,
      value: zoneNumber(zone),
    });

  /** Closes one hour of a machine: learning, or a trend point, wear index and RUL. */
  const closeHour = (plan: MachinePlan, m: MachineState, hour: number, out: Emitter) => {
    const end = hour + HOUR;
    const lo = hour / MINUTE;
    const onW = plan.powerOnW;
    const hasPower = onW !== undefined;
    let n = 0;
    let sumV = 0;
    let sumRatio = 0;
    for (let k = lo; k < lo + 60; k++) {
      const s = m.minutes[k];
      if (!s) continue;
      delete m.minutes[k];
      if (s[3] === 0) continue;
      const v = s[2] / s[3];
      const p = s[1] > 0 ? s[0] / s[1] : null;
      const running = onW !== undefined ? p !== null && p >= onW : v >= RUNNING_MM_S;
      if (!running) continue;
      n++;
      sumV += v;
      if (!m.baseline) {
        learn(m.learning, p ?? 0, v);
        m.learning.from ??= k * MINUTE;
      } else sumRatio += v / predict(m.baseline, p ?? 0);
    }
    m.closedHour = hour;
    if (!m.baseline) {
      m.learning.minutes += n;
      const l = m.learning;
      if (
        l.from !== null &&
        end - l.from >= cfg.learning &&
        l.minutes >= LEARNING_HOURS * perHour(plan)
      ) {
        m.baseline = finishLearning(l, hasPower);
        if (m.baseline) m.learnedAt = end;
      }
      if (n > 0) m.last = { ...m.last, ts: end, vibration: sumV / n };
      return;
    }
    if (n < Math.ceil(perHour(plan) / 6)) return;
    const base = m.baseline;
    const vRef = (sumRatio / n) * predict(base, base.pRef);
    m.trend.push([end, vRef]);
    // Counted in running hours, not calendar time: a weekend standstill must not empty the window.
    while (
      m.trend.length > cfg.trendPoints ||
      (m.trend.length && m.trend[0]![0] <= end - cfg.trendWindow)
    )
      m.trend.shift();
    const wear = wearIndex(plan.limit, base, vRef);
    const machine = plan.path;
    out.emit({
      series: `${machine}:wear_index`,
      kind: 'wear_index',
      unit: '1',
      ts: end,
      value: wear,
    });
    const limit = trendLimit(plan.limit, base);
    const res = estimateRul(
      m.trend.map(([t, y]) => [t / DAY, y] as const),
      limit,
      end / DAY,
      rulOpts,
    );
    m.last = {
      ts: end,
      vibration: sumV / n,
      vRef,
      wear,
      rul: res.ok ? res.estimate : null,
      reason: res.ok ? null : res.reason,
    };
    if (res.ok) {
      const e = res.estimate;
      out.emit({
        series: `${machine}:rul_days`,
        kind: 'rul_days',
        unit: 'd',
        ts: end,
        value: e.days,
        body: Buffer.from(
          JSON.stringify({
            low: e.low,
            high: Number.isFinite(e.high) ? e.high : null,
            model: e.model,
            limit,
            limitLabel: plan.limit.label,
          }),
        ),
      });
    }
  };

  const tick = (st: MaintenanceState, boundary: number, out: Emitter, touched: Set<string>) => {
    st.tick = boundary;
    for (const plan of model.machines.values()) {
      const m = st.machines[plan.path];
      if (!m) continue;
      const hours = new Set<number>();
      for (const k of Object.keys(m.minutes)) {
        const h = Math.floor((Number(k) * MINUTE) / HOUR) * HOUR;
        if (h + HOUR <= boundary) hours.add(h);
      }
      for (const h of [...hours].sort((a, b) => a - b)) closeHour(plan, m, h, out);
      m.closedHour = Math.max(m.closedHour ?? -Infinity, boundary - HOUR);
      if (m.usage.lastTs !== null) {
        out.emit({
          series: `${plan.path}:operating_hours`,
          kind: 'operating_hours',
          unit: 'h',
          ts: boundary,
          value: m.usage.operatingMs / HOUR,
        });
        out.emit({
          series: `${plan.path}:start_count`,
          kind: 'start_count',
          unit: '1',
          ts: boundary,
          value: m.usage.starts,
        });
      }
      touched.add(plan.path);
    }
    for (const [sensor, z] of Object.entries(st.zones))
      if (z.zone) zoneRow(out, sensor, boundary, z.zone);
  };

  return {
    name: 'maintenance',
    version: 1,
    schema: MAINTENANCE_SCHEMA,
    init: () => ({ maxTs: null, tick: null, machines: {}, zones: {}, features: {} }),
    snapshot: (s) => s,
    restore: (snap) => structuredClone(snap as MaintenanceState),
    apply(st, records, out, ctx) {
      const touched = new Set<string>();
      for (const r of records) {
        const s = ctx.seriesOf(r.series);
        if (!s || s.derived) continue;
        const machinePath = model.bySensor.get(s.key);
        if (!machinePath || r.quality >= BAD_QUALITY) continue;
        const plan = model.machines.get(machinePath)!;
        const m = machineOf(st, plan);
        touched.add(machinePath);
        onRecord(plan, m, st, s.key, s.kind, r.ts, r.value, r.body, out, addMinute, zoneRow);
        st.maxTs = Math.max(st.maxTs ?? r.ts, r.ts);
        const boundary = Math.floor((st.maxTs - cfg.lateness) / HOUR) * HOUR;
        if (st.tick === null) st.tick = boundary;
        else if (boundary > st.tick) tick(st, boundary, out, touched);
      }
      const rows = [...touched].sort().map((p) => summarise(model.machines.get(p)!, st));
      if (rows.length) out.write((db) => writeSummaries(db, rows));
    },
  };
}

type AddMinute = (m: MachineState, ts: number, slot: 0 | 2, v: number) => void;
type ZoneRow = (out: Emitter, sensor: string, ts: number, zone: Zone) => void;

function onRecord(
  plan: MachinePlan,
  m: MachineState,
  st: MaintenanceState,
  key: string,
  kind: string,
  ts: number,
  value: number | null,
  body: Buffer | null,
  out: Emitter,
  addMinute: AddMinute,
  zoneRow: ZoneRow,
): void {
  const run = plan.running;
  if (run && run.sensor === key && value !== null) {
    const interval = run.kind === 'state' ? plan.stateIntervalMs : run.intervalMs;
    onRunningReading(m.usage, run, ts, value, interval);
  }
  const running = m.usage.running === true;
  if (kind === 'power' && value !== null) addMinute(m, ts, 0, value);
  else if (kind === 'speed' && value !== null) m.rpm = [ts, value];
  else if (kind === 'vibration' && value !== null) {
    const z = (st.zones[key] ??= newZoneTrack());
    const info = plan.vibration.find((v) => v.path === key)!;
    if (onZoneReading(z, plan.limits, ts, value, running, info.intervalMs))
      zoneRow(out, key, ts, z.zone!);
    if (plan.primary?.path === key) addMinute(m, ts, 2, value);
  } else if (kind === 'waveform' && body) {
    const { rate, samples } = decodeWaveformBody(body);
    if (samples.length < 16) return;
    const shaftHz = shaftSpeedHz(plan, m, ts);
    const defects = plan.bearing && shaftHz ? defectFrequencies(plan.bearing, shaftHz) : undefined;
    const f = waveformFeatures(samples, rate, { defects });
    const emit = (suffix: string, unit: string, v: number) =>
      out.emit({ series: `${key}:${suffix}`, kind: suffix, unit, ts, value: v });
    emit('velocity_rms', 'mm/s', f.velocityRms);
    emit('accel_rms', 'm/s²', f.accelRms);
    emit('crest_factor', '1', f.crestFactor);
    emit('kurtosis', '1', f.kurtosis);
    if (f.bearingEnergy !== null) emit('bearing_energy', '1', f.bearingEnergy);
    st.features[key] = { ...f, ts };
    // One ISO verdict per machine's measurement: where a vibration transmitter is fitted it is
    // the ISO instrument, and the waveform's velocity stays a diagnostic (no second zone series
    // that could disagree with it and raise a second alert for the same bearing).
    if (plan.vibration.length === 0) {
      const z = (st.zones[key] ??= newZoneTrack());
      const info = plan.waveforms.find((w) => w.path === key)!;
      if (onZoneReading(z, plan.limits, ts, f.velocityRms, running, info.intervalMs))
        zoneRow(out, key, ts, z.zone!);
    }
    if (plan.primary?.path === key) addMinute(m, ts, 2, f.velocityRms);
  }
}

/** Shaft speed in Hz: fixed, or the machine's speed sensor if it spoke in the last 5 minutes. */
function shaftSpeedHz(plan: MachinePlan, m: MachineState, ts: number): number | undefined {
  if (!plan.shaft) return undefined;
  if ('rpm' in plan.shaft) return plan.shaft.rpm / 60;
  if (!m.rpm || Math.abs(ts - m.rpm[0]) > 5 * MINUTE || m.rpm[1] <= 0) return undefined;
  return m.rpm[1] / 60;
}

function summarise(plan: MachinePlan, st: MaintenanceState): MachineSummary {
  const m = st.machines[plan.path]!;
  const primary = plan.primary;
  const zone = m.last.vibration !== null ? zoneOf(m.last.vibration, plan.limits) : null;
  const hours = (ms: number) => ms / HOUR;
  const sensors = [...plan.vibration, ...plan.waveforms].map((s) => {
    const z = st.zones[s.path];
    const ms = z?.ms ?? [0, 0, 0, 0];
    return {
      sensor: s.path,
      kind: s.kind as 'vibration' | 'waveform',
      zone: z?.zone ?? null,
      hoursInZone: { A: hours(ms[0]), B: hours(ms[1]), C: hours(ms[2]), D: hours(ms[3]) },
      features: st.features[s.path] ?? null,
    };
  });
  const reason = !primary
    ? 'no vibration sensor: operating hours and starts only'
    : m.baseline
      ? m.last.reason
      : `learning the baseline (${m.learning.minutes} running minutes so far)`;
  const rul = m.last.rul;
  return {
    machine: plan.path,
    name: plan.name,
    asOf: m.last.ts,
    primarySensor: primary?.path ?? null,
    iso: {
      basis: plan.limits.basis,
      limits: { ab: plan.limits.ab, bc: plan.limits.bc, cd: plan.limits.cd },
      zone,
    },
    limit: plan.limit.label,
    vibrationMmS: m.last.vibration,
    loadNormalisedMmS: m.last.vRef,
    baseline: m.baseline ? { ...m.baseline, learnedAt: m.learnedAt! } : null,
    learning: m.baseline ? null : { runningMinutes: m.learning.minutes, since: m.learning.from },
    wearIndex: m.last.wear,
    rul: rul ? { ...rul, high: Number.isFinite(rul.high) ? rul.high : null } : null,
    rulReason: rul ? null : reason,
    operatingHours: hours(m.usage.operatingMs),
    starts: m.usage.starts,
    sensors,
    message: wearMessage(
      plan,
      primary?.config.name ?? primary?.sensor ?? null,
      m.last.vibration,
      m.last.vRef,
      zone,
      rul,
      reason,
    ),
  };
}
