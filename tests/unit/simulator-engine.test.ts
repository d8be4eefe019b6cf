/**
 * The simulator as a pure function of (plant model, options, seed): determinism, the energy
 * truth against an independent integration of the noise-free power, the schedule, meters,
 * degradations, anomalies and injected faults — all checked on the stream itself, no broker.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { parsePlantModel } from '../../config/load.js';
import { buildPlantIndex } from '../../config/plant-index.js';
import { localDate, tzOffset, weekday } from '../../simulator/calendar.js';
import { Simulation, type SimOptions } from '../../simulator/engine.js';
import { FIXTURE_PLANT } from '../../simulator/fixtures.js';
import { eventLine, type SimMessage } from '../../simulator/stream.js';
import { computeTruth, truthJson, type Truth } from '../../simulator/truth.js';

const index = buildPlantIndex(parsePlantModel(FIXTURE_PLANT, 'fixture'));
// Monday 2026-03-09 00:00 UTC to Monday 2026-03-16: a full week with a weekend.
const FROM = Date.parse('2026-03-09T00:00:00Z');
const WEEK = 7 * 86_400_000;

function run(opts: Partial<SimOptions> = {}): { sim: Simulation; lines: string[]; messages: SimMessage[]; truth: Truth; hash: string } {
  const sim = new Simulation(index, { from: FROM, to: FROM + WEEK, seed: 42, resolutionMs: 60_000, batch: 20, waveformSamples: 64, ...opts });
  const lines: string[] = [];
  const messages: SimMessage[] = [];
  for (const e of sim.events()) {
    lines.push(eventLine(e));
    if (e.type === 'message') messages.push(e);
  }
  const truth = computeTruth(sim);
  const hash = createHash('sha256').update(lines.join('\n')).update(truthJson(truth)).digest('hex');
  return { sim, lines, messages, truth, hash };
}

const base = run();

/** Every reading of a sensor in the stream (first copy of duplicates), sorted by ts. */
function readingsOf(path: string, msgs = base.messages): { ts: number; v: number }[] {
  const topic = index.sensorByPath.get(path)!.topic;
  const seen = new Map<number, number>();
  for (const m of msgs) {
    if (m.topic !== topic || m.class !== 'reading') continue;
    const doc = JSON.parse(m.payload) as { ts: number; v: number } | { ts: number; v: number }[];
    for (const r of Array.isArray(doc) ? doc : [doc]) if (!seen.has(r.ts)) seen.set(r.ts, r.v);
  }
  return [...seen].map(([ts, v]) => ({ ts, v })).sort((a, b) => a.ts - b.ts);
}

describe('determinism', () => {
  it('gives a byte-identical stream and truth for the same seed', () => {
    const again = run();
    expect(again.lines.length).toBe(base.lines.length);
    expect(again.hash).toBe(base.hash);
    expect(truthJson(again.truth)).toBe(truthJson(base.truth));
  });

  it('gives a different stream and truth for a different seed', () => {
    const other = run({ seed: 43 });
    expect(other.hash).not.toBe(base.hash);
    expect(truthJson(other.truth)).not.toBe(truthJson(base.truth));
  });
});

describe('energy truth', () => {
  /** Independent check: trapezoid rule on the noise-free power sampled every second. */
  function riemann(machine: string, a: number, b: number): number {
    const p = base.sim.machines.get(machine)!.power;
    let s = 0;
    for (let t = a; t < b; t += 1000) s += ((p.at(t) + p.at(Math.min(t + 1000, b))) / 2) * (Math.min(t + 1000, b) - t);
    return s / 3.6e9;
  }

  it('equals the integration of the noise-free power for every batch (1e-6 relative)', () => {
    expect(base.truth.batches.length).toBeGreaterThanOrEqual(5);
    for (const b of base.truth.batches) {
      let total = 0;
      for (const [m, e] of Object.entries(b.perMachine)) {
        const r = riemann(`${b.line}/${m}`, b.start, b.end);
        expect(Math.abs(e - r)).toBeLessThanOrEqual(1e-6 * r);
        total += r;
      }
      expect(Math.abs(b.energyKWh - total)).toBeLessThanOrEqual(1e-6 * total);
      expect(b.energyKWh).toBeGreaterThan(0);
    }
  });

  it('equals the integration for every machine-day, and batch + idle never exceed the day', () => {
    for (const d of base.truth.machineDays) {
      const tz = 'Europe/Zurich';
      const day = Date.parse(`${d.day}T00:00:00Z`);
      const start = Math.max(FROM, day - tzOffset(day, tz));
      const next = day + 86_400_000;
      const end = Math.min(FROM + WEEK, next - tzOffset(next, tz));
      const r = riemann(d.machine, start, end);
      expect(Math.abs(d.energyKWh - r)).toBeLessThanOrEqual(1e-6 * r);
      expect(d.batchKWh + d.idleKWh).toBeLessThanOrEqual(d.energyKWh * (1 + 1e-9));
    }
  });

  it('matches the increments of a meter that has no reset or rollover', () => {
    const meter = readingsOf('fx/utilities/ac-1/energy');
    const skew = base.truth.transport.clockSkew?.device === 'gw-utilities' ? base.truth.transport.clockSkew.offsetMs : 0;
    const first = meter[0]!;
    const last = meter[meter.length - 1]!;
    const r = riemann('fx/utilities/ac-1', first.ts - skew, last.ts - skew);
    expect(Math.abs(last.v - first.v - r)).toBeLessThan(0.002); // register resolution 1 Wh
  });
});

