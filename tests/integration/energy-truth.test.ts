/**
 * Energy against the simulator's ground truth: a simulated week of the fixture plant with its
 * transport faults (duplicates, reordering, a gateway offline for 2 h and flushed late, a
 * device clock 90 s behind) and meter faults (a reset, a rollover), fed through the real
 * ingest decoder and log writer into a real SQLite log, with the operator runner stepping as
 * the data arrives. One 40-minute power gap is cut out of one batch to check coverage.
 * Then the same stream again with the store closed and reopened in the middle of a batch:
 * the settled figures must be identical.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OperatorRunner } from '../../analytics/runner.js';
import { energyOperator } from '../../analytics/energy/operator.js';
import type { Operator } from '../../analytics/operator.js';
import { parsePlantModel } from '../../config/load.js';
import { buildPlantIndex, type PlantIndex } from '../../config/plant-index.js';
import { Ingestor } from '../../ingest/ingestor.js';
import { Simulation } from '../../simulator/engine.js';
import { FIXTURE_PLANT } from '../../simulator/fixtures.js';
import type { SimEvent } from '../../simulator/stream.js';
import { computeTruth, type Truth } from '../../simulator/truth.js';
import { openStore, type Store } from '../../store/store.js';
import { tempDir } from '../helpers/tmp.js';

const ENERGY = `energy:
  maxGap: 3m
  lateness: 10m
  tariff:
    currency: CHF
    basePrice: 0.19
    periods:
      - { name: peak, days: [mon, tue, wed, thu, fri], from: 7, to: 20, price: 0.29 }
    holidays: ['2026-03-12']
    peakDemand: { window: 15m, pricePerKw: 11.5 }
  co2: { factor: 0.128 }
`;
const FROM = Date.parse('2026-03-09T00:00:00Z');
const TO = FROM + 7 * 86_400_000;

interface BatchRec {
  id: string;
  batch: string;
  status: string;
  kwh: number;
  coverage: number;
  cost: number;
  co2_kg: number;
  revision: number;
  start_ts: number;
  end_ts: number;
}

const index: PlantIndex = buildPlantIndex(parsePlantModel(FIXTURE_PLANT + ENERGY, 'fixture'));
const newSim = () =>
  new Simulation(index, {
    from: FROM,
    to: TO,
    seed: 11,
    resolutionMs: 60_000,
    batch: 5,
    waveformSamples: 16,
    anomalies: 0,
    // The granulation gateway goes offline Thursday 09:00–11:00Z, across the end of a batch.
    offline: { startFrac: 81 / 168, durationMs: 2 * 3_600_000 },
  });

function open(dir: string): Store {
  return openStore({
    dataDir: dir,
    durability: 'normal',
    commitMaxRows: 100_000,
    rawRetentionMs: 1e13,
    rollupRetentionMs: 1e13,
  });
}

/** Drops the readings of GAP_SENSOR in [gap[0], gap[1]) from the stream. */
function cut(e: SimEvent, gap: [number, number]): SimEvent {
  if (e.type !== 'message' || !e.topic.endsWith('/fbd-1/power')) return e;
  const pts = JSON.parse(e.payload) as { ts: number; v: number }[] | { ts: number; v: number };
  const kept = (Array.isArray(pts) ? pts : [pts]).filter((p) => p.ts < gap[0] || p.ts >= gap[1]);
  return kept.length ? { ...e, payload: JSON.stringify(kept) } : { ...e, payload: '', topic: '' };
}

/**
 * Feeds the stream; the runner steps every `every` messages (as the live runtime does between
 * group commits). `restartAt`: close the store and start a new runner at that event time.
 */
