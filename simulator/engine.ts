/**
 * The simulator engine: plans a plant run from the plant model and a seed (schedule, signals,
 * degradations, anomalies, faults), then yields the MQTT messages the plant's devices would
 * publish, in event-time order, as a deterministic iterator. Publishing is separate
 * (publisher.ts), so "same seed → byte-identical stream" is testable without a broker.
 *
 * Ordering: sensors are grouped by sampling interval; each group produces windows of `batch`
 * readings per sensor. Windows of all groups, batch events and malformed messages are merged
 * by start time; transport faults are applied last, on the ordered stream.
 */
import type { PlantIndex } from '../config/plant-index.js';
import { anomalyEligible, planAnomalies, type AnomalyWindow } from './faults/anomalies.js';
import { planMalformed, type MalformedMessage } from './faults/malformed.js';
import { applyTransport, type TransportPlan, type TransportStats } from './faults/transport.js';
import { Rng } from './prng.js';
import { buildProfiles, type LineProfile } from './profiles.js';
import { planSchedule, type LineSchedule } from './schedule.js';
import { readingAt, buildSource, type SensorSource } from './sensors.js';
import { EnergyCounter } from './signals/counter.js';
import { WMS_PER_KWH } from './signals/piecewise.js';
import { buildMachineSignal, type MachineSignal } from './signals/power.js';
import type { Degradation } from './signals/vibration.js';
import type { SimEvent, SimMessage } from './stream.js';

const MIN = 60_000;
const DAY = 86_400_000;

export interface SimOptions {
  from: number;
  to: number;
  seed: number;
  /** No scalar sensor is sampled faster than this (0 = native intervals). */
  resolutionMs?: number;
  /** Readings per message (1 = one JSON object per message; more = JSON arrays). */
  batch?: number;
  waveformSamples?: number;
  /** Number of anomaly windows (default: 5 per simulated week, at least 5). */
  anomalies?: number;
  /** Deliberately malformed messages (default 10: one of each kind). */
  malformed?: number;
  /** Duplicates, reordering, an offline gateway and a clock-skewed device (default on). */
  transportFaults?: boolean;
  /** Where the gateway outage starts (fraction of the run) and how long it lasts. */
  offline?: { startFrac: number; durationMs: number };
  /** A meter reset and a register rollover (default on). */
  counterFaults?: boolean;
  /** Meter registers (kWh) at `from`, by sensor path: continues the meters of an earlier run. */
  initialMeters?: Record<string, number>;
  /** Machines degrading toward a bearing failure (default 1, or 2 in plants with ≥ 5 vibration-monitored machines). */
  degrading?: number;
}

export interface StreamStats {
  messages: number;
  readingMessages: number;
  /** Readings published in reading and waveform messages, duplicates included. */
  readings: number;
  waveformBlocks: number;
  batchEvents: number;
  malformedMessages: number;
  duplicateMessages: number;
  duplicateReadings: number;
  reordered: number;
  offlineHeld: number;
  /** Rows the log should hold afterwards: unique readings plus batch events. */
  expectedStored: number;
}

export class Simulation {
  readonly from: number;
  readonly to: number;
  readonly seed: number;
  readonly batch: number;
  readonly resolutionMs: number;
  readonly lines: LineProfile[];
  readonly schedules: LineSchedule[];
  readonly machines = new Map<string, MachineSignal>();
  readonly counters: EnergyCounter[] = [];
  readonly degradations: Degradation[] = [];
  readonly anomalies: AnomalyWindow[];
  readonly malformed: MalformedMessage[];
  readonly transport: TransportPlan;
  readonly sources: SensorSource[] = [];
  /** Topics nobody may publish (no device prefix and no anonymous access): left out. */
  readonly unpublishable: string[] = [];
  private stats: StreamStats | undefined;

