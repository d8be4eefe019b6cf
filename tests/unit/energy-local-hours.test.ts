/**
 * Hourly energy records start at the site's local hours, so a local day is a whole number of
 * records in a half-hour zone too (Asia/Kolkata, +5:30): energy between 00:00 and 00:30 local
 * belongs to the day that starts at 00:00, not to the UTC hour that began the evening before.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { energyOperator } from '../../analytics/energy/operator.js';
import type { Operator } from '../../analytics/operator.js';
import { OperatorRunner } from '../../analytics/runner.js';
import { buildPlantIndex } from '../../config/plant-index.js';
import { localHourPhase } from '../../config/local-time.js';
import { plantSchema } from '../../config/schema.js';
import { openStore, type Store } from '../../store/store.js';
import { testPlant } from '../helpers/plant-fixture.js';
import { tempDir } from '../helpers/tmp.js';

const H = 3_600_000;
const plant = testPlant({
  machines: 1,
  overrides: { energy: { maxGap: '3m', lateness: '10m', revisionWindow: '1d' } as never },
});
plant.sites[0]!.timezone = 'Asia/Kolkata';
const index = buildPlantIndex(plantSchema.parse(plant));

// Local midnight 2026-03-11 in Kolkata = 2026-03-10T18:30Z; m1 draws 6 kW for the half hour after.
const MIDNIGHT = Date.parse('2026-03-10T18:30:00Z');
const FROM = Date.parse('2026-03-10T12:00:00Z');
const TO = Date.parse('2026-03-11T12:00:00Z');
const kw = (t: number) => (t >= MIDNIGHT && t < MIDNIGHT + H / 2 ? 6 : 0);

let tmp: ReturnType<typeof tempDir>;
let store: Store;
beforeEach(() => {
  tmp = tempDir();
  store = openStore({
    dataDir: tmp.dir,
    durability: 'normal',
    commitMaxRows: 100_000,
    rawRetentionMs: 1e13,
    rollupRetentionMs: 1e13,
  });
});
afterEach(() => {
  store.close();
  tmp.cleanup();
});

function feed(): void {
  const series = store.series.ensure('t/l1/m1/power', 'power', 'W');
  const rows = [];
  for (let t = FROM; t <= TO; t += 10_000)
    rows.push({ series, ts: t, value: kw(t) * 1000, quality: 0, body: null });
  store.writer.submit(rows, [], (err) => {
    if (err) throw err;
  });
  store.writer.flush();
  new OperatorRunner(store, index, [energyOperator(index) as Operator<unknown>], {
    batchRows: 10_000,
  }).catchUp();
}

const daily = (day: string) =>
  store.db
    .prepare("SELECT kwh FROM energy_daily WHERE scope = 'machine' AND key = 't/l1/m1' AND day = ?")
    .get(day) as { kwh: number } | undefined;

describe('hourly energy records in a half-hour time zone', () => {
  it('knows where local hours start within a UTC hour', () => {
    expect(localHourPhase('Europe/Zurich')).toBe(0);
    expect(localHourPhase('Asia/Kolkata')).toBe(H / 2);
    expect(localHourPhase('Asia/Kathmandu')).toBe((3 * H) / 4);
    expect(localHourPhase('Australia/Adelaide')).toBe(H / 2); // +9:30 and +10:30: same phase
    expect(localHourPhase('Australia/Lord_Howe')).toBeUndefined(); // +10:30 and +11
  });

  it('starts every record at a local hour and books 00:00–00:30 local to the new day', () => {
    feed();
    const hours = store.db
      .prepare("SELECT hour FROM energy_hourly WHERE scope = 'machine' AND key = 't/l1/m1'")
      .all() as { hour: number }[];
    expect(hours.length).toBeGreaterThan(20);
    for (const { hour } of hours) expect(hour % H).toBe(H / 2);
    // The 10 s trapezoid ramps 0 → 6 kW just before midnight (the old day keeps that sliver).
    expect(daily('2026-03-11')!.kwh).toBeCloseTo(3, 1);
    expect(daily('2026-03-10')!.kwh).toBeLessThan(0.01);
  });

  it('removes a record of the same energy written on UTC hours before (operator v2)', () => {
    store.db.exec(
      `CREATE TABLE IF NOT EXISTS energy_hourly (scope TEXT NOT NULL, key TEXT NOT NULL, hour INTEGER NOT NULL,
        day TEXT NOT NULL, kwh REAL NOT NULL, coverage REAL NOT NULL, batch_kwh REAL NOT NULL,
        idle_kwh REAL NOT NULL, cost REAL NOT NULL, co2_kg REAL NOT NULL, revision INTEGER NOT NULL,
        PRIMARY KEY (scope, key, hour))`,
    );
    const v2Hour = Date.parse('2026-03-10T18:00:00Z'); // 23:30–00:30 local, booked to 03-10
    store.db
      .prepare(
        "INSERT INTO energy_hourly VALUES ('machine', 't/l1/m1', ?, '2026-03-10', 3, 1, 0, 3, 0, 0, 0)",
      )
      .run(v2Hour);
    feed();
    const stale = store.db.prepare('SELECT 1 FROM energy_hourly WHERE hour = ?').get(v2Hour);
    expect(stale).toBeUndefined();
    expect(daily('2026-03-10')!.kwh).toBeLessThan(0.01);
    expect(daily('2026-03-11')!.kwh).toBeCloseTo(3, 1);
  });
});