function feed(
  dir: string,
  gap: [number, number],
  restartAt?: number,
): { store: Store; runner: OperatorRunner } {
  let store = open(dir);
  const mk = () =>
    new OperatorRunner(store, index, [energyOperator(index) as Operator<unknown>], {
      batchRows: 5000,
    });
  let runner = mk();
  let ingest = new Ingestor(
    index,
    store.series,
    { maxPayloadBytes: 1 << 20, maxFutureSkewMs: 300_000, deadLetterPayloadCap: 1024 },
    () => TO + 3_600_000,
  );
  let n = 0;
  for (const raw of newSim().events()) {
    const e = cut(raw, gap);
    if (e.type !== 'message' || !e.topic) continue;
    const o = ingest.handle(e.topic, Buffer.from(e.payload), e.device ?? null);
    store.writer.submit(o.rows, o.deadLetter ? [o.deadLetter] : [], (err) => {
      if (err) throw err;
    });
    if (++n % 200 === 0) {
      store.writer.flush();
      runner.catchUp();
    }
    if (restartAt !== undefined && e.at >= restartAt) {
      restartAt = undefined;
      store.writer.flush();
      store.close(); // the runner's last checkpoint is all that survives
      store = open(dir);
      runner = mk();
      ingest = new Ingestor(
        index,
        store.series,
        { maxPayloadBytes: 1 << 20, maxFutureSkewMs: 300_000, deadLetterPayloadCap: 1024 },
        () => TO + 3_600_000,
      );
    }
  }
  store.writer.flush();
  runner.catchUp();
  return { store, runner };
}

let truth: Truth;
let gap: [number, number];
let gapBatch: Truth['batches'][number];
let store: Store;
const tmp = tempDir('plantpulse-energy-');

beforeAll(() => {
  const sim = newSim();
  for (const _ of sim.events()); // read to the end for the stream stats
  truth = computeTruth(sim);
  // The gap: 40 minutes in the middle of the longest granulation batch of Tuesday.
  gapBatch = truth.batches
    .filter((b) => !b.aborted && b.start >= FROM + 86_400_000 && b.end < FROM + 2 * 86_400_000)
    .sort((a, b) => b.end - b.start - (a.end - a.start))[0]!;
  const mid = Math.floor((gapBatch.start + gapBatch.end) / 2 / 60_000) * 60_000;
  gap = [mid, mid + 40 * 60_000];
  store = feed(`${tmp.dir}/a`, gap).store;
}, 60_000);

afterAll(() => {
  store?.close();
  tmp.cleanup();
});

const batches = (s: Store) => s.db.prepare('SELECT * FROM batches ORDER BY id').all() as BatchRec[];

