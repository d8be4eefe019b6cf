/**
 * Crash test for contract C1 (an acknowledged reading is never lost) and C2 (idempotent writes).
 *
 * A real PlantPulse child process (`node dist/cli/main.js start`) runs under a continuous QoS 1
 * load from six MQTT.js clients (fixed client ids, clean:false, one sensor each, a bounded
 * in-flight window). It is killed with SIGKILL 20–24 times at random moments (seeded: the seed is
 * printed, CRASH_SEED overrides it; CRASH_KILLS=lo,hi changes the range) and restarted at once on the same data dir and MQTT port;
 * the publishers' reconnect loop finds it again and MQTT.js replays its unacknowledged PUBLISH
 * packets. Checks:
 *
 * - after every kill, a copy of the log exactly as the crash left it holds every reading whose
 *   PUBACK the publishers had seen by then (no acknowledged reading lost at any crash);
 * - at the end (load stopped, every never-acknowledged reading republished by a fresh client, as
 *   a device resends what was not acknowledged, then SIGTERM), the log holds every acknowledged
 *   reading exactly once with the published value (kW → W), nothing else, no (series, ts) twice,
 *   and as many rows as distinct readings were published; no dead letters.
 */
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { testPlant, writePlant } from '../helpers/plant-fixture.js';
import { addDevice, startChild, type PlantPulseChild } from '../helpers/plantpulse-process.js';
import { tempDir } from '../helpers/tmp.js';
import { freePort } from './crash-support/free-port.js';
import { crashSeed, killRange, mulberry32, randomInt } from './crash-support/prng.js';
import {
  Ledger,
  Publisher,
  waitFor,
  type CrashClock,
  type SensorSpec,
} from './crash-support/publisher.js';
import { settle } from './crash-support/settle.js';
import { compare, LOG_FILE, readLog, snapshotLog } from './crash-support/verify.js';

const WINDOW = 32; // in-flight publishes per client
const RECONNECT_MS = 150;
const KILL_DELAY_MS: [number, number] = [100, 700];
// The fault campaign of issue 8 asks for at least 20 kills; a restart costs ~1 s, so 20–24 keep
// the test near a minute and a half.
const KILLS = killRange(process.env.CRASH_KILLS, [20, 24]);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// Values encode seq uniquely (integer part and millionths) and stay inside the sensors' valid
// ranges (power 0–500 kW, temp −20–150 °C). JSON and SQLite REAL carry doubles exactly, and kW → W
// is one multiplication by 1000, so stored values are compared exactly.
const powerKw = (seq: number) => (seq % 500) + Math.floor(seq / 500) / 1e6;
const tempC = (seq: number) => -20 + (seq % 170) + Math.floor(seq / 170) / 1e6;

