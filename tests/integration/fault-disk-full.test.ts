/**
 * Fault campaign: the data dir's disk fills up under QoS 1 load (issue 8, contract C1).
 *
 * A real PlantPulse child process keeps its data dir on a 32 MiB tmpfs mounted by the test (root
 * needed, as in CI; without root the test fails and says so). Three MQTT.js devices stream QoS 1
 * readings. Then a filler file takes every free byte: SQLite's commits fail with SQLITE_FULL. The
 * test shows PlantPulse then
 * - stops acknowledging (no PUBACK over a 3 s window while devices keep publishing), instead of
 *   acknowledging and dropping;
 * - stays alive (the InfluxDB sink's cursor writes fail too) and says so: /health `degraded` with `log` and `disk` not ready (SQLITE_FULL),
 *   plantpulse_commit_errors_total rising, plantpulse_data_dir_free_bytes ≈ 0, and a few error
 *   lines (not one per refused publish);
 * - recovers when the filler is deleted: acknowledgements resume and /health is ok again;
 * and at the end every acknowledged reading is in the log exactly once with its value.
 */
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { VictoriaMetrics } from '../../sinks/influx/testkit/victoria-metrics.js';
import { testPlant, writePlant } from '../helpers/plant-fixture.js';
import {
  addDevice,
  apiFetch,
  startChild,
  type PlantPulseChild,
} from '../helpers/plantpulse-process.js';
import { tempDir } from '../helpers/tmp.js';
import { Ledger, Publisher, waitFor, type CrashClock } from './crash-support/publisher.js';
import { acknowledgedCount, settle } from './crash-support/settle.js';
import { mountSmallDisk, smallDiskUnavailable } from './crash-support/small-disk.js';
import { compare, LOG_FILE, readLog } from './crash-support/verify.js';
import { metricValue, waitFor as poll, type Json } from './support/harness.js';

