/**
 * The simulator engine: plans a plant run from the plant model and a seed (schedule, signals,
 * degradations, meters, anomalies, faults), then yields the MQTT messages the plant's devices
 * would publish, in event-time order, as a deterministic iterator. Publishing is separate
 * (publisher.ts), so "same seed → byte-identical stream" is testable without a broker.
 *
 * Each planner draws from its own fork of the seed's random stream (prng.ts), so adding draws to
 * one never shifts another's plan. The stream itself: clean-stream.ts, then the transport faults.
 */
import type { PlantIndex } from '../config/plant-index.js';
import { cleanStream } from './clean-stream.js';
import { anomalyEligible, planAnomalies, type AnomalyWindow } from './faults/anomalies.js';
import { planDegradations } from './faults/degradation.js';
import { planMalformed, type MalformedMessage } from './faults/malformed.js';
import {
  applyTransport,
  planTransport,
  type TransportOptions,
  type TransportPlan,
} from './faults/transport.js';
import { planMeters, type MeterOptions } from './meters.js';
import { Rng } from './prng.js';
import { buildProfiles, type LineProfile } from './profiles.js';
import { unpublishableTopics } from './publishable.js';
import { planSchedule, type LineSchedule } from './schedule.js';
import { buildSources, type SensorSource } from './sensors.js';
import type { EnergyCounter } from './signals/counter.js';
import { buildMachineSignal, type MachineSignal } from './signals/power.js';
import type { Degradation } from './signals/vibration.js';
import {
  counted,
  newStreamStats,
  newTransportStats,
  settleStats,
  type StreamStats,
} from './stream-stats.js';
import type { SimEvent } from './stream.js';

export type { StreamStats } from './stream-stats.js';

const DAY = 86_400_000;

export interface SimOptions extends MeterOptions, TransportOptions {
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
  /** Machines degrading toward a bearing failure (default 1, or 2 in plants with ≥ 5 vibration-monitored machines). */
  degrading?: number;
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
  readonly counters: EnergyCounter[];
  readonly degradations: Degradation[];
  readonly anomalies: AnomalyWindow[];
  readonly malformed: MalformedMessage[];
  readonly transport: TransportPlan;
  readonly sources: SensorSource[];
  /** Topics nobody may publish (no device prefix and no anonymous access): left out. */
  readonly unpublishable: string[];
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

    // Production: when each line runs which batch, and the power every machine draws for it.
    this.lines = buildProfiles(index);
    const schedRng = rng.fork('schedule');
    this.schedules = this.lines.map((l) =>
      planSchedule(l, this.from, this.to, schedRng.fork(l.key)),
    );
    for (const sched of this.schedules) {
      for (const m of sched.line.machines)
        this.machines.set(m.key, buildMachineSignal(m, sched, this.from, this.to, this.seed));
    }

    // What the plant's sensors see: wear, meters, the network, then the sources sampling them.
    this.degradations = planDegradations(
      [...this.machines.values()],
      this.from,
      this.to,
      opts.degrading,
      rng.fork('degradation'),
    );
    this.counters = planMeters(
      index,
      this.machines,
      this.from,
      this.to,
      opts,
      rng.fork('counters'),
    );
    this.transport = planTransport(index, this.from, this.to, opts, rng.fork('transport'));
    this.sources = buildSources(index, {
      seed: this.seed,
      from: this.from,
      resolutionMs: this.resolutionMs,
      waveformSamples: opts.waveformSamples ?? 1024,
      machines: this.machines,
      counters: this.counters,
      degradations: this.degradations,
      clockSkew: this.transport.clockSkew,
    });
    this.unpublishable = unpublishableTopics(index, this.lines);

    // Faults in what the devices publish: process anomalies and malformed messages.
    this.anomalies = this.planAnomalies(rng.fork('anomalies'));
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
    const st = newStreamStats();
    const transport = newTransportStats();
    const rng = new Rng(this.seed).fork('transport-stream');
    yield* counted(applyTransport(cleanStream(this), this.transport, rng, transport), st);
    this.stats = settleStats(st, transport);
  }

  /** Anomaly windows on publishable process sensors, each attached to its sensor's source. */
  private planAnomalies(rng: Rng): AnomalyWindow[] {
    const span = this.to - this.from;
    const count = this.opts.anomalies ?? Math.min(50, Math.max(5, 5 * Math.ceil(span / (7 * DAY))));
    const windows = planAnomalies(
      this.sources
        .filter((s) => anomalyEligible(s.info))
        .map((s) => ({ info: s.info, intervalMs: s.intervalMs })),
      this.from,
      this.to,
      count,
      rng,
    );
    for (const w of windows) this.sources.find((s) => s.info.path === w.sensor)!.anomalies.push(w);
    return windows;
  }
}