  constructor(
    readonly index: PlantIndex,
    readonly opts: SimOptions,
  ) {
    if (!(opts.to > opts.from))
      throw new Error(
        `simulation end (${new Date(opts.to).toISOString()}) must be after its start (${new Date(opts.from).toISOString()})`,
      );
    this.from = opts.from;
    this.to = opts.to;
    this.seed = opts.seed >>> 0;
    this.batch = Math.max(1, Math.floor(opts.batch ?? 1));
    this.resolutionMs = opts.resolutionMs ?? 0;
    const rng = new Rng(this.seed);
    const anonymous = index.model.mqtt.allowAnonymous;
    const span = this.to - this.from;

    this.lines = buildProfiles(index);
    const schedRng = rng.fork('schedule');
    this.schedules = this.lines.map((l) =>
      planSchedule(l, this.from, this.to, schedRng.fork(l.key)),
    );
    for (const sched of this.schedules) {
      for (const m of sched.line.machines)
        this.machines.set(m.key, buildMachineSignal(m, sched, this.from, this.to, this.seed));
    }

    // Degrading machines: among those with vibration sensors, waveform-monitored ones first.
    const degRng = rng.fork('degradation');
    const vibMachines = [...this.machines.values()].filter((m) =>
      m.profile.sensors.some((s) => s.kind === 'vibration' || s.kind === 'waveform'),
    );
    const nDeg = Math.min(vibMachines.length, opts.degrading ?? (vibMachines.length >= 5 ? 2 : 1));
    const pool = [...vibMachines].sort((a, b) => Number(hasWave(b)) - Number(hasWave(a)));
    for (let i = 0; i < nDeg; i++) {
      const m = i === 0 ? pool.shift()! : pool.splice(degRng.int(0, pool.length - 1), 1)[0]!;
      this.degradations.push({
        machine: m.profile.key,
        sensors: m.profile.sensors
          .filter((s) => s.kind === 'vibration' || s.kind === 'waveform')
          .map((s) => s.path),
        onset: floorMin(this.from + span * degRng.uniform(0.15, 0.35)),
        failure: floorMin(this.from + span * degRng.uniform(0.8, 0.95)),
      });
    }

    // Meters: one rolls over about mid-run, another is reset (exchanged) at 60 % of the run.
    const ctrRng = rng.fork('counters');
    const meters = index.sensors.filter((s) => s.kind === 'energy');
    const faults = opts.counterFaults ?? true;
    const rollSensor = faults ? meters.find((s) => s.rollover !== undefined) : undefined;
    const resetSensor = faults
      ? meters.find((s) => s !== rollSensor && s.machine !== rollSensor?.machine)
      : undefined;
    for (const s of meters) {
      const m = this.machines.get(`${s.site}/${s.line}/${s.machine}`)!;
      let initial = Math.round(ctrRng.uniform(1_000, 50_000) * 10) / 10;
      if (s === rollSensor)
        initial = s.rollover! - (0.5 * m.power.integrate(this.from, this.to)) / WMS_PER_KWH;
      const carried = opts.initialMeters?.[s.path];
      if (carried !== undefined) initial = carried;
      if (s.rollover !== undefined && initial >= s.rollover) initial = initial % s.rollover;
      const resetAt = s === resetSensor ? floorMin(this.from + span * 0.6) : undefined;
      this.counters.push(new EnergyCounter(s, m.power, this.from, this.to, initial, resetAt));
    }

    const transportOn = opts.transportFaults ?? true;
    const devices = [
      ...new Set(index.sensors.map((s) => s.device).filter((d): d is string => !!d)),
    ];
    const trRng = rng.fork('transport');
    const offlineDev = transportOn && devices.length > 0 ? trRng.pick(devices) : undefined;
    const skewPool = devices.filter((d) => d !== offlineDev);
    const skewDev = transportOn && skewPool.length > 0 ? trRng.pick(skewPool) : undefined;
    const off = opts.offline ?? {
      startFrac: 0.45,
      durationMs: Math.min(2 * 3_600_000, Math.max(2 * MIN, span * 0.02)),
    };
    const offStart = floorMin(this.from + span * off.startFrac);
    this.transport = {
      duplicateRate: transportOn ? 0.002 : 0,
      reorderRate: transportOn ? 0.002 : 0,
      offline: offlineDev
        ? { device: offlineDev, start: offStart, end: Math.min(this.to, offStart + off.durationMs) }
        : undefined,
      clockSkew: skewDev ? { device: skewDev, offsetMs: -90_000 } : undefined,
    };

    const counterBySensor = new Map(this.counters.map((c) => [c.sensor.path, c]));
    const degBySensor = new Map(
      this.degradations.flatMap((d) => d.sensors.map((s) => [s, d] as const)),
    );
    for (const s of index.sensors) {
      if (!s.device && !anonymous) {
        this.unpublishable.push(s.topic);
        continue;
      }
      const interval =
        s.kind === 'waveform' ? s.intervalMs : Math.max(s.intervalMs, this.resolutionMs);
      const minTs = Math.max(index.earliestMs, s.sinceMs ?? 0);
      const src = buildSource(s, interval, minTs, {
        machine: this.machines.get(`${s.site}/${s.line}/${s.machine}`)!,
        counter: counterBySensor.get(s.path),
        degradation: degBySensor.get(s.path),
        seed: this.seed,
        from: this.from,
        waveformSamples: opts.waveformSamples ?? 1024,
      });
      if (this.transport.clockSkew && s.device === this.transport.clockSkew.device)
        src.skewMs = this.transport.clockSkew.offsetMs;
      this.sources.push(src);
    }
    for (const l of this.lines)
      if (l.production && !l.device && !anonymous) this.unpublishable.push(l.batchTopic);

    const nAnom = opts.anomalies ?? Math.min(50, Math.max(5, 5 * Math.ceil(span / (7 * DAY))));
    this.anomalies = planAnomalies(
      this.sources
        .filter((s) => anomalyEligible(s.info))
        .map((s) => ({ info: s.info, intervalMs: s.intervalMs })),
      this.from,
      this.to,
      nAnom,
      rng.fork('anomalies'),
    );
    for (const w of this.anomalies)
      this.sources.find((s) => s.info.path === w.sensor)!.anomalies.push(w);
    this.malformed = planMalformed(
      this.sources.map((s) => s.info),
      index.model.mqtt.topicTemplate,
      this.from,
      this.to,
      opts.malformed ?? 10,
      rng.fork('malformed'),
    );
  }