const DISK_MIB = 32;
const WINDOW = 16;
const RECONNECT_MS = 200;
const STALL_WINDOW_MS = 3_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const powerKw = (seq: number) => (seq % 500) + Math.floor(seq / 500) / 1e6;

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe('disk full under QoS 1 load (real child process, tmpfs data dir)', () => {
  it('stops acknowledging, stays alive and says so, recovers when space returns, loses nothing acknowledged', async (ctx) => {
    const unavailable = smallDiskUnavailable();
    if (unavailable) throw new Error(unavailable);

    const tmp = tempDir('plantpulse-diskfull-');
    cleanups.push(() => tmp.cleanup());
    const disk = mountSmallDisk(join(tmp.dir, 'disk'), DISK_MIB);
    cleanups.push(() => disk.unmount());
    const dataDir = join(disk.dir, 'data');
    // The sink ships the log while the disk fills: its cursor writes fail too, and must not kill
    // the process.
    const vm = await VictoriaMetrics.start(join(tmp.dir, 'vm'));
    cleanups.push(() => vm.stop('SIGKILL'));
    const config = writePlant(
      tmp.dir,
      testPlant({
        machines: 3,
        overrides: {
          sinks: {
            influx: {
              url: vm.url,
              bucket: 'plantpulse',
              flushInterval: '100ms',
              retryInitial: '100ms',
              retryMax: '500ms',
            },
          },
        },
      }),
    );
    const secret = addDevice(config, dataDir, 'gw1');
    const child: PlantPulseChild = await startChild({ config, dataDir });
    cleanups.push(() => child.kill());
    ctx.onTestFailed(() => {
      console.log(
        `PlantPulse exit ${child.child.exitCode ?? child.child.signalCode}; stderr:\n${child.stderr.slice(-30).join('\n')}\nlast log lines:\n${child.logs
          .slice(-10)
          .map((l) => JSON.stringify(l))
          .join('\n')}`,
      );
    });

    const base = Math.floor(Date.now() / 1000) * 1000 - 3_600_000;
    const clock: CrashClock = { epoch: 0 };
    const ledgers = ['m1', 'm2', 'm3'].map(
      (m) =>
        new Ledger(
          {
            key: `t/l1/${m}/power`,
            topic: `plants/t/l1/${m}/power`,
            device: 'gw1',
            secret,
            sentValue: powerKw,
            storedValue: (seq) => powerKw(seq) * 1000,
          },
          base,
        ),
    );
    const pubOpts = { url: child.mqttUrl, clock, window: WINDOW, reconnectPeriodMs: RECONNECT_MS };
    const publishers = ledgers.map(
      (l, i) => new Publisher(l, { ...pubOpts, clientId: `diskfull-${i}`, clean: false }),
    );
    cleanups.push(async () => {
      await Promise.all(publishers.map((p) => p.close()));
    });
    const acks = () => acknowledgedCount(ledgers);
    const metrics = async () => (await apiFetch(`${child.httpUrl}/metrics`)).text();
    const health = async () => (await (await fetch(`${child.httpUrl}/health`)).json()) as Json;

    for (const p of publishers) p.startProducing();
    expect(await waitFor(() => acks() > 3_000, 30_000), 'load flows before the fault').toBe(true);

    // The fault: take every free byte of the data dir's filesystem.
    const freeBefore = disk.freeBytes();
    const fillerBytes = disk.fill();
    const ackedAtFill = acks();
    await poll(
      async () => metricValue(await metrics(), 'plantpulse_commit_errors_total') > 0,
      'commits to fail once the disk is full',
      20_000,
    );
    // Acknowledgements already in flight when the disk filled may still arrive; then nothing.
    await sleep(500);
    const inMetricsBefore = metricValue(await metrics(), 'plantpulse_mqtt_messages_in_total');
    const stallFrom = acks();
    await sleep(STALL_WINDOW_MS);
    const ackedWhileFull = acks() - stallFrom;
    const text = await metrics();
    const attemptsWhileFull =
      metricValue(text, 'plantpulse_mqtt_messages_in_total') - inMetricsBefore;
    const commitErrors = metricValue(text, 'plantpulse_commit_errors_total');
    const freeGauge = metricValue(text, 'plantpulse_data_dir_free_bytes');
    const full = await health();
    const aliveWhileFull = child.child.exitCode === null && child.child.signalCode === null;

    // Space returns.
    disk.free();
    const freedAt = Date.now();
    const ackedAtFree = acks();
    expect(await waitFor(() => acks() > ackedAtFree + 1_000, 30_000), 'acks resume').toBe(true);
    const recoveryMs = Date.now() - freedAt;
    let recovered: Json;
    const deadline = Date.now() + 10_000;
    do {
      recovered = await health();
      if (recovered.status === 'ok') break;
      await sleep(100);
    } while (Date.now() < deadline);

    const settled = await settle(publishers, ledgers, pubOpts);
    // The sink catches up too: every stored reading reaches the server (at least once).
    await poll(
      async () => {
        const cursor = /cursor (\d+)/.exec(
          (await health()).components['sink:influx']?.detail ?? '',
        );
        return Number(cursor?.[1]) === metricValue(await metrics(), 'plantpulse_log_position');
      },
      'the sink to catch up after the disk-full episode',
      30_000,
    );
    const exitCode = await child.stop();
    const log = readLog(
      join(dataDir, LOG_FILE),
      ledgers.map((l) => l.spec.key),
      true,
    );
    const result = compare(log, ledgers);
    const onServer = await vm.exportSettled('{__name__="power_value"}', result.stored);
    const shippedDistinct = onServer.reduce((n, s) => n + new Set(s.timestamps).size, 0);
    const errorLines = child.logs.filter((l) => typeof l.level === 'number' && l.level >= 50);
    const fullLines = child.logs.filter((l) => /disk of the data dir is full/.test(String(l.msg)));
    const backLines = child.logs.filter((l) => /commits work again/.test(String(l.msg)));

    console.log(
      [
        `disk-full fault figures (${DISK_MIB} MiB tmpfs):`,
        `  free before the fault:                ${(freeBefore / 2 ** 20).toFixed(1)} MiB; filler ${(fillerBytes / 2 ** 20).toFixed(1)} MiB`,
        `  acknowledged before the disk filled:  ${ackedAtFill}`,
        `  publishes received while full (${STALL_WINDOW_MS / 1000} s): ${attemptsWhileFull}; acknowledged of them: ${ackedWhileFull}`,
        `  failed commits (metrics):             ${commitErrors}; free-bytes gauge ${freeGauge}`,
        `  /health while full:                   ${full.status}; log: ${full.components.log.detail}; disk: ${full.components.disk?.detail}; sink: ${full.components['sink:influx']?.detail}`,
        `  acknowledgements again after:         ${recoveryMs} ms; /health then ${recovered.status}`,
        `  readings published / acknowledged:    ${result.published} / ${result.acknowledged}; on VictoriaMetrics: ${shippedDistinct}`,
        `  stored / lost acknowledged / dups:    ${result.stored} / ${result.lostAcknowledged.length} / ${log.duplicates.length}`,
        `  resent by MQTT.js / republished at end: ${settled.clientResends} / ${settled.republishedAtEnd}`,
        `  error log lines: ${errorLines.length} (disk-full: ${fullLines.length}, recovery lines: ${backLines.length})`,
      ].join('\n'),
    );

    expect(aliveWhileFull, 'PlantPulse died when the disk filled').toBe(true);
    expect(attemptsWhileFull, 'devices kept publishing while the disk was full').toBeGreaterThan(0);
    expect(ackedWhileFull, 'PUBACKs sent while no commit could succeed').toBe(0);
    expect(commitErrors).toBeGreaterThan(0);
    expect(full.status).toBe('degraded');
    expect(full.components.log.ready).toBe(false);
    expect(full.components.log.detail).toMatch(/database or disk is full/);
    expect(full.components.disk.ready).toBe(false);
    expect(full.components.disk.detail).toMatch(/SQLITE_FULL/);
    expect(freeGauge).toBeLessThan(64 * 1024);
    expect(fullLines.length, 'one "disk is full" log line per episode').toBe(1);
    expect(backLines.length, 'one recovery log line').toBe(1);
    expect(recovered.status, '/health after space returned').toBe('ok');
    expect(recovered.components.disk).toBeUndefined();
    // Nothing acknowledged was lost, nothing stored twice, and everything got in at the end.
    expect(result.lostAcknowledged).toEqual([]);
    expect(log.duplicates).toEqual([]);
    expect(result.wrongValues).toEqual([]);
    expect(result.unexpected).toEqual([]);
    expect(settled.stillUnacked).toBe(0);
    expect(result.stored).toBe(result.published);
    expect(shippedDistinct, 'readings on the InfluxDB-compatible server').toBe(result.stored);
    expect(log.deadLetters).toBe(0);
    expect(exitCode).toBe(0);
  }, 120_000);
});
