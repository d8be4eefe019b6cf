/**
 * DESIGN C3 end to end with the real CLI: PlantPulse ingests readings over MQTT and ships them
 * to a real VictoriaMetrics (/api/v2/write). Under load the server is stopped for a while: the
 * backlog grows on disk (metrics and /health say so) while the PlantPulse process's memory
 * stays flat; after the restart the backlog drains and every reading arrives exactly once, in
 * order per series (read back through /api/v1/export).
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

const MACHINES = 4;
const PER_MSG = 1000;
const WARM = 30_000; // readings per sensor before the outage
const OUTAGE = 90_000; // readings per sensor published while the server is down
const T0 = Date.now() - 3 * 86_400_000;
const SENSORS = Array.from({ length: MACHINES }, (_, i) => `m${i + 1}`);

const tmp = tempDir('plantpulse-sink-outage-');
let vm: VictoriaMetrics;
let pp: PlantPulseChild;
let client: MqttClient;

function rssBytes(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m![1]) * 1024;
}

/** Readings [from, to) of every power sensor, in batched messages; value i % 500 kW. */
async function publish(from: number, to: number): Promise<void> {
  for (let start = from; start < to; start += PER_MSG * 10) {
    const msgs = [];
    for (let s = start; s < Math.min(to, start + PER_MSG * 10); s += PER_MSG) {
      for (const m of SENSORS) {
        const batch = [];
        for (let i = s; i < Math.min(to, s + PER_MSG); i++) batch.push({ ts: T0 + i, v: i % 500 });
        msgs.push({ topic: `plants/t/l1/${m}/power`, payload: JSON.stringify(batch) });
      }
    }
    await publishAll(client, msgs);
  }
}

async function metrics(): Promise<string> {
  return (await apiFetch(`${pp.httpUrl}/metrics`)).text();
}

beforeAll(async () => {
  vm = await VictoriaMetrics.start(`${tmp.dir}/vm`);
  const plant = testPlant({
    machines: MACHINES,
    anonymous: true,
    overrides: {
      ingest: { durability: 'normal', maxPayloadBytes: 4 * 1024 * 1024 },
      sinks: {
        influx: {
          url: vm.url,
          bucket: 'plantpulse',
          batchLines: 10_000,
          flushInterval: '100ms',
          retryInitial: '100ms',
          retryMax: '400ms',
          selfMetricsInterval: '500ms',
        },
      },
    },
  });
  const config = writePlant(tmp.dir, plant);
  pp = await startChild({ config, dataDir: `${tmp.dir}/data` });
  client = await connectMqtt(pp.mqttUrl, { clientId: 'outage-load' });
}, 60_000);

afterAll(async () => {
  await endAll(client);
  await pp?.kill();
  await vm?.stop('SIGKILL');
  tmp.cleanup();
});