describe('energy against the simulator truth (a week with transport and meter faults)', () => {
  it('settles every batch; with ≥ 99 % coverage its energy is within 0.5 % of the truth', () => {
    const got = new Map(batches(store).map((b) => [b.batch, b]));
    let checked = 0;
    let worst = 0;
    for (const t of truth.batches) {
      const b = got.get(t.batch);
      expect(b, t.batch).toBeDefined();
      expect(b!.status).toBe(t.aborted ? 'aborted' : 'settled');
      if (b!.coverage < 0.99) continue;
      const err = Math.abs(b!.kwh - t.energyKWh) / t.energyKWh;
      worst = Math.max(worst, err);
      expect(err, `${t.batch}: ${b!.kwh} vs ${t.energyKWh}`).toBeLessThanOrEqual(0.005);
      // cost and CO2 follow the energy (0.19–0.29 CHF/kWh, 0.128 kg/kWh)
      expect(b!.co2_kg).toBeCloseTo(b!.kwh * 0.128, 6);
      expect(b!.cost / b!.kwh).toBeGreaterThanOrEqual(0.19 - 1e-9);
      expect(b!.cost / b!.kwh).toBeLessThanOrEqual(0.29 + 1e-9);
      checked++;
    }
    console.log(
      `energy-truth: ${checked}/${truth.batches.length} batches checked, worst error ${(worst * 100).toFixed(3)} %`,
    );
    expect(checked).toBeGreaterThanOrEqual(truth.batches.length - 2);
  });

  it('reports the injected gap as lost coverage, and only there', () => {
    const b = batches(store).find((x) => x.batch === gapBatch.batch)!;
    // 40 readings cut: the unbridged span runs from the reading before (mid − 1 min) to mid + 40 min
    const expected = 1 - (41 * 60_000) / ((gapBatch.end - gapBatch.start) * 3);
    console.log(
      `energy-truth: gap batch coverage ${b.coverage.toFixed(5)} (expected ${expected.toFixed(5)})`,
    );
    expect(Math.abs(b.coverage - expected)).toBeLessThan(1e-4);
    expect(b.kwh).toBeLessThan(gapBatch.energyKWh);
    const low = batches(store)
      .filter((x) => x.coverage < 0.99)
      .map((x) => x.batch);
    expect(low).toEqual([gapBatch.batch]);
  });

  it('idle energy per machine over the settled days is within 1 % of the truth', () => {
    const days = [...new Set(truth.machineDays.map((d) => d.day))].sort().slice(0, -1);
    for (const m of [...new Set(truth.machineDays.map((d) => d.machine))]) {
      const t = truth.machineDays.filter((d) => d.machine === m && days.includes(d.day));
      const want = t.reduce((s, d) => s + d.energyKWh - d.batchKWh, 0);
      const got = store.db
        .prepare(
          `SELECT sum(idle_kwh) AS idle, sum(kwh) AS kwh FROM energy_daily WHERE scope = 'machine' AND key = ? AND day IN (${days.map(() => '?').join(',')})`,
        )
        .get(m, ...days) as { idle: number; kwh: number };
      const err = Math.abs(got.idle - want) / want;
      console.log(
        `energy-truth: idle ${m} ${got.idle.toFixed(1)} vs ${want.toFixed(1)} kWh (${(err * 100).toFixed(3)} %)`,
      );
      expect(err, m).toBeLessThanOrEqual(0.01);
    }
  });

  it('counters with a reset and a rollover give no negative or doubled energy', () => {
    expect(truth.counters.map((c) => c.kind).sort()).toEqual(['reset', 'rollover']);
    const neg = store.db.prepare('SELECT count(*) AS n FROM energy_hourly WHERE kwh < 0').get() as {
      n: number;
    };
    expect(neg.n).toBe(0);
    for (const c of truth.counters) {
      const machine = c.sensor.slice(0, c.sensor.lastIndexOf('/'));
      const sum = (scope: string, key: string) =>
        (
          store.db
            .prepare(
              'SELECT sum(kwh) AS k FROM energy_hourly WHERE scope = ? AND key = ? AND hour >= ? AND hour < ?',
            )
            .get(scope, key, c.at - 6 * 3_600_000, c.at + 6 * 3_600_000) as { k: number }
        ).k;
      const counter = sum('meter', c.sensor);
      const power = sum('meter', `${machine}/power`);
      // the meter integrates the true power; around its reset/rollover it must agree with power
      expect(Math.abs(counter - power) / power, `${c.kind} ${c.sensor}`).toBeLessThan(0.01);
    }
  });

  it('late data from the offline gateway revised the settled batch and hours it touched', () => {
    const off = truth.transport.offline!;
    expect(off.device).toBe('gw-granulation');
    const revised = store.db
      .prepare(
        "SELECT count(*) AS n FROM energy_hourly WHERE scope = 'line' AND key = 'fx/granulation' AND revision > 0",
      )
      .get() as { n: number };
    expect(revised.n).toBeGreaterThan(0);
    // The batch ended (plus lateness) while the gateway was offline: settled short, then revised.
    const hit = batches(store).filter((b) => b.start_ts < off.end && b.end_ts > off.start);
    expect(hit).toHaveLength(1);
    expect(hit[0]!.end_ts).toBeLessThan(off.end - 600_000);
    expect(hit[0]!.revision).toBeGreaterThan(0);
    const t = truth.batches.find((x) => x.batch === hit[0]!.batch)!;
    console.log(
      `energy-truth: offline batch ${t.batch} revision ${hit[0]!.revision}, ${hit[0]!.kwh.toFixed(2)} vs ${t.energyKWh.toFixed(2)} kWh`,
    );
    expect(hit[0]!.status).toBe('settled');
    expect(hit[0]!.coverage).toBeGreaterThan(0.99);
    const others = batches(store).filter((b) => b.id !== hit[0]!.id && b.revision > 0);
    expect(others.map((b) => [b.batch, b.revision, b.end_ts])).toEqual([]);
  });

  it('closing and reopening the store in the middle of a batch gives the same settled figures', () => {
    // restart in the middle of Wednesday's first batch (05:47–10:15Z)
    const other = feed(`${tmp.dir}/b`, gap, Date.parse('2026-03-11T08:00:00Z'));
    // Revisions included: the operator's decisions depend on the record sequence, not on steps.
    expect(batches(other.store)).toEqual(batches(store));
    const rows = (s: Store, t: string) => s.db.prepare(`SELECT * FROM ${t} ORDER BY 1, 2, 3`).all();
    for (const t of ['energy_hourly', 'energy_daily', 'energy_peaks'])
      expect(rows(other.store, t), t).toEqual(rows(store, t));
    other.store.close();
  });
});
