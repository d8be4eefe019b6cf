/**
 * Fault campaign: the InfluxDB-compatible server is down for minutes under load (issue 8, C3).
 *
 * A real PlantPulse child process ships to a real VictoriaMetrics (/api/v2/write) while a device
 * publishes a steady QoS 1 load (2 sensors × 20 messages/s × 100 readings = 4,000 readings/s).
 * The server is stopped for FAULT_OUTAGE_S seconds (default 120: "minutes", within CI's budget)
 * while the load goes on; every 10 s the test prints the backlog (plantpulse_influx_backlog_lines)
 * and PlantPulse's RSS. Then the server returns, the load continues, and the test measures the
 * drain rate until the backlog is under one second of load. After the load stops and the sink has
 * caught up, every published reading must be on the server exactly once, in order, with its
 * value: 0 lost, 0 duplicated. tests/integration/sink-outage.test.ts covers the short outage and
 * /health details; sink-memory.test.ts asserts the sink's memory bound.
 */
import { readFileSync } from 'node:fs';
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VictoriaMetrics } from '../../sinks/influx/testkit/victoria-metrics.js';
import { apiFetch, startChild, type PlantPulseChild } from '../helpers/plantpulse-process.js';
import { testPlant, writePlant } from '../helpers/plant-fixture.js';
import { tempDir } from '../helpers/tmp.js';
import {
  connectMqtt,
  endAll,
  metricValue,
  publishAll,
  waitFor,
  type Json,
} from './support/harness.js';

const OUTAGE_S = Number(process.env.FAULT_OUTAGE_S ?? 120);
const SENSORS = ['m1', 'm2'];
const PER_MSG = 100;
const TICK_MS = 50; // one message per sensor per tick: 2 × 20 × 100 = 4,000 readings/s
const T0 = Date.now() - 3 * 86_400_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const tmp = tempDir('plantpulse-fault-outage-');
let vm: VictoriaMetrics;
let pp: PlantPulseChild;
let client: MqttClient;

const rssMiB = (pid: number) =>
  Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024;

beforeAll(async () => {
  vm = await VictoriaMetrics.start(`${tmp.dir}/vm`);
  const plant = testPlant({
    machines: SENSORS.length,
    anonymous: true,
    overrides: {
      sinks: {
        influx: {
          url: vm.url,
          bucket: 'plantpulse',
          batchLines: 10_000,
          flushInterval: '100ms',
          retryInitial: '200ms',
          retryMax: '2s',
        },
      },
    },
  });
  pp = await startChild({ config: writePlant(tmp.dir, plant), dataDir: `${tmp.dir}/data` });
  client = await connectMqtt(pp.mqttUrl, { clientId: 'fault-outage-load' });
}, 60_000);

afterAll(async () => {
  await endAll(client);
  await pp?.kill();
  await vm?.stop('SIGKILL');
  tmp.cleanup();
});

