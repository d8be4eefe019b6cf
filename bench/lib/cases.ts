/**
 * One benchmark case: start a fresh broker (Mosquitto or PlantPulse), run the load generator
 * against it, sample its memory and CPU, and for PlantPulse check that every acknowledged
 * reading is stored. Every case gets its own broker process, so no case inherits another's
 * data, memory or warm caches.
 */
import { renameSync } from 'node:fs';
import { join } from 'node:path';
import { summariseProfile } from './cpuprofile.js';
import { runLoad, type LoadResult } from './load.js';
import type { Codec } from './mqtt-wire.js';
import { startMosquitto } from './mosquitto.js';
import { defaultTsBase } from './payload.js';
import { startPlantPulse, type RunningPlantPulse, type StopOutcome } from './plantpulse.js';
import { collectAfterLoad, durabilityCheck, type AfterLoad } from './plantpulse-checks.js';
import { MemorySampler, readCpuSeconds, readMachineBusySeconds, waitForIdle } from './proc.js';
import { fmtInt, type CaseKind, type CaseResult, type TargetName } from './report.js';

export interface BenchOptions {
  durationS: number;
  warmupS: number;
  connections: number;
  rate: number;
  window: number;
  batchWindow: number;
  refill: number;
  rateWindow: number;
  batchSize: number;
  workers: number;
  codec: Codec;
  durability: 'full' | 'normal';
  /** PlantPulse's anomaly scoring (on by default in PlantPulse). */
  anomaly: boolean;
  /** PlantPulse CLI to run, when not the build next to the bench. */
  cli?: string;
  profileDir?: string;
  /** Before each case, wait up to this many seconds for the machine to be idle. */
  waitIdleS: number;
  log: (line: string) => void;
}

const LABELS: Record<CaseKind, string> = {
  single: 'QoS 1, 1 reading/msg, max rate',
  batch: 'QoS 1, N readings/msg, max rate',
  latency: 'QoS 1, 1 reading/msg, fixed rate',
};

export function caseLabel(
  kind: CaseKind,
  target: TargetName,
  o: Pick<BenchOptions, 'batchSize' | 'rate'>,
): string {
  const who = target === 'mosquitto' ? 'Mosquitto' : 'PlantPulse';
  const what =
    kind === 'batch'
      ? LABELS.batch.replace('N', String(o.batchSize))
      : kind === 'latency'
        ? LABELS.latency.replace('fixed rate', `${Math.round(o.rate / 1000)}k msg/s`)
        : LABELS.single;
  return `${who}: ${what}`;
}

const q = (h: LoadResult['latency'], p: number) => h.quantile(p) / 1000;

