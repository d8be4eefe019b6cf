/**
 * One source per sensor: its sampling grid, the device that publishes it, and the value it
 * reports at a time — clean signal, plus measurement noise, plus any anomaly window, clamped
 * to the valid range and rounded as a transmitter would.
 */
import type { PlantIndex, SensorInfo } from '../config/plant-index.js';
import type { AnomalyWindow } from './faults/anomalies.js';
import { applyAnomaly } from './faults/anomalies.js';
import type { TransportPlan } from './faults/transport.js';
import { hashGauss, strHash } from './prng.js';
import { declaredRange, toDeclared } from './profiles.js';
import { canPublish } from './publishable.js';
import type { EnergyCounter } from './signals/counter.js';
import type { MachineSignal } from './signals/power.js';
import { ControlLoop, loadFollower, usesControlLoop } from './signals/process.js';
import { vibrationRms, waveformBlock, type Degradation } from './signals/vibration.js';

export interface SensorSource {
  info: SensorInfo;
  key: number;
  intervalMs: number;
  device: string | undefined;
  /** Added to every published timestamp (a device with a wrong clock). */
  skewMs: number;
  /** Readings before this are not produced (sensor `since`, ingest.earliestTimestamp). */
  minTs: number;
  range: [number, number];
  /** Noise-free value in the declared unit (stateful sources must be asked in increasing t). */
  clean: (t: number) => number;
  noise: (t: number, v: number) => number;
  decimals: number;
  anomalies: AnomalyWindow[];
  held: Map<AnomalyWindow, number>;
  waveform?: (t: number) => { rate: number; samples: number[] };
}

export interface SourceDeps {
  machine: MachineSignal;
  counter: EnergyCounter | undefined;
  degradation: Degradation | undefined;
  seed: number;
  from: number;
  waveformSamples: number;
}

/** What the sources of a run are built from: its planned signals, meters, wear and clock skew. */
export interface PlantSignals {
  seed: number;
  from: number;
  /** No scalar sensor is sampled faster than this (0 = native intervals). */
  resolutionMs: number;
  waveformSamples: number;
  machines: Map<string, MachineSignal>;
  counters: EnergyCounter[];
  degradations: Degradation[];
  clockSkew: TransportPlan['clockSkew'];
}

/** A source for every sensor a client may publish, in plant-model order. */
export function buildSources(index: PlantIndex, p: PlantSignals): SensorSource[] {
  const counterBySensor = new Map(p.counters.map((c) => [c.sensor.path, c]));
  const degBySensor = new Map(p.degradations.flatMap((d) => d.sensors.map((s) => [s, d] as const)));
  const out: SensorSource[] = [];
  for (const s of index.sensors) {
    if (!canPublish(s.device, index)) continue;
    // A waveform block is one capture at its own sample rate: resolution does not thin it.
    const interval = s.kind === 'waveform' ? s.intervalMs : Math.max(s.intervalMs, p.resolutionMs);
    const minTs = Math.max(index.earliestMs, s.sinceMs ?? 0);
    const src = buildSource(s, interval, minTs, {
      machine: p.machines.get(`${s.site}/${s.line}/${s.machine}`)!,
      counter: counterBySensor.get(s.path),
      degradation: degBySensor.get(s.path),
      seed: p.seed,
      from: p.from,
      waveformSamples: p.waveformSamples,
    });
    if (p.clockSkew && s.device === p.clockSkew.device) src.skewMs = p.clockSkew.offsetMs;
    out.push(src);
  }
  return out;
}

export function buildSource(
  info: SensorInfo,
  intervalMs: number,
  minTs: number,
  deps: SourceDeps,
): SensorSource {
  const range = declaredRange(info);
  const span = range[1] - range[0];
  const key = strHash(info.path);
  const { machine, seed } = deps;
  let clean: (t: number) => number;
  let noise: (t: number, v: number) => number = (t) => 0.002 * span * hashGauss(seed, key, t);
  let decimals = 3;
  let waveform: SensorSource['waveform'];
  switch (info.kind) {
    case 'power':
      clean = (t) => toDeclared(info, machine.power.at(t));
      noise = (t, v) => (0.01 * v + 0.002 * span) * hashGauss(seed, key, t);
      break;
    case 'energy': {
      const counter = deps.counter!;
      clean = (t) => toDeclared(info, counter.valueAt(t));
      noise = () => 0;
      break;
    }
    case 'vibration':
      clean = vibrationRms(info, machine, deps.degradation);
      noise = (t, v) => 0.03 * v * hashGauss(seed, key, t);
      break;
    case 'waveform':
      clean = () => 0;
      waveform = (t) =>
        waveformBlock(info, machine, deps.degradation, t, deps.waveformSamples, seed);
      break;
    case 'state':
      clean = loadFollower(info, machine);
      noise = () => 0;
      decimals = 0;
      break;
    default:
      if (usesControlLoop(info)) {
        const loop = new ControlLoop(info, machine, deps.from);
        clean = (t) => loop.valueAt(t);
      } else clean = loadFollower(info, machine);
  }
  return {
    info,
    key,
    intervalMs,
    device: info.device,
    skewMs: 0,
    minTs,
    range,
    clean,
    noise,
    decimals,
    anomalies: [],
    held: new Map(),
    waveform,
  };
}

/** The published value at t, or undefined when an anomaly drops the reading. */
export function readingAt(src: SensorSource, t: number): number | undefined {
  const c = src.clean(t);
  let v = c + src.noise(t, c);
  for (const w of src.anomalies) {
    if (t < w.start || t >= w.end) continue;
    let held = src.held.get(w);
    if (held === undefined) src.held.set(w, (held = v));
    const a = applyAnomaly(w, t, v, held, src.range);
    if (a === undefined) return undefined;
    v = a;
  }
  const p = 10 ** src.decimals;
  v = Math.round(v * p) / p;
  return Math.min(src.range[1], Math.max(src.range[0], v)) + 0; // + 0 turns -0 into 0
}