function sensors(secrets: Record<'gw1' | 'gw2', string>): SensorSpec[] {
  const power = (key: string, device: 'gw1' | 'gw2'): SensorSpec => ({
    key,
    topic: `plants/${key}`,
    device,
    secret: secrets[device],
    sentValue: powerKw,
    storedValue: (seq) => powerKw(seq) * 1000, // canonical W
  });
  const temp = (key: string): SensorSpec => ({
    key,
    topic: `plants/${key}`,
    device: 'gw1',
    secret: secrets.gw1,
    sentValue: tempC,
    storedValue: tempC,
  });
  return [
    power('t/l1/m1/power', 'gw1'),
    temp('t/l1/m1/temp'),
    power('t/l1/m2/power', 'gw1'),
    temp('t/l1/m2/temp'),
    power('t/l1/m3/power', 'gw1'),
    power('t/l2/x1/power', 'gw2'),
  ];
}

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe('crash safety under QoS 1 load (real child process, SIGKILL)', () => {
  it('stores every acknowledged reading exactly once across repeated SIGKILLs and restarts', async (ctx) => {
    const seed = crashSeed();
    const rng = mulberry32(seed);
    const kills = randomInt(rng, KILLS[0], KILLS[1]);
    console.log(`crash test: seed ${seed} (replay with CRASH_SEED=${seed}), ${kills} kills`);

    const tmp = tempDir('plantpulse-crash-');
    let failed = false;
    ctx.onTestFailed(() => {
      failed = true;
    });
    cleanups.push(() => {
      if (failed) console.log(`crash test failed: data kept in ${tmp.dir}`);
      else tmp.cleanup();
    });
    const dataDir = join(tmp.dir, 'data');
    const config = writePlant(tmp.dir, testPlant({ machines: 3 }));
    const secrets = {
      gw1: addDevice(config, dataDir, 'gw1'),
      gw2: addDevice(config, dataDir, 'gw2'),
    };
    const mqttPort = await freePort();

    let child: PlantPulseChild | undefined;
    const children: PlantPulseChild[] = [];
    const start = async () => {
      child = await startChild({ config, dataDir, mqttPort });
      children.push(child);
      return child;
    };
    cleanups.push(async () => {
      await child?.kill();
    });
    await start();

    // ts = base + seq: unique and strictly increasing per sensor, an hour in the past (inside the accepted window).
    const base = Math.floor(Date.now() / 1000) * 1000 - 3_600_000;
    const clock: CrashClock = { epoch: 0 };
    const ledgers = sensors(secrets).map((s) => new Ledger(s, base));
    const url = `mqtt://127.0.0.1:${mqttPort}`;
    const publishers = ledgers.map(
      (l) =>
        new Publisher(l, {
          url,
          clientId: `crash-${l.spec.key.replaceAll('/', '-')}`,
          clean: false,
          window: WINDOW,
          reconnectPeriodMs: RECONNECT_MS,
          clock,
        }),
    );
    cleanups.push(async () => {
      await Promise.all(publishers.map((p) => p.close()));
    });
    const acks = () =>
      ledgers.reduce((n, l) => n + l.readings.reduce((m, r) => m + (r.acks > 0 ? 1 : 0), 0), 0);
    for (const p of publishers) p.startProducing();

    // Kill at a random moment of the load: a random delay after this child's first PUBACK (so
    // the publishers' replays and new readings are in flight, even on a slow machine).
    const snapshots: { epoch: number; file: string; acked: number }[] = [];
    const killLog: string[] = [];
    for (let k = 0; k < kills; k++) {
      const readyAt = Date.now();
      const acksAtReady = acks();
      const flowing = await waitFor(() => acks() > acksAtReady, 20_000);
      expect(
        flowing,
        `kill ${k + 1}: the restarted PlantPulse acknowledged nothing within 20 s; publisher errors: ${publishers.map((p) => p.lastError).join(' | ')}`,
      ).toBe(true);
      const flowingAfter = Date.now() - readyAt;
      const delay = randomInt(rng, KILL_DELAY_MS[0], KILL_DELAY_MS[1]);
      await sleep(delay);
      const ackedBefore = acks();
      await child!.kill();
      const killedAfter = Date.now() - readyAt;
      const acked = acks(); // every PUBACK seen so far came from a process that is now dead
      snapshots.push({
        epoch: clock.epoch,
        file: snapshotLog(dataDir, join(tmp.dir, `after-kill-${k + 1}`)),
        acked,
      });
      clock.epoch++;
      killLog.push(
        `kill ${k + 1}: first PUBACK at +${flowingAfter} ms, killed ${delay} ms later (+${killedAfter} ms), ${acked - acksAtReady} acks from that process (${acked - ackedBefore} read after SIGKILL)`,
      );
      await start();
    }
    // Let the last process take load (and the clients' replays) for a moment before stopping.
    const acksAtLastReady = acks();
    expect(
      await waitFor(() => acks() > acksAtLastReady, 20_000),
      'the last PlantPulse acknowledged nothing',
    ).toBe(true);
    await sleep(randomInt(rng, KILL_DELAY_MS[0], KILL_DELAY_MS[1]));

    // Stop producing, let MQTT.js drain what it still holds, then (as a device resends what was
    // never acknowledged) republish the rest with fresh clients, so the end state does not depend
    // on MQTT.js's outgoing store alone.
    const {
      drained,
      pendingAfterDrain,
      ackedByLoad,
      clientResends,
      republishedAfterError,
      connects,
      republishedAtEnd,
      finalDrained,
      stillUnacked,
    } = await settle(publishers, ledgers, {
      url,
      clock,
      window: WINDOW,
      reconnectPeriodMs: RECONNECT_MS,
      finalClientId: 'crash-final',
    });

    const exitCode = await child!.stop();
    child = undefined;

    // The final log, read-only.
    const keys = ledgers.map((l) => l.spec.key);
    const log = readLog(join(dataDir, LOG_FILE), keys, true);
    const result = compare(log, ledgers);
    // Every crash left every reading acknowledged by then on disk.
    const atKills = snapshots.map((s) => {
      const snap = readLog(s.file, keys, false);
      return { ...s, duplicates: snap.duplicates.length, ...compare(snap, ledgers, s.epoch) };
    });

    const published = result.published;
    // pino levels: 50 error, 60 fatal. A crash is not an error of the next process.
    const errorLines = children.flatMap((c) =>
      c.logs.filter((l) => typeof l.level === 'number' && l.level >= 50),
    );
    console.log(
      [
        `crash test figures (seed ${seed}):`,
        ...killLog.map((l) => `  ${l}`),
        `  kills (SIGKILL + restart):             ${kills}`,
        `  accepted client connections:           ${connects}`,
        `  readings published (distinct):         ${published}`,
        `  acknowledged during the load:          ${ackedByLoad}`,
        `  resent by MQTT.js (outgoing store):    ${clientResends}`,
        `  republished after a publish error:     ${republishedAfterError}`,
        `  still pending after the drain:          ${pendingAfterDrain} (drained: ${drained})`,
        `  never acknowledged, republished at end: ${republishedAtEnd} (all acknowledged after: ${finalDrained && stillUnacked === 0})`,
        `  acknowledged in total:                 ${result.acknowledged}`,
        `  stored rows:                           ${result.stored}`,
        `  duplicates (series, ts):               ${log.duplicates.length}`,
        `  wrong values:                          ${result.wrongValues.length}`,
        `  lost acknowledged (final log):         ${result.lostAcknowledged.length}`,
        `  lost acknowledged (at the kills):      ${atKills.map((s) => `${s.lostAcknowledged.length}/${s.acknowledged}`).join(' ')}`,
        `  dead letters:                          ${log.deadLetters}`,
        `  error log lines of the ${children.length} processes: ${errorLines.length}`,
      ].join('\n'),
    );

    // Each crash: nothing acknowledged by then is missing from the log the crash left.
    for (const s of atKills) {
      expect(
        s.lostAcknowledged,
        `acknowledged readings missing from the log left by kill ${s.epoch + 1}`,
      ).toEqual([]);
      expect(s.wrongValues, `wrong values in the log left by kill ${s.epoch + 1}`).toEqual([]);
      expect(s.unexpected, `unpublished readings in the log left by kill ${s.epoch + 1}`).toEqual(
        [],
      );
      expect(s.duplicates, `duplicates in the log left by kill ${s.epoch + 1}`).toBe(0);
    }
    // The must-show: every acknowledged reading stored, exactly once, with its value.
    expect(result.lostAcknowledged, 'acknowledged readings missing from the final log').toEqual([]);
    expect(log.duplicates, '(series, ts) stored more than once').toEqual([]);
    expect(result.wrongValues, 'stored values differ from the published ones').toEqual([]);
    expect(result.unexpected, 'rows that were never published').toEqual([]);
    // After the explicit republish, everything published is acknowledged and stored once.
    expect(stillUnacked, 'readings still unacknowledged after the final republish').toBe(0);
    expect(result.acknowledged).toBe(published);
    expect(result.stored).toBe(published);
    expect(log.deadLetters, 'valid readings were dead-lettered').toBe(0);
    expect(errorLines, 'PlantPulse logged errors').toEqual([]);
    // The premise of the test: kills caught publishes in flight and MQTT.js replayed them.
    expect(
      clientResends,
      'MQTT.js never replayed an unacknowledged PUBLISH: the kills caught nothing in flight',
    ).toBeGreaterThan(0);
    expect(exitCode, 'PlantPulse did not exit cleanly on SIGTERM').toBe(0);
  }, 200_000);
});
