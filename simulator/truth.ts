/**
 * Ground truth of a simulated run, computed from the noise-free signals before any fault:
 * exact energy per batch and per machine-day (analytic integrals of the piecewise-linear power),
 * the anomaly windows, the degradations, the meter events and what the transport did.
 * Key order is fixed by construction, so the JSON is byte-stable for a seed.
 */
import { localDays } from './calendar.js';
import type { Simulation } from './engine.js';
import type { AnomalyWindow } from './faults/anomalies.js';
import type { TransportPlan } from './faults/transport.js';
import type { BatchPlan } from './schedule.js';
import type { CounterEvent } from './signals/counter.js';
import { WMS_PER_KWH } from './signals/piecewise.js';
import type { Degradation } from './signals/vibration.js';
import type { StreamStats } from './stream-stats.js';

export const TRUTH_VERSION = 1;

/** A planned batch with the energy it really drew (from the noise-free power signal). */
export interface BatchTruth extends BatchPlan {
  energyKWh: number;
  perMachine: Record<string, number>;
}

export interface MachineDayTruth {
  machine: string;
  day: string;
  energyKWh: number;
  batchKWh: number;
  /** Standby and ready (no batch, no cleaning): what an energy review calls idle energy. */
  idleKWh: number;
}

export interface Truth {
  simulator: {
    version: number;
    seed: number;
    from: number;
    to: number;
    resolutionMs: number;
    batch: number;
  };
  batches: BatchTruth[];
  machineDays: MachineDayTruth[];
  anomalies: AnomalyWindow[];
  degradations: Degradation[];
  counters: CounterEvent[];
  transport: TransportPlan;
  malformed: {
    count: number;
    messages: { topic: string; device: string | null; kind: string; payload: string }[];
  };
  /** Null until the stream has been read to the end. */
  stream: StreamStats | null;
}

export function computeTruth(sim: Simulation): Truth {
  const kwh = (key: string, a: number, b: number) =>
    b > a ? sim.machines.get(key)!.power.integrate(a, b) / WMS_PER_KWH : 0;
  const batches: BatchTruth[] = [];
  const machineDays: MachineDayTruth[] = [];
  for (const sched of sim.schedules) {
    for (const b of sched.batches) {
      const perMachine: Record<string, number> = {};
      let total = 0;
      for (const m of sched.line.machines) {
        const e = kwh(m.key, b.start, b.end);
        perMachine[m.machine] = e;
        total += e;
      }
      batches.push({
        line: b.line,
        batch: b.batch,
        product: b.product,
        quantity: b.quantity,
        unit: b.unit,
        start: b.start,
        end: b.end,
        aborted: b.aborted,
        phases: b.phases,
        energyKWh: total,
        perMachine,
      });
    }
    for (const m of sched.line.machines) {
      const sig = sim.machines.get(m.key)!;
      const idleSpans = sig.states
        .map((s, i) => ({
          state: s.state,
          start: s.start,
          end: sig.states[i + 1]?.start ?? sim.to,
        }))
        .filter((s) => s.state === 'standby' || s.state === 'ready');
      for (const d of localDays(sim.from, sim.to, sched.line.timezone)) {
        const overlap = (iv: { start: number; end: number }) =>
          kwh(m.key, Math.max(iv.start, d.start), Math.min(iv.end, d.end));
        machineDays.push({
          machine: m.key,
          day: d.day,
          energyKWh: kwh(m.key, d.start, d.end),
          batchKWh: sum(sched.batches.map(overlap)),
          idleKWh: sum(idleSpans.map(overlap)),
        });
      }
    }
  }
  return {
    simulator: {
      version: TRUTH_VERSION,
      seed: sim.seed,
      from: sim.from,
      to: sim.to,
      resolutionMs: sim.resolutionMs,
      batch: sim.batch,
    },
    batches: batches.sort((a, b) => a.start - b.start || (a.line < b.line ? -1 : 1)),
    machineDays,
    anomalies: sim.anomalies,
    degradations: sim.degradations,
    counters: sim.counters.flatMap((c) => c.events).sort((a, b) => a.at - b.at),
    transport: sim.transport,
    malformed: {
      count: sim.malformed.length,
      messages: sim.malformed.map((m) => ({
        topic: m.topic,
        device: m.device ?? null,
        kind: m.kind,
        payload: m.payload,
      })),
    },
    stream: sim.streamStats ?? null,
  };
}

function sum(xs: number[]): number {
  let s = 0;
  for (const x of xs) s += x;
  return s;
}

export function truthJson(t: Truth): string {
  return `${JSON.stringify(t, null, 2)}\n`;
}
