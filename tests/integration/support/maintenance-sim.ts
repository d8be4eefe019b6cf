/**
 * Shared by the maintenance simulator tests: the fixture plant with bearing geometry on the
 * waveform-monitored granulator, a simulated month fed through the real ingest decoder and
 * log writer into a real SQLite log, and the maintenance operator stepping as data arrives.
 * Only the sensors the operator reads are published (power, state, speed, vibration,
 * waveform): the others would only cost time.
 */
import type { Operator } from '../../../analytics/operator.js';
import { OperatorRunner } from '../../../analytics/runner.js';
import { maintenanceOperator } from '../../../analytics/maintenance/operator.js';
import { alertsOperator } from '../../../alerts/operator.js';
import { parsePlantModel } from '../../../config/load.js';
import { buildPlantIndex, type PlantIndex } from '../../../config/plant-index.js';
import { Ingestor } from '../../../ingest/ingestor.js';
import { Simulation } from '../../../simulator/engine.js';
import { FIXTURE_PLANT } from '../../../simulator/fixtures.js';
import { computeTruth, type Truth } from '../../../simulator/truth.js';
import { openStore, type Store } from '../../../store/store.js';

export const DAY = 86_400_000;

/** A 6205-size bearing whose BPFO (3.58 × shaft) matches the simulator's defect tone (3.57 ×). */
export const MAINT_PLANT =
  FIXTURE_PLANT.replace(
    '              - { id: waveform, kind: waveform, unit: g, interval: 10m, sampleRate: 25600 }\n',
    '              - { id: waveform, kind: waveform, unit: g, interval: 10m, sampleRate: 25600 }\n' +
      '            maintenance:\n' +
      '              bearing: { balls: 9, ballDiameterMm: 7.94, pitchDiameterMm: 39.04 }\n' +
      '              shaftSpeed: { rpm: 1485 }\n',
  ) +
  // The maintenance lead's rules: plan the stop when under two weeks are left, and the wear limit.
  `alerts:
  rules:
    - { id: rul-short, signal: rul_days, condition: { type: below, threshold: 14, clear: 21 }, severity: warning }
    - { id: wear-limit, signal: wear_index, condition: { type: above, threshold: 1, clear: 0.9 }, for: 1h, severity: warning }
`;

export const maintIndex: PlantIndex = buildPlantIndex(parsePlantModel(MAINT_PLANT, 'fixture'));
const READ_KINDS = new Set(['power', 'state', 'speed', 'vibration', 'waveform']);

export function newSim(
  seed: number,
  from: number,
  days: number,
  index: PlantIndex = maintIndex,
  degrading?: number,
): Simulation {
  return new Simulation(index, {
    degrading,
    from,
    to: from + days * DAY,
    seed,
    resolutionMs: 60_000,
    batch: 30,
    waveformSamples: 1024,
    anomalies: 0,
    malformed: 0,
  });
}

export function truthOf(
  seed: number,
  from: number,
  days: number,
  index: PlantIndex = maintIndex,
): Truth {
  const sim = newSim(seed, from, days, index);
  return computeTruth(sim);
}

export function openTestStore(dir: string): Store {
  return openStore({
    dataDir: dir,
    durability: 'normal',
    commitMaxRows: 100_000,
    rawRetentionMs: 1e13,
    rollupRetentionMs: 1e13,
  });
}

/**
 * Feeds the month; the runner steps every 500 messages. `restartAt`: close the store at that
 * event time without a final checkpoint and go on with a new store handle and runner (the
 * last checkpoint is all that survives of the operator).
 */
export function feedMonth(
  dir: string,
  seed: number,
  from: number,
  days: number,
  restartAt: number[] = [],
  index: PlantIndex = maintIndex,
  degrading?: number,
  /** Stop feeding at this event time (the simulation still spans the whole period). */
  until = Infinity,
): { store: Store; runner: OperatorRunner; behind: number[] } {
  let store = openTestStore(dir);
  const mk = () =>
    new OperatorRunner(
      store,
      index,
      [maintenanceOperator(index) as Operator<unknown>, alertsOperator(index) as Operator<unknown>],
      {
        batchRows: 5000,
        // With restarts: checkpoint at most every 20 ms, so a restart usually finds steps done
        // after the last checkpoint (as a crash would) and the operator replays and rewrites them.
        checkpointIntervalMs: restartAt.length ? 20 : 0,
      },
    );
  let runner = mk();
  const ingestor = () =>
    new Ingestor(
      index,
      store.series,
      { maxPayloadBytes: 1 << 22, maxFutureSkewMs: 300_000, deadLetterPayloadCap: 1024 },
      () => from + days * DAY + 3_600_000,
    );
  let ingest = ingestor();
  const pending = [...restartAt];
  /** At each restart: log rows the restored operator has still to (re)read. */
  const behind: number[] = [];
  let n = 0;
  for (const e of newSim(seed, from, days, index, degrading).events()) {
    if (e.type !== 'message') continue;
    if (e.at >= until) break;
    const sensor = index.sensorByTopic.get(e.topic);
    if (!sensor || !READ_KINDS.has(sensor.kind)) continue;
    const o = ingest.handle(e.topic, Buffer.from(e.payload), e.device ?? null);
    store.writer.submit(o.rows, o.deadLetter ? [o.deadLetter] : [], (err) => {
      if (err) throw err;
    });
    if (++n % 500 === 0) {
      store.writer.flush();
      runner.catchUp();
    }
    if (pending.length && e.at >= pending[0]!) {
      pending.shift();
      // A crash: the log is durable, the runner is behind it and its last checkpoint older still.
      store.writer.flush();
      store.close();
      store = openTestStore(dir);
      runner = mk();
      const { n: last } = store.db.prepare('SELECT max(pos) AS n FROM log').get() as { n: number };
      behind.push(last - runner.positions().maintenance!);
      ingest = ingestor();
    }
  }
  store.writer.flush();
  runner.catchUp();
  runner.checkpointAll();
  return { store, runner, behind };
}

export interface SeriesPoint {
  ts: number;
  value: number;
  body: string | null;
}

export function derived(store: Store, key: string): SeriesPoint[] {
  return store.db
    .prepare<[string], { ts: number; value: number; body: Buffer | null }>(
      'SELECT l.ts, l.value, l.body FROM log l JOIN series s ON s.id = l.series WHERE s.key = ? ORDER BY l.ts',
    )
    .all(key)
    .map((r) => ({ ts: r.ts, value: r.value, body: r.body ? r.body.toString('utf8') : null }));
}
