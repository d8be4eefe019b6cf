/**
 * Wear and remaining useful life against the simulator's ground truth. A simulated month of
 * the fixture plant (granulator g-1 with a bearing degrading from the truth's onset to its
 * failure; compressor ac-1 healthy) goes through the real ingest decoder and log writer into
 * a real SQLite log, with the maintenance operator stepping as the data arrives.
 *
 * - the degrading machine: no RUL under 14 days before the onset; the first one after it
 *   comes before the failure, with the lead time printed;
 * - healthy machines (ac-1 here, and both machines in a month where none degrades): wear
 *   index never ≥ 0.8, never an RUL under 30 days;
 * - the same month with the store closed twice mid-stream, the operator behind the log and its
 *   checkpoint older still (as after a crash), gives identical derived rows and summaries;
 * - the wear API serves the machine's summary with the maintenance message.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../api/app.js';
import { createLogger } from '../../runtime/logger.js';
import { createMetrics } from '../../runtime/metrics.js';
import type { Store } from '../../store/store.js';
import type { Truth } from '../../simulator/truth.js';
import { issueTestToken } from '../helpers/api-auth.js';
import { tempDir } from '../helpers/tmp.js';
import { DAY, derived, feedMonth, maintIndex, newSim, truthOf } from './support/maintenance-sim.js';

const FROM = Date.parse('2026-03-02T00:00:00Z');
const DAYS = 30;
const SEED = 1;
const DEGRADING = 'fx/granulation/g-1';
const HEALTHY = 'fx/utilities/ac-1';
const RUL_ALERT_DAYS = 14;

const dirs: ReturnType<typeof tempDir>[] = [];
const dir = () => {
  const d = tempDir('plantpulse-maint-');
  dirs.push(d);
  return d.dir;
};

let truth: Truth;
let store: Store;

beforeAll(() => {
  truth = truthOf(SEED, FROM, DAYS);
  store = feedMonth(dir(), SEED, FROM, DAYS).store;
}, 120_000);

afterAll(() => {
  store?.close();
  for (const d of dirs) d.cleanup();
});

const iso = (t: number) => new Date(t).toISOString().slice(0, 16);

function allDerived(s: Store): string[] {
  return s.db
    .prepare<[], { key: string; ts: number; value: number | null; body: Buffer | null }>(
      `SELECT s.key, l.ts, l.value, l.body FROM log l JOIN series s ON s.id = l.series
       WHERE s.derived = 1 ORDER BY s.key, l.ts`,
    )
    .all()
    .map((r) => `${r.key} ${r.ts} ${r.value} ${r.body?.toString('utf8') ?? ''}`);
}

describe('maintenance on a simulated month', () => {
  it('the RUL alert opens after the onset and before the failure; healthy machines get no wear alert', () => {
    const deg = truth.degradations.find((d) => d.machine === DEGRADING)!;
    const alerts = store.db
      .prepare('SELECT rule, asset, opened_at, message FROM alerts ORDER BY opened_at')
      .all() as { rule: string; asset: string; opened_at: number; message: string }[];
    const rulAlert = alerts.find((a) => a.rule === 'rul-short' && a.asset === DEGRADING);
    expect(rulAlert, 'no rul-short alert on the degrading machine').toBeDefined();
    console.log(
      `rul-short alert on ${DEGRADING} at ${iso(rulAlert!.opened_at)}: ` +
        `lead time ${((deg.failure - rulAlert!.opened_at) / DAY).toFixed(1)} d before failure — "${rulAlert!.message}"`,
    );
    expect(rulAlert!.opened_at).toBeGreaterThan(deg.onset);
    expect(rulAlert!.opened_at).toBeLessThan(deg.failure);
    const degrading = new Set(truth.degradations.map((d) => d.machine));
    expect(alerts.filter((a) => !degrading.has(a.asset))).toEqual([]);
  });

  it('the degrading machine gets an RUL under 14 days after the onset and before the failure', () => {
    const deg = truth.degradations.find((d) => d.machine === DEGRADING)!;
    expect(deg).toBeDefined();
    const rul = derived(store, `${DEGRADING}:rul_days`);
    const early = rul.filter((r) => r.ts < deg.onset && r.value < RUL_ALERT_DAYS);
    expect(early).toEqual([]);
    const first = rul.find((r) => r.value < RUL_ALERT_DAYS)!;
    expect(first).toBeDefined();
    const body = JSON.parse(first.body!) as { low: number; high: number; model: string };
    console.log(
      `degradation ${DEGRADING}: onset ${iso(deg.onset)}, failure ${iso(deg.failure)}; ` +
        `first RUL < ${RUL_ALERT_DAYS} d at ${iso(first.ts)} (${first.value.toFixed(1)} d, ` +
        `${body.low.toFixed(1)}–${body.high?.toFixed(1) ?? 'open'}, ${body.model}): ` +
        `${((first.ts - deg.onset) / DAY).toFixed(1)} d after onset, lead time ${((deg.failure - first.ts) / DAY).toFixed(1)} d before failure`,
    );
    expect(first.ts).toBeGreaterThan(deg.onset);
    expect(first.ts).toBeLessThan(deg.failure);
    expect(body.low).toBeLessThanOrEqual(first.value);
    expect(body.high === null || body.high >= first.value).toBe(true);
    // The wear index reaches the alarm limit (zone D) before the failure too.
    const wear = derived(store, `${DEGRADING}:wear_index`);
    const atLimit = wear.find((w) => w.value >= 1)!;
    console.log(
      `zone D (wear index 1) reached at ${iso(atLimit.ts)}: ${((atLimit.ts - first.ts) / DAY).toFixed(1)} d after that first estimate ` +
        `(it said ${first.value.toFixed(1)} d; accelerating wear makes early estimates optimistic)`,
    );
    expect(atLimit.ts).toBeGreaterThan(first.ts);
    expect(atLimit.ts).toBeLessThan(deg.failure);
    // Bearing energy (envelope around BPFO…) rises with the defect.
    const be = derived(store, `${DEGRADING}/waveform:bearing_energy`);
    const mean = (xs: { value: number }[]) => xs.reduce((a, b) => a + b.value, 0) / xs.length;
    const before = be.filter((r) => r.ts < deg.onset);
    const late = be.filter(
      (r) => r.ts > deg.onset + 0.5 * (deg.failure - deg.onset) && r.ts < deg.failure,
    );
    expect(mean(late)).toBeGreaterThan(3 * mean(before));
  });

  it('the healthy machine never reaches wear 0.8 nor an RUL under 30 days', () => {
    expect(truth.degradations.some((d) => d.machine === HEALTHY)).toBe(false);
    const wear = derived(store, `${HEALTHY}:wear_index`);
    expect(wear.length).toBeGreaterThan(24 * 20);
    expect(Math.max(...wear.map((w) => w.value))).toBeLessThan(0.8);
    expect(derived(store, `${HEALTHY}:rul_days`).filter((r) => r.value < 30)).toEqual([]);
    // Usage: a compressor that runs around the clock, day and night.
    const hours = derived(store, `${HEALTHY}:operating_hours`).at(-1)!.value;
    expect(hours).toBeGreaterThan(0.9 * 24 * (DAYS - 1));
    expect(hours).toBeLessThanOrEqual(24 * DAYS);
  });

  it('series follow the contract: zones 1–4, units, starts as in the simulated states', () => {
    const zones = derived(store, `${DEGRADING}/vibration:iso_zone`);
    expect(new Set(zones.map((z) => z.value))).toEqual(new Set([1, 2, 3, 4]));
    // The transmitter is the ISO instrument; the waveform's velocity gives no second zone.
    expect(derived(store, `${DEGRADING}/waveform:iso_zone`)).toEqual([]);
    expect(derived(store, `${DEGRADING}/waveform:velocity_rms`).length).toBeGreaterThan(4000);
    // Starts: the noise-free machine states of the simulation, with the same hysteresis
    // (on at 10 % of the power range, off below 7 %): one per production day here, as the
    // granulator runs through batches and cleaning without stopping.
    const sim = newSim(SEED, FROM, DAYS);
    const sig = sim.machines.get(DEGRADING)!;
    const range = maintIndex.sensorByPath.get(`${DEGRADING}/power`)!.range![1];
    let expected = 0;
    let on = false;
    for (const st of sig.states) {
      const w = st.load * sig.profile.ratedW;
      if (!on && w >= 0.1 * range) expected++;
      on = on ? w >= 0.07 * range : w >= 0.1 * range;
    }
    const starts = derived(store, `${DEGRADING}:start_count`).at(-1)!.value;
    console.log(`granulator starts: ${starts} counted, ${expected} in the simulated states`);
    expect(Math.abs(starts - expected)).toBeLessThanOrEqual(1);
    const units = store.db
      .prepare<[], { kind: string; unit: string }>(
        'SELECT DISTINCT kind, unit FROM series WHERE derived = 1 ORDER BY kind',
      )
      .all();
    expect(units).toEqual(
      expect.arrayContaining([
        { kind: 'wear_index', unit: '1' },
        { kind: 'rul_days', unit: 'd' },
        { kind: 'operating_hours', unit: 'h' },
        { kind: 'start_count', unit: '1' },
        { kind: 'iso_zone', unit: '1' },
        { kind: 'velocity_rms', unit: 'mm/s' },
        { kind: 'accel_rms', unit: 'm/s²' },
        { kind: 'crest_factor', unit: '1' },
        { kind: 'kurtosis', unit: '1' },
        { kind: 'bearing_energy', unit: '1' },
      ]),
    );
  });

  it('GET /api/v1/machines/:id/wear serves the summary and the maintenance message', async () => {
    const app = await buildApp({
      index: maintIndex,
      store,
      metrics: createMetrics(),
      log: createLogger({ level: 'silent' }),
      dataDir: '.',
      readiness: () => ({}),
      startedAt: 0,
    });
    const { headers } = issueTestToken(store, 'maintenance');
    const res = await app.inject({ url: '/api/v1/machines/ac-1/wear', headers });
    expect(res.statusCode).toBe(200);
    const body = res.json() as Record<string, unknown> & { message: string; starts: number };
    expect(body.machine).toBe(HEALTHY);
    expect(body.message).toMatch(
      /^ac-1 vibration: vibration \d+\.\d mm\/s RMS( \(\d+\.\d at peak load\))?, ISO 10816 zone [AB]/,
    );
    expect(body.operatingHours).toBeGreaterThan(600);
    const g = (await app.inject({ url: '/api/v1/machines/g-1/wear', headers })).json() as {
      iso: { zone: string; basis: string };
      wearIndex: number;
      sensors: { sensor: string; features: { bearingEnergy: number } | null }[];
      message: string;
    };
    expect(g.iso.basis).toBe('ISO 10816-1 class II');
    expect(g.iso.zone).toBe('D');
    expect(g.wearIndex).toBeGreaterThan(1);
    expect(
      g.sensors.find((s) => s.sensor.endsWith('/waveform'))!.features!.bearingEnergy,
    ).toBeGreaterThan(0);
    expect(g.message).toMatch(/zone D/);
    const missing = await app.inject({ url: '/api/v1/machines/nope/wear', headers });
    expect(missing.statusCode).toBe(404);
    expect((missing.json() as { error: { code: string } }).error.code).toBe('PP_ERR_NOT_FOUND');
    await app.close();
  });

  it('a restart mid-stream (twice) gives identical outputs', () => {
    const cuts = [FROM + 9.3 * DAY, FROM + 17.55 * DAY];
    const { store: again, behind } = feedMonth(dir(), SEED, FROM, DAYS, cuts);
    console.log(`restarts resumed ${behind.join(' and ')} log rows behind the end of the log`);
    expect(behind.length).toBe(2);
    expect(behind.every((b) => b > 0)).toBe(true);
    try {
      const a = allDerived(store);
      const b = allDerived(again);
      expect(b.length).toBe(a.length);
      expect(b).toEqual(a);
      const sums = (s: Store) =>
        s.db
          .prepare('SELECT machine, ts, summary FROM maintenance_machines ORDER BY machine')
          .all();
      expect(sums(again)).toEqual(sums(store));
    } finally {
      again.close();
    }
  }, 120_000);
});

describe('maintenance on a month where nothing degrades', () => {
  it('no machine reaches wear 0.8 or an RUL under 30 days', () => {
    const d = dir();
    const s = feedMonth(d, 2, FROM, DAYS, [], maintIndex, 0).store;
    try {
      for (const m of [DEGRADING, HEALTHY]) {
        const wear = derived(s, `${m}:wear_index`);
        expect(wear.length).toBeGreaterThan(100);
        const max = Math.max(...wear.map((w) => w.value));
        const rul = derived(s, `${m}:rul_days`);
        console.log(`healthy month, ${m}: max wear ${max.toFixed(3)}, RUL rows ${rul.length}`);
        expect(max).toBeLessThan(0.8);
        expect(rul.filter((r) => r.value < 30)).toEqual([]);
      }
    } finally {
      s.close();
    }
  }, 120_000);
});
