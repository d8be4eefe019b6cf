/**
 * The example plant's `sensor-stale` rule over twelve simulated hours, through the real ingest
 * decoder, log writer, SQLite log and operator runner. The stream is what a night at the plant
 * can look like:
 *
 * - every scalar sensor arrives at a 1-minute step (`resolutionMs`), coarser than most declare
 *   (1 s, 5 s, 10 s: 30 intervals of 1 s is 30 s, less than one step);
 * - the simulator's transport faults: duplicates, reordering, a device clock 90 s behind, and one
 *   PLC gateway offline for two hours that flushes its backlog when it is back;
 * - one sensor that dies on a gateway that keeps reporting (its messages are dropped from 3 h).
 *
 * Asserted: exactly one sensor-stale alert for the offline gateway (opened during the outage,
 * resolved after), one for the dead sensor, none from the coarse spacing. The same stream under
 * the rule without grouping (one alert per sensor) is printed beside it for the record.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Operator } from '../../analytics/operator.js';
import { OperatorRunner } from '../../analytics/runner.js';
import { alertsOperator } from '../../alerts/operator.js';
import { loadPlantModel } from '../../config/load.js';
import { buildPlantIndex } from '../../config/plant-index.js';
import { Ingestor } from '../../ingest/ingestor.js';
import { Simulation } from '../../simulator/engine.js';
import { openStore, type Store } from '../../store/store.js';
import { tempDir } from '../helpers/tmp.js';

const FROM = Date.parse('2026-03-02T00:00:00Z');
const HOURS = 12;
const TO = FROM + HOURS * 3_600_000;
const DEAD = 'basel/granulation/g-201/jacket-temp';
const DIES_AT = FROM + 3 * 3_600_000;

const model = loadPlantModel('examples/plant.yaml');
const staleRule = model.alerts.rules.find((r) => r.id === 'sensor-stale')!;
const index = buildPlantIndex({
  ...model,
  alerts: {
    ...model.alerts,
    // The example's rule, and the same rule one alert per sensor (what it did before groupBy).
    rules: [staleRule, { ...staleRule, id: 'per-sensor', groupBy: 'asset' }],
  },
});

interface Row {
  id: string;
  rule: string;
  asset: string;
  state: string;
  opened_at: number;
  message: string;
}

const dir = tempDir('plantpulse-stale-sim-');
let store: Store;
let sim: Simulation;
let rows: Row[];

beforeAll(() => {
  store = openStore({
    dataDir: dir.dir,
    durability: 'normal',
    commitMaxRows: 100_000,
    rawRetentionMs: 1e13,
    rollupRetentionMs: 1e13,
  });
  const runner = new OperatorRunner(store, index, [alertsOperator(index) as Operator<unknown>], {
    batchRows: 5000,
  });
  const ingest = new Ingestor(
    index,
    store.series,
    { maxPayloadBytes: 1 << 22, maxFutureSkewMs: 300_000, deadLetterPayloadCap: 1024 },
    () => TO + 3_600_000,
  );
  sim = new Simulation(index, {
    from: FROM,
    to: TO,
    seed: 1,
    resolutionMs: 60_000,
    batch: 1,
    waveformSamples: 256,
    anomalies: 0,
    malformed: 0,
    offline: { startFrac: 0.5, durationMs: 2 * 3_600_000 },
  });
  let n = 0;
  for (const e of sim.events()) {
    if (e.type !== 'message') continue;
    if (e.topic === index.sensorByPath.get(DEAD)!.topic && e.at >= DIES_AT) continue;
    const o = ingest.handle(e.topic, Buffer.from(e.payload), e.device ?? null);
    store.writer.submit(o.rows, o.deadLetter ? [o.deadLetter] : [], (err) => {
      if (err) throw err;
    });
    if (++n % 500 === 0) {
      store.writer.flush();
      runner.catchUp();
    }
  }
  store.writer.flush();
  runner.catchUp();
  rows = store.db
    .prepare(
      'SELECT id, rule, asset, state, opened_at, message FROM alerts ORDER BY opened_at, asset',
    )
    .all() as Row[];
}, 120_000);

afterAll(() => {
  store?.close();
  dir.cleanup();
});

const iso = (t: number) => new Date(t).toISOString().slice(11, 16);

describe('sensor-stale over a simulated night with an offline gateway', () => {
  it('one alert per offline gateway and outage, one for a dead sensor, none from coarse spacing', () => {
    const off = sim.transport.offline!;
    const members = index.sensors.filter((s) => s.device === off.device);
    // The case to get right: a gateway carrying many sensors, down far longer than their limits.
    expect(members.length).toBeGreaterThan(5);
    expect(index.sensorByPath.get(DEAD)!.device).not.toBe(off.device);

    // What declared intervals alone would have called silent: sensors whose readings are spaced
    // wider than 30 of their declared intervals (every 1-second sensor at a 1-minute step).
    const coarse = store.db
      .prepare(
        `SELECT s.key, max(g.gap) AS gap FROM (
           SELECT series, ts - lag(ts) OVER (PARTITION BY series ORDER BY ts) AS gap FROM log
         ) g JOIN series s ON s.id = g.series WHERE s.derived = 0 GROUP BY s.key`,
      )
      .all() as { key: string; gap: number | null }[];
    const declaredOnly = coarse.filter((c) => {
      const info = index.sensorByPath.get(c.key);
      return info && c.gap !== null && c.gap > 30 * info.intervalMs && info.device !== off.device;
    }).length;

    const grouped = rows.filter((r) => r.rule === 'sensor-stale');
    const perSensor = rows.filter((r) => r.rule === 'per-sensor');
    console.log(
      `sensor-stale over ${HOURS} h, ${index.sensors.length} sensors, ${off.device} offline ${iso(off.start)}–${iso(off.end)} (${members.length} sensors), ${DEAD} dead from ${iso(DIES_AT)}:\n` +
        `  declared intervals alone: ${declaredOnly} sensors of live gateways look silent between their 1-minute readings\n` +
        `  one alert per sensor (groupBy asset): ${perSensor.length} alerts\n` +
        `  groupBy device (examples/plant.yaml): ${grouped.length} alerts\n` +
        grouped.map((a) => `    ${iso(a.opened_at)} ${a.state}: ${a.message}`).join('\n'),
    );
    expect(declaredOnly).toBeGreaterThan(20);

    // Per sensor: the gateway's sensors one by one, plus the dead one; nothing from the spacing.
    expect(perSensor.map((a) => a.asset).sort()).toEqual(
      [...members.map((s) => s.path), DEAD].sort(),
    );

    // Grouped: one for the gateway, during its outage, resolved when it came back; one for the sensor.
    const gw = grouped.filter((a) => a.message.startsWith(`${off.device}:`));
    expect(gw).toHaveLength(1);
    expect(gw[0]!.opened_at).toBeGreaterThan(off.start);
    expect(gw[0]!.opened_at).toBeLessThan(off.end);
    const h = store.db
      .prepare('SELECT transition, at FROM alert_history WHERE alert_id = ? ORDER BY seq')
      .all(gw[0]!.id) as { transition: string; at: number }[];
    console.log(`  ${off.device}: ${h.map((x) => `${x.transition} ${iso(x.at)}`).join(', ')}`);
    expect(h.map((x) => x.transition)).toEqual(['open', 'resolved', 'closed']);
    // Resolved when its backlog arrived (the others had reached the end of the outage), not
    // back-dated to the first flushed stamp; and no re-opening while the backlog drained.
    expect(h[1]!.at).toBeGreaterThanOrEqual(off.end - 60_000);
    expect(gw[0]!.asset).toBe('basel/coating');
    expect(gw[0]!.message).toContain(`silent, ${members.length} sensors without a reading since`);
    expect(gw[0]!.message).toMatch(/\+\d+ more$/); // a capped list, not all of them
    const dead = grouped.filter((a) => a.asset === DEAD);
    expect(dead).toHaveLength(1);
    expect(dead[0]!.state).toBe('open');
    expect(dead[0]!.message).toMatch(/^G-201 jacket-temp: no reading since 2026-03-02T02:59/);
    expect(grouped).toHaveLength(2);
  });
});