  /** Stream statistics; available once `events()` has been consumed to the end. */
  get streamStats(): StreamStats | undefined {
    return this.stats;
  }

  /** The published stream. Single use: signal state (control loops) advances as it is read. */
  *events(): Generator<SimEvent> {
    const st: StreamStats = {
      messages: 0,
      readingMessages: 0,
      readings: 0,
      waveformBlocks: 0,
      batchEvents: 0,
      malformedMessages: 0,
      duplicateMessages: 0,
      duplicateReadings: 0,
      reordered: 0,
      offlineHeld: 0,
      expectedStored: 0,
    };
    const ts: TransportStats = {
      duplicateMessages: 0,
      duplicateReadings: 0,
      reordered: 0,
      offlineHeld: 0,
    };
    for (const e of applyTransport(
      this.cleanStream(),
      this.transport,
      new Rng(this.seed).fork('transport-stream'),
      ts,
    )) {
      if (e.type === 'message') {
        st.messages++;
        if (e.class === 'reading' || e.class === 'waveform') {
          st.readingMessages++;
          st.readings += e.readings;
          if (e.class === 'waveform') st.waveformBlocks++;
        } else if (e.class === 'batch') st.batchEvents++;
        else st.malformedMessages++;
      }
      yield e;
    }
    Object.assign(st, ts);
    st.expectedStored = st.readings - st.duplicateReadings + st.batchEvents;
    this.stats = st;
  }