describe('schedule', () => {
  const tz = 'Europe/Zurich';
  it('never overlaps batches on a line, keeps them in weekday shifts, and nights and weekends idle', () => {
    const batches = base.truth.batches;
    for (let i = 1; i < batches.length; i++) if (batches[i]!.line === batches[i - 1]!.line) expect(batches[i]!.start).toBeGreaterThanOrEqual(batches[i - 1]!.end);
    for (const b of batches) {
      const wd = weekday(localDate(b.start, tz));
      expect(wd).toBeGreaterThanOrEqual(1);
      expect(wd).toBeLessThanOrEqual(5);
      const hour = (t: number) => ((t + tzOffset(t, tz)) % 86_400_000) / 3_600_000;
      expect(hour(b.start)).toBeGreaterThanOrEqual(6);
      expect(hour(b.end)).toBeLessThanOrEqual(22);
      expect(b.phases[0]!.start).toBe(b.start);
      expect(b.phases[b.phases.length - 1]!.end).toBe(b.end);
      for (let i = 1; i < b.phases.length; i++) expect(b.phases[i]!.start).toBe(b.phases[i - 1]!.end);
    }
    // Weekend days: no batch energy, and the granulator draws only standby power.
    const weekend = base.truth.machineDays.filter((d) => d.machine === 'fx/granulation/g-1' && ['2026-03-14', '2026-03-15'].includes(d.day));
    expect(weekend).toHaveLength(2);
    for (const d of weekend) {
      expect(d.batchKWh).toBe(0);
      expect(d.idleKWh).toBeCloseTo(d.energyKWh, 9);
    }
  });

  it('publishes start, phase and end (or abort) events for every batch', () => {
    const events = base.messages.filter((m) => m.class === 'batch').map((m) => JSON.parse(m.payload) as { event: string; batch: string });
    for (const b of base.truth.batches) {
      const of = events.filter((e) => e.batch === b.batch).map((e) => e.event);
      expect(of[0]).toBe('start');
      expect(of.filter((e) => e === 'phase')).toHaveLength(b.phases.length);
      expect(of[of.length - 1]).toBe(b.aborted ? 'abort' : 'end');
    }
  });
});

describe('meters', () => {
  it('never decrease except at the reset and rollover recorded in the truth', () => {
    const events = base.truth.counters;
    expect(events.map((e) => e.kind).sort()).toEqual(['reset', 'rollover']);
    const seen: string[] = [];
    for (const s of index.sensors.filter((x) => x.kind === 'energy')) {
      const r = readingsOf(s.path);
      for (let i = 1; i < r.length; i++) {
        expect(r[i]!.v).toBeGreaterThanOrEqual(0);
        if (r[i]!.v < r[i - 1]!.v) {
          const e = events.find((x) => x.sensor === s.path && x.at > r[i - 1]!.ts && x.at <= r[i]!.ts);
          expect(e, `${s.path} decreased at ${r[i]!.ts} without a recorded event`).toBeDefined();
          seen.push(e!.kind);
        }
      }
    }
    expect(seen.sort()).toEqual(['reset', 'rollover']);
  });
});