describe(`InfluxDB-compatible server down for ${OUTAGE_S} s under load`, () => {
  it(
    'keeps the backlog on disk, drains it after the outage, and loses or duplicates nothing',
    async () => {
      const metrics = async () => (await apiFetch(`${pp.httpUrl}/metrics`)).text();
      const caughtUp = async () => {
        const health = (await (await fetch(`${pp.httpUrl}/health`)).json()) as Json;
        const cursor = /cursor (\d+)/.exec(health.components['sink:influx'].detail ?? '');
        const end = metricValue(await metrics(), 'plantpulse_log_position');
        return cursor !== null && end > 0 && Number(cursor[1]) === end;
      };

      // The steady load: every tick, one 100-reading message per sensor, QoS 1.
      let next = 0;
      let loading = true;
      const load = (async () => {
        while (loading) {
          const tick = Date.now();
          const from = next;
          next += PER_MSG;
          await publishAll(
            client,
            SENSORS.map((m) => ({
              topic: `plants/t/l1/${m}/power`,
              payload: JSON.stringify(
                Array.from({ length: PER_MSG }, (_, k) => ({
                  ts: T0 + from + k,
                  v: (from + k) % 500,
                })),
              ),
            })),
          );
          await sleep(Math.max(0, TICK_MS - (Date.now() - tick)));
        }
      })();

      await sleep(5_000);
      await waitFor(caughtUp, 'the sink to ship the warm-up', 30_000).catch(() => undefined);

      // The outage.
      await vm.stop('SIGTERM');
      const samples: string[] = [];
      let rssMin = Infinity;
      let rssMax = 0;
      const outageStart = Date.now();
      const backlogAtStart = metricValue(await metrics(), 'plantpulse_influx_backlog_lines');
      for (let s = 10; s <= OUTAGE_S; s += 10) {
        await sleep(outageStart + s * 1000 - Date.now());
        const text = await metrics();
        const rss = rssMiB(pp.child.pid!);
        rssMin = Math.min(rssMin, rss);
        rssMax = Math.max(rssMax, rss);
        samples.push(
          `  t+${String(s).padStart(3)} s: backlog ${metricValue(text, 'plantpulse_influx_backlog_lines').toLocaleString('en-US').padStart(9)} lines, age ${metricValue(text, 'plantpulse_influx_backlog_age_seconds').toFixed(0)} s, published ${(next * SENSORS.length).toLocaleString('en-US')}, RSS ${rss.toFixed(0)} MiB`,
        );
      }
      const atRestart = await metrics();
      const backlogAtRestart = metricValue(atRestart, 'plantpulse_influx_backlog_lines');
      const shippedAtRestart = metricValue(atRestart, 'plantpulse_influx_shipped_lines_total');
      const writeErrors = metricValue(
        atRestart,
        'plantpulse_influx_write_errors_total',
        'status="network"',
      );
      const healthDuring = (await (await fetch(`${pp.httpUrl}/health`)).json()) as Json;

      // The server returns while the load goes on; drained = backlog under one second of load.
      await vm.launch();
      const relaunched = Date.now();
      await waitFor(
        async () =>
          metricValue(await metrics(), 'plantpulse_influx_backlog_lines') <
          100 * SENSORS.length * 20,
        'the backlog to drain',
        120_000,
      );
      const drainS = (Date.now() - relaunched) / 1000;
      const shippedInDrain =
        metricValue(await metrics(), 'plantpulse_influx_shipped_lines_total') - shippedAtRestart;

      loading = false;
      await load;
      await waitFor(caughtUp, 'the sink to catch up after the load', 60_000);
      const published = next;

      const power = await vm.exportSettled('{__name__="power_value"}', published * SENSORS.length);
      const lost: string[] = [];
      const duplicated: string[] = [];
      for (const m of SENSORS) {
        const s = power.find((p) => p.metric.machine === m);
        const ts = s?.timestamps ?? [];
        const seen = new Set(ts);
        if (seen.size !== ts.length) duplicated.push(`${m}: ${ts.length - seen.size}`);
        const missing = published - [...seen].filter((t) => t >= T0 && t < T0 + published).length;
        if (missing > 0) lost.push(`${m}: ${missing}`);
        expect(ts, `${m}: in order, each once`).toEqual(
          Array.from({ length: published }, (_, i) => T0 + i),
        );
        expect(s!.values).toEqual(Array.from({ length: published }, (_, i) => (i % 500) * 1000));
      }

      console.log(
        [
          `sink-outage fault figures: server down ${OUTAGE_S} s under ${(SENSORS.length * PER_MSG * (1000 / TICK_MS)).toLocaleString('en-US')} readings/s (target rate)`,
          `  backlog at the start of the outage: ${backlogAtStart.toLocaleString('en-US')} lines`,
          ...samples,
          `  backlog growth: ${((backlogAtRestart - backlogAtStart) / OUTAGE_S).toFixed(0)} lines/s; failed writes (network) ${writeErrors}; /health ${healthDuring.status}`,
          `  PlantPulse RSS during the outage: ${rssMin.toFixed(0)}–${rssMax.toFixed(0)} MiB`,
          `  drain under load: ${backlogAtRestart.toLocaleString('en-US')} lines backlog; ${shippedInDrain.toLocaleString('en-US')} lines shipped in ${drainS.toFixed(1)} s = ${Math.round(shippedInDrain / drainS).toLocaleString('en-US')} lines/s`,
          `  readings published per sensor: ${published.toLocaleString('en-US')}; lost: ${lost.join(', ') || 0}; duplicated: ${duplicated.join(', ') || 0}`,
        ].join('\n'),
      );
      expect(writeErrors).toBeGreaterThan(0);
      expect(healthDuring.status).toBe('degraded');
      expect(backlogAtRestart).toBeGreaterThan(backlogAtStart);
      expect(lost).toEqual([]);
      expect(duplicated).toEqual([]);
    },
    (OUTAGE_S + 180) * 1000,
  );
});