  private *cleanStream(): Generator<SimMessage> {
    // Groups of sources sharing an interval; a window holds `batch` readings of each (one block for waveforms).
    const byInterval = new Map<string, SensorSource[]>();
    for (const s of this.sources) {
      const k = `${s.waveform ? 'w' : 's'}${s.intervalMs}`;
      byInterval.set(k, [...(byInterval.get(k) ?? []), s]);
    }
    const groups = [...byInterval.values()].map((sources) => {
      const interval = sources[0]!.intervalMs;
      const width = sources[0]!.waveform ? interval : interval * this.batch;
      return { sources, interval, width, ws: Math.ceil(this.from / interval) * interval };
    });
    const batchMsgs = this.batchEventMessages();
    const bad: SimMessage[] = this.malformed.map((m) => ({
      type: 'message',
      topic: m.topic,
      device: m.device,
      payload: m.payload,
      at: m.at,
      readings: 0,
      class: 'malformed',
    }));
    let bi = 0;
    let mi = 0;
    for (;;) {
      let g: (typeof groups)[number] | undefined;
      for (const x of groups) if (x.ws < this.to && (!g || x.ws < g.ws)) g = x;
      const tb = batchMsgs[bi]?.at ?? Infinity;
      const tm = bad[mi]?.at ?? Infinity;
      const tg = g?.ws ?? Infinity;
      if (tb === Infinity && tm === Infinity && tg === Infinity) return;
      if (tb <= tm && tb <= tg) yield batchMsgs[bi++]!;
      else if (tm <= tg) yield bad[mi++]!;
      else {
        const end = Math.min(g!.ws + g!.width, this.to);
        for (const src of g!.sources) {
          const m = this.window(src, g!.ws, end);
          if (m) yield m;
        }
        g!.ws += g!.width;
      }
    }
  }

  private window(src: SensorSource, start: number, end: number): SimMessage | undefined {
    const info = src.info;
    if (src.waveform) {
      if (start < src.minTs) return undefined;
      const w = src.waveform(start);
      const ts = start + src.skewMs;
      return {
        type: 'message',
        topic: info.topic,
        device: src.device,
        payload: `{"ts":${ts},"rate":${w.rate},"samples":[${w.samples.join(',')}]}`,
        at: ts,
        readings: 1,
        class: 'waveform',
      };
    }
    const parts: string[] = [];
    let at = 0;
    for (let t = start; t < end; t += src.intervalMs) {
      if (t < src.minTs) continue;
      const v = readingAt(src, t);
      if (v === undefined) continue;
      at = t + src.skewMs;
      parts.push(`{"ts":${at},"v":${v}}`);
    }
    if (parts.length === 0) return undefined;
    const payload = this.batch === 1 && parts.length === 1 ? parts[0]! : `[${parts.join(',')}]`;
    return {
      type: 'message',
      topic: info.topic,
      device: src.device,
      payload,
      at,
      readings: parts.length,
      class: 'reading',
    };
  }

  private batchEventMessages(): SimMessage[] {
    const out: SimMessage[] = [];
    const anonymous = this.index.model.mqtt.allowAnonymous;
    for (const sched of this.schedules) {
      const line = sched.line;
      if (!line.device && !anonymous) continue;
      const msg = (at: number, body: Record<string, unknown>): SimMessage => ({
        type: 'message',
        topic: line.batchTopic,
        device: line.device,
        payload: JSON.stringify({ ts: at, ...body }),
        at,
        readings: 1,
        class: 'batch',
      });
      for (const b of sched.batches) {
        out.push(
          msg(b.start, {
            event: 'start',
            batch: b.batch,
            product: b.product,
            quantity: b.quantity,
            unit: b.unit,
          }),
        );
        for (const p of b.phases)
          out.push(msg(p.start, { event: 'phase', batch: b.batch, phase: p.phase }));
        out.push(
          msg(
            b.end,
            b.aborted
              ? { event: 'abort', batch: b.batch }
              : { event: 'end', batch: b.batch, quantity: b.quantity, unit: b.unit },
          ),
        );
      }
    }
    // Stable sort: at equal times a start precedes its first phase event, lines keep model order.
    return out.sort((a, b) => a.at - b.at);
  }
}

function hasWave(m: MachineSignal): boolean {
  return m.profile.sensors.some((s) => s.kind === 'waveform');
}

function floorMin(t: number): number {
  return Math.floor(t / MIN) * MIN;
}