describe('vibration and degradation', () => {
  it('stays healthy before the onset and grows toward the failure', () => {
    const d = base.truth.degradations[0]!;
    expect(d.onset).toBeLessThan(d.failure);
    const vib = d.sensors.find((s) => s.endsWith('vibration'))!;
    // The same run without degradation gives the healthy baseline, reading for reading.
    const healthy = new Map(readingsOf(vib, run({ degrading: 0 }).messages).map((x) => [x.ts, x.v]));
    const r = readingsOf(vib);
    const skew = base.truth.transport.clockSkew?.device === index.sensorByPath.get(vib)!.device ? base.truth.transport.clockSkew!.offsetMs : 0;
    const before = r.filter((x) => x.ts - skew <= d.onset);
    const mid = r.filter((x) => Math.abs(x.ts - skew - (d.onset + d.failure) / 2) < 3_600_000);
    const near = r.filter((x) => x.ts - skew > d.failure - (d.failure - d.onset) * 0.05 && x.ts - skew <= d.failure);
    expect(before.length).toBeGreaterThan(10);
    for (const x of before) expect(x.v).toBe(healthy.get(x.ts));
    // Slow growth at mid-life (about 1.6×), then acceleration (about 8× at the end).
    for (const x of mid) expect(x.v / healthy.get(x.ts)!).toBeGreaterThan(1.3);
    for (const x of mid) expect(x.v / healthy.get(x.ts)!).toBeLessThan(2.5);
    expect(near.length).toBeGreaterThan(3);
    for (const x of near) expect(x.v / healthy.get(x.ts)!).toBeGreaterThan(5);
  });

  it('publishes waveform blocks the ingest accepts (rate and 8..262144 samples)', () => {
    const blocks = base.messages.filter((m) => m.class === 'waveform').map((m) => JSON.parse(m.payload) as { ts: number; rate: number; samples: number[] });
    expect(blocks.length).toBeGreaterThan(900); // every 10 min for a week
    for (const b of blocks.slice(0, 20)) {
      expect(b.rate).toBe(25600);
      expect(b.samples).toHaveLength(64);
    }
  });
});

describe('anomalies and faults', () => {
  it('injects each anomaly kind in its recorded window', () => {
    const kinds = base.truth.anomalies.map((a) => a.kind).sort();
    expect(kinds).toEqual(['drift', 'dropout', 'level_shift', 'spike', 'stuck']);
    for (const a of base.truth.anomalies) {
      const skew = base.truth.transport.clockSkew && index.sensorByPath.get(a.sensor)!.device === base.truth.transport.clockSkew.device ? base.truth.transport.clockSkew.offsetMs : 0;
      const inside = readingsOf(a.sensor).filter((r) => r.ts - skew >= a.start && r.ts - skew < a.end);
      if (a.kind === 'dropout') expect(inside).toHaveLength(0);
      else expect(inside.length).toBeGreaterThan(0);
      if (a.kind === 'stuck') expect(new Set(inside.map((r) => r.v)).size).toBe(1);
    }
  });

  it('counts the malformed, duplicated and reordered messages it injects', () => {
    const st = base.truth.stream!;
    expect(st.malformedMessages).toBe(10);
    expect(base.truth.malformed.count).toBe(10);
    expect(base.messages.filter((m) => m.class === 'malformed')).toHaveLength(10);
    expect(base.messages.filter((m) => m.duplicate)).toHaveLength(st.duplicateMessages);
    expect(st.expectedStored).toBe(st.readings - st.duplicateReadings + st.batchEvents);
    expect(base.truth.transport.offline).toBeDefined();
    expect(base.truth.transport.clockSkew?.offsetMs).toBe(-90_000);
    expect(base.lines.some((l) => l.includes('"online":false'))).toBe(true);
  });

  it('keeps every reading of a sensor unique by timestamp (so the store must keep them all)', () => {
    const keys = new Set<string>();
    let n = 0;
    for (const m of base.messages) {
      if (m.duplicate || (m.class !== 'reading' && m.class !== 'waveform')) continue;
      const doc = JSON.parse(m.payload) as { ts: number } | { ts: number }[];
      for (const r of Array.isArray(doc) ? doc : [doc]) {
        keys.add(`${m.topic} ${r.ts}`);
        n++;
      }
    }
    expect(keys.size).toBe(n);
  });

  it('can be run clean: no faults, no anomalies, no malformed messages', () => {
    const clean = run({ transportFaults: false, counterFaults: false, anomalies: 0, malformed: 0 });
    const st = clean.truth.stream!;
    expect(st.duplicateMessages + st.reordered + st.offlineHeld + st.malformedMessages).toBe(0);
    expect(clean.truth.counters).toEqual([]);
    // The energy truth does not depend on faults: it is computed before them.
    expect(clean.truth.batches.map((b) => b.energyKWh)).toEqual(base.truth.batches.map((b) => b.energyKWh));
  });
});