describe('InfluxDB sink through an outage of the server', () => {
  /** The sink's cursor (live, from /health) has reached the end of the log (live, from /metrics). */
  const caughtUp = async () => {
    const health = (await (await fetch(`${pp.httpUrl}/health`)).json()) as Json;
    const cursor = /cursor (\d+)/.exec(health.components['sink:influx'].detail ?? '');
    const end = metricValue(await metrics(), 'plantpulse_log_position');
    return cursor !== null && end > 0 && Number(cursor[1]) === end;
  };

  it('ships live readings while the server is up', async () => {
    await publish(0, WARM);
    await waitFor(caughtUp, 'the sink to catch up', 60_000);
    const [one] = await vm.exportSettled('{__name__="power_value",machine="m1"}', WARM);
    expect(one!.values).toHaveLength(WARM);
  });

  it('keeps the backlog on disk while the server is down under load, and says so', async () => {
    const load = publish(WARM, WARM + OUTAGE / 3);
    await vm.stop('SIGTERM'); // mid-load
    await load;
    const rssBefore = rssBytes(pp.child.pid!);
    await publish(WARM + OUTAGE / 3, WARM + OUTAGE);
    await waitFor(
      async () =>
        metricValue(await metrics(), 'plantpulse_influx_write_errors_total', 'status="network"') >=
        3,
      'the sink to retry',
    );
    await waitFor(
      async () =>
        metricValue(await metrics(), 'plantpulse_influx_backlog_lines') >=
        (2 / 3) * OUTAGE * MACHINES,
      'the backlog gauge',
    );
    const text = await metrics();
    expect(metricValue(text, 'plantpulse_influx_backlog_age_seconds')).toBeGreaterThan(0);
    const health = (await (await fetch(`${pp.httpUrl}/health`)).json()) as Json;
    expect(health.status).toBe('degraded');
    expect(health.components['sink:influx'].ready).toBe(false);
    expect(health.components['sink:influx'].detail).toMatch(/network|ECONNREFUSED/);
    // For the record only: the whole process also holds ingest and analytics state. The sink's
    // own memory bound is asserted in isolation by sink-memory.test.ts.
    console.log(
      `outage: backlog ${metricValue(text, 'plantpulse_influx_backlog_lines')} positions; PlantPulse RSS ${(rssBefore / 2 ** 20).toFixed(0)} → ${(rssBytes(pp.child.pid!) / 2 ** 20).toFixed(0)} MiB`,
    );
  });

  it('drains the backlog after the restart: every line exactly once, in order per series', async () => {
    await vm.launch();
    await waitFor(caughtUp, 'the backlog to drain', 90_000);
    const n = WARM + OUTAGE;
    const ts = Array.from({ length: n }, (_, i) => T0 + i);
    const values = Array.from({ length: n }, (_, i) => (i % 500) * 1000); // kW → W
    const power = await vm.exportSettled('{__name__="power_value"}', n * MACHINES);
    expect(power.map((s) => s.metric.machine).sort()).toEqual(SENSORS);
    for (const s of power) {
      expect(s.timestamps.length).toBe(n); // no duplicate, no gap
      expect(s.timestamps).toEqual(ts);
      expect(s.values).toEqual(values);
    }
    // Derived series (analytics) travel too: every confirmed line is one sample on the server.
    // (Compared while no line is shipped in between: analytics may still be emitting.)
    let samples = -1;
    let shipped = -2;
    await waitFor(
      async () => {
        const before = metricValue(await metrics(), 'plantpulse_influx_shipped_lines_total');
        // PlantPulse's own metrics (self-metrics.ts) are written beside the log, not shipped from it.
        const all = await vm.export('{__name__=~".+",__name__!~"plantpulse_.*"}');
        samples = all.reduce((sum, s) => sum + s.values.length, 0);
        shipped = metricValue(await metrics(), 'plantpulse_influx_shipped_lines_total');
        // samples < shipped is VictoriaMetrics still making accepted rows searchable (see
        // exportSettled); samples > shipped would be a duplicate, and fails below.
        return before === shipped && samples >= shipped;
      },
      'a quiet moment with every shipped line searchable',
      30_000,
    );
    expect(samples).toBe(shipped);
    const health = (await (await fetch(`${pp.httpUrl}/health`)).json()) as Json;
    expect(health.components['sink:influx'].ready).toBe(true);
  });

  it("writes PlantPulse's own counters and gauges beside the data (Ingest health dashboard)", async () => {
    let own: Awaited<ReturnType<VictoriaMetrics['export']>> = [];
    await waitFor(async () => {
      own = await vm.export('{__name__="plantpulse_influx_shipped_lines_total_value"}');
      return own.length > 0 && own[0]!.values.at(-1)! > 0;
    }, 'own metrics in VictoriaMetrics');
    expect(own[0]!.metric.instance).toBeTruthy();
    const backlog = await vm.export('{__name__="plantpulse_influx_backlog_lines_value"}');
    expect(backlog.length).toBe(1);
  });
});