export async function runCase(
  kind: CaseKind,
  target: TargetName,
  o: BenchOptions,
): Promise<CaseResult> {
  const readingsPerMessage = kind === 'batch' ? o.batchSize : 1;
  const label = caseLabel(kind, target, o);
  const result: CaseResult = { kind, target, label, status: 'ok', readingsPerMessage };
  o.log(`\n▶ ${label}`);
  if (o.waitIdleS > 0) {
    const t = performance.now();
    const busy = await waitForIdle(o.waitIdleS);
    const waited = (performance.now() - t) / 1000;
    if (busy >= 0.15)
      o.log(
        `  ! the machine is still busy (${(busy * 100).toFixed(0)} % CPU) after waiting ${waited.toFixed(0)} s; measuring anyway`,
      );
    else if (waited > 3)
      o.log(`  waited ${waited.toFixed(0)} s for other work on the machine to finish`);
  }

  let server: { pid: number; port: number; stop: () => Promise<StopOutcome | void> };
  let plantpulse: RunningPlantPulse | undefined;
  let mosquittoLog: string[] | undefined;
  try {
    if (target === 'mosquitto') {
      const m = await startMosquitto();
      server = m;
      mosquittoLog = m.stderr;
      o.log(`  mosquitto pid ${m.pid} on 127.0.0.1:${m.port}`);
    } else {
      plantpulse = await startPlantPulse({
        machines: o.connections,
        durability: o.durability,
        anomaly: o.anomaly,
        cli: o.cli,
        cpuProfileDir: o.profileDir,
      });
      server = { pid: plantpulse.pid, port: plantpulse.mqttPort, stop: () => plantpulse!.stop() };
      o.log(
        `  plantpulse pid ${plantpulse.pid} on mqtt 127.0.0.1:${plantpulse.mqttPort}, http ${plantpulse.httpPort} (durability ${o.durability}, anomaly scoring ${o.anomaly ? 'on' : 'off'}${o.profileDir ? ', --cpu-prof' : ''})`,
      );
    }
  } catch (err) {
    result.status = 'failed';
    result.error = (err as Error).message;
    o.log(`  ✗ could not start ${target}: ${result.error}`);
    return result;
  }

  const memory = new MemorySampler(server.pid);
  let cpu0 = 0;
  let bench0 = 0;
  let machine0 = 0;
  let t0 = 0;
  const windowUs = { fromUs: 0, toUs: 0 };
  const monotonicUs = () => Number(process.hrtime.bigint() / 1000n);
  let load: LoadResult | undefined;
  let after: AfterLoad | undefined;
  try {
    load = await runLoad({
      host: '127.0.0.1',
      port: server.port,
      connections: o.connections,
      workers: o.workers,
      mode: kind === 'latency' ? 'rate' : 'throughput',
      rate: o.rate,
      window: kind === 'latency' ? o.rateWindow : kind === 'batch' ? o.batchWindow : o.window,
      refill: o.refill,
      readingsPerMessage,
      tsBase: defaultTsBase(),
      codec: o.codec,
      warmupMs: o.warmupS * 1000,
      durationMs: o.durationS * 1000,
      subscribeTo: target === 'mosquitto' ? 'plants/#' : undefined,
      onMeasure: (phase) => {
        if (phase === 'start') {
          cpu0 = readCpuSeconds(server.pid);
          bench0 = readCpuSeconds(process.pid);
          machine0 = readMachineBusySeconds();
          t0 = performance.now();
          windowUs.fromUs = monotonicUs();
        } else {
          windowUs.toUs = monotonicUs();
          const s = (performance.now() - t0) / 1000;
          result.serverCpuPct = ((readCpuSeconds(server.pid) - cpu0) / s) * 100;
          const benchPct = ((readCpuSeconds(process.pid) - bench0) / s) * 100;
          // Whatever else ran on the machine meanwhile (other people's tests, the kernel's softirq threads).
          result.otherCpuPct = Math.max(
            0,
            ((readMachineBusySeconds() - machine0) / s) * 100 - result.serverCpuPct - benchPct,
          );
        }
      },
      log: o.log,
    });
    const mem = memory.stop();
    Object.assign(result, {
      messagesPerS: load.messagesPerS,
      readingsPerS: load.readingsPerS,
      latencyMs: {
        p50: q(load.latency, 0.5),
        p99: q(load.latency, 0.99),
        max: q(load.latency, 1),
        mean: load.latency.mean / 1000,
        samples: load.latency.count,
      },
      lagMs:
        kind === 'latency'
          ? { p50: q(load.lag, 0.5), p99: q(load.lag, 0.99), max: q(load.lag, 1) }
          : undefined,
      requestedRate: kind === 'latency' ? o.rate : undefined,
      rssPeakMiB: mem.peakRssMiB,
      rssHwmMiB: mem.hwmMiB,
      generatorCpuPct: load.generatorCpuPct,
      subscriberCpuPct: load.subscriberCpuPct,
      payloadBytes: load.avgPayloadBytes,
      frameBytes: load.avgFrameBytes,
      measuredS: load.measuredS,
      delivered: load.delivered,
      acked: {
        messages: load.ackedTotal,
        readings: load.ackedTotal * readingsPerMessage,
        sentMessages: load.sentTotal,
        unacked: load.unackedAtEnd,
        protocolErrors: load.protocolErrors,
        connectionsLost: load.connectionsLost,
        backlogDropped: load.backlogDropped,
      },
    } satisfies Partial<CaseResult>);
    o.log(
      `  → ${Math.round(load.messagesPerS).toLocaleString('en-US')} msg/s, ${Math.round(load.readingsPerS).toLocaleString('en-US')} readings/s, ` +
        `p50 ${result.latencyMs!.p50.toFixed(2)} ms, p99 ${result.latencyMs!.p99.toFixed(2)} ms, RSS ${mem.peakRssMiB.toFixed(0)} MiB, ` +
        `server CPU ${result.serverCpuPct?.toFixed(0)} %, generator CPU ${load.generatorCpuPct.toFixed(0)} %` +
        (load.subscriberCpuPct !== undefined
          ? ` + subscriber ${load.subscriberCpuPct.toFixed(0)} %`
          : '') +
        `, other processes ${result.otherCpuPct?.toFixed(0)} %`,
    );
    if (load.connectionsLost > 0)
      o.log(`  ! the broker closed ${load.connectionsLost} connections during the run`);
    if (load.protocolErrors > 0)
      o.log(`  ! ${load.protocolErrors} PUBACKs for no message in flight (protocol errors)`);
    if (load.delivered && load.delivered.total < load.ackedTotal)
      o.log(
        `  ! the subscriber got ${load.delivered.total} of ${load.ackedTotal} acknowledged messages`,
      );

    if (mosquittoLog) {
      // Mosquitto logs at warning level when it drops messages or disconnects clients.
      result.problems = mosquittoLog
        .filter(
          (l) =>
            !/mosquitto version|Opening ipv|running|Config loaded|New connection|New client|disconnected|Client .* closed/.test(
              l,
            ),
        )
        .slice(0, 50);
      for (const p of result.problems.slice(0, 5)) o.log(`  mosquitto: ${p}`);
    }
    if (plantpulse) {
      after = await collectAfterLoad(plantpulse, load, o.log);
      result.commits = after.commits;
    }
  } catch (err) {
    memory.stop();
    result.status = 'failed';
    result.error = (err as Error).message;
    o.log(`  ✗ ${result.error}`);
  } finally {
    const stopped = await server.stop();
    if (plantpulse && stopped) {
      if (load && result.status === 'ok') {
        result.durability = durabilityCheck(load, readingsPerMessage, after ?? {}, stopped);
        const d = result.durability;
        o.log(
          `  durability: acknowledged ${fmtInt(d.ackedReadings)} readings, stored ${fmtInt(d.storedReadings)} ` +
            `(log rows incl. derived: ${fmtInt(d.logRows)}), dead letters ${fmtInt(d.deadLetters)} → ${d.ok ? 'ok' : 'MISMATCH'}: ${d.note}`,
        );
      }
      result.problems = plantpulse.problems.filter(
        (p) => !/ANONYMOUS|does not yet require tokens/.test(p),
      );
      if (stopped.cpuProfile && o.profileDir) {
        const named = join(o.profileDir, `${target}-${kind}.cpuprofile`);
        renameSync(stopped.cpuProfile, named);
        result.profileFile = named;
        result.profile = summariseProfile(named, 25, windowUs.toUs > 0 ? windowUs : undefined);
      }
    }
  }
  return result;
}
