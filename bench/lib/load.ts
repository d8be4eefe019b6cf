/**
 * Runs the load generator against one broker: starts the worker threads (and, for the baseline,
 * the counting subscriber), connects every device, warms up, measures, stops, drains what is in
 * flight and closes. The caller gets message and reading rates over the measured window, the
 * merged latency histograms, totals for the durability check and the generator's own CPU use.
 */
import { Worker } from 'node:worker_threads';
import { Histogram } from './histogram.js';
import {
  COUNTER_SLOTS,
  type LoadWorkerCommand,
  type LoadWorkerConfig,
  type LoadWorkerReport,
} from './load-protocol.js';
import type { Codec } from './mqtt-wire.js';
import { readCpuSeconds } from './proc.js';
import type { SubscriberConfig, SubscriberReport } from './subscriber-worker.js';

export interface LoadOptions {
  host: string;
  port: number;
  connections: number;
  workers: number;
  mode: 'throughput' | 'rate';
  /** Total messages per second (rate mode). */
  rate: number;
  window: number;
  refill: number;
  readingsPerMessage: number;
  tsBase: number;
  codec: Codec;
  warmupMs: number;
  durationMs: number;
  /** Also run a QoS 1 subscriber on this filter and count deliveries (the Mosquitto baseline). */
  subscribeTo?: string;
  /** Called at the exact start and end of the measured window (server CPU snapshots). */
  onMeasure?: (phase: 'start' | 'end') => void;
  log: (line: string) => void;
}

export interface LoadResult {
  measuredS: number;
  messages: number;
  readings: number;
  messagesPerS: number;
  readingsPerS: number;
  latency: Histogram;
  lag: Histogram;
  /** Totals over the whole run (warm-up included), after draining. */
  sentTotal: number;
  ackedTotal: number;
  unackedAtEnd: number;
  protocolErrors: number;
  connectionsLost: number;
  backlogDropped: number;
  avgPayloadBytes: number;
  avgFrameBytes: number;
  delivered?: { measured: number; total: number };
  generatorCpuPct: number;
  subscriberCpuPct?: number;
  connectS: number;
  /** From the first PUBLISH to the last PUBACK (warm-up, measured window and drain). */
  runS: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const workerUrl = (name: string) => new URL(`./${name}.js`, import.meta.url);

/** Resolves with the first message `accept` returns a value for; rejects on a worker error or exit. */
function next<T>(
  w: Worker,
  accept: (m: LoadWorkerReport | SubscriberReport) => T | undefined,
  timeoutMs: number,
  what: string,
): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => finish(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)),
      timeoutMs,
    );
    const onMessage = (m: LoadWorkerReport | SubscriberReport) => {
      if (m.type === 'error') return finish(new Error(m.message));
      const v = accept(m);
      if (v !== undefined) finish(null, v);
    };
    const onError = (err: Error) => finish(err);
    const onExit = (code: number) =>
      finish(new Error(`worker exited (code ${code}) while waiting for ${what}`));
    const finish = (err: Error | null, v?: T) => {
      clearTimeout(timer);
      w.off('message', onMessage);
      w.off('error', onError);
      w.off('exit', onExit);
      if (err) reject(err);
      else resolve(v as T);
    };
    w.on('message', onMessage);
    w.on('error', onError);
    w.on('exit', onExit);
  });
}

export async function runLoad(o: LoadOptions): Promise<LoadResult> {
  const workers = Math.max(1, Math.min(o.workers, o.connections));
  const counters = new SharedArrayBuffer(4 * (COUNTER_SLOTS * workers + 1));
  const view = new Int32Array(counters);
  const subSlot = COUNTER_SLOTS * workers;
  const threads: Worker[] = [];
  let subscriber: Worker | undefined;
  let subTid = 0;
  const tids: number[] = [];

  try {
    if (o.subscribeTo) {
      subscriber = new Worker(workerUrl('subscriber-worker'), {
        workerData: {
          host: o.host,
          port: o.port,
          topic: o.subscribeTo,
          codec: o.codec,
          counters,
          slot: subSlot,
        } satisfies SubscriberConfig,
      });
      subTid = await next(
        subscriber,
        (m) => (m.type === 'ready' ? m.tid : undefined),
        15_000,
        'the subscriber',
      );
    }

    let first = 0;
    for (let w = 0; w < workers; w++) {
      const count = Math.floor(o.connections / workers) + (w < o.connections % workers ? 1 : 0);
      const cfg: LoadWorkerConfig = {
        host: o.host,
        port: o.port,
        first,
        count,
        mode: o.mode,
        rate: (o.rate * count) / o.connections,
        window: o.window,
        refill: Math.min(o.refill, o.window),
        readingsPerMessage: o.readingsPerMessage,
        tsBase: o.tsBase,
        codec: o.codec,
        counters,
        slot: COUNTER_SLOTS * w,
        connectConcurrency: 50,
      };
      threads.push(new Worker(workerUrl('load-worker'), { workerData: cfg }));
      first += count;
    }
    const connectStarted = performance.now();
    const connected = await Promise.all(
      threads.map((t) =>
        next(t, (m) => (m.type === 'connected' ? m : undefined), 120_000, 'the connections'),
      ),
    );
    tids.push(...connected.map((c) => c.tid));
    const connectS = (performance.now() - connectStarted) / 1000;
    o.log(
      `  ${o.connections} connections up in ${connectS.toFixed(1)} s; warming up ${o.warmupMs / 1000} s`,
    );

    const sum = (k: number) => {
      let s = 0;
      for (let w = 0; w < workers; w++) s += Atomics.load(view, COUNTER_SLOTS * w + k);
      return s;
    };
    const cpu = () => tids.reduce((s, tid) => s + readCpuSeconds(process.pid, tid), 0);
    const post = (cmd: LoadWorkerCommand) => threads.forEach((t) => t.postMessage(cmd));

    const goAt = performance.now();
    post({ cmd: 'go' });
    await sleep(o.warmupMs);

    post({ cmd: 'measure' });
    o.onMeasure?.('start');
    const t0 = performance.now();
    const acked0 = sum(1);
    const delivered0 = Atomics.load(view, subSlot);
    const cpu0 = cpu();
    const subCpu0 = subTid ? readCpuSeconds(process.pid, subTid) : 0;
    let last = acked0;
    let lastT = t0;
    while (performance.now() - t0 < o.durationMs) {
      await sleep(Math.min(1000, o.durationMs - (performance.now() - t0)));
      const now = performance.now();
      const acked = sum(1);
      if (now - lastT < 500) continue;
      const behind = subscriber ? `  subscriber behind ${acked - Atomics.load(view, subSlot)}` : '';
      o.log(
        `  ${((now - t0) / 1000).toFixed(0).padStart(3)} s  ${Math.round(
          ((acked - last) * 1000) / (now - lastT),
        )
          .toLocaleString('en-US')
          .padStart(9)} msg/s  in flight ${sum(3)}${behind}`,
      );
      last = acked;
      lastT = now;
    }
    const t1 = performance.now();
    const acked1 = sum(1);
    const delivered1 = Atomics.load(view, subSlot);
    const cpu1 = cpu();
    const subCpu1 = subTid ? readCpuSeconds(process.pid, subTid) : 0;
    o.onMeasure?.('end');

    const stoppedP = threads.map((t) =>
      next(t, (m) => (m.type === 'stopped' ? m : undefined), 30_000, 'stop'),
    );
    const drainedP = threads.map((t) =>
      next(
        t,
        (m) => (m.type === 'drained' ? m : undefined),
        120_000,
        'in-flight messages to drain',
      ),
    );
    post({ cmd: 'stop' });
    const stopped = await Promise.all(stoppedP);
    const drained = await Promise.all(drainedP);
    const runS = (performance.now() - goAt) / 1000;

    const latency = new Histogram();
    const lag = new Histogram();
    let payloadBytes = 0;
    let frameBytes = 0;
    for (const s of stopped) {
      latency.merge(s.latency);
      lag.merge(s.lag);
      payloadBytes += s.payloadBytes;
      frameBytes += s.frameBytes;
    }
    const ackedTotal = drained.reduce((a, d) => a + d.acked, 0);
    const sentTotal = drained.reduce((a, d) => a + d.sent, 0);

    let delivered: LoadResult['delivered'];
    if (subscriber) {
      // QoS 1 routing: everything acknowledged to the publishers should reach the subscriber.
      // Wait as long as deliveries still progress (a backlog queued in the broker drains).
      let seen = Atomics.load(view, subSlot);
      let progressAt = performance.now();
      while (seen < ackedTotal && performance.now() - progressAt < 3000) {
        await sleep(20);
        const now = Atomics.load(view, subSlot);
        if (now > seen) {
          seen = now;
          progressAt = performance.now();
        }
      }
      delivered = { measured: delivered1 - delivered0, total: Atomics.load(view, subSlot) };
    }

    const measuredS = (t1 - t0) / 1000;
    const messages = acked1 - acked0;
    // Payload and frame byte counters cover the messages sent since 'measure'.
    const windowMessages = Math.max(
      1,
      stopped.reduce((a, s) => a + s.sent, 0),
    );
    return {
      measuredS,
      messages,
      readings: messages * o.readingsPerMessage,
      messagesPerS: messages / measuredS,
      readingsPerS: (messages * o.readingsPerMessage) / measuredS,
      latency,
      lag,
      sentTotal,
      ackedTotal,
      unackedAtEnd: drained.reduce((a, d) => a + d.inflight, 0),
      protocolErrors: drained.reduce((a, d) => a + d.protocolErrors, 0),
      connectionsLost: drained.reduce((a, d) => a + d.connectionsLost, 0),
      backlogDropped: stopped.reduce((a, s) => a + s.backlogDropped, 0),
      avgPayloadBytes: payloadBytes / windowMessages,
      avgFrameBytes: frameBytes / windowMessages,
      delivered,
      generatorCpuPct: ((cpu1 - cpu0) / measuredS) * 100,
      subscriberCpuPct: subTid ? ((subCpu1 - subCpu0) / measuredS) * 100 : undefined,
      connectS,
      runS,
    };
  } finally {
    const exits = [...threads, ...(subscriber ? [subscriber] : [])].map(
      (t) => new Promise((r) => t.once('exit', r)),
    );
    for (const t of threads) t.postMessage({ cmd: 'close' } satisfies LoadWorkerCommand);
    subscriber?.postMessage({ cmd: 'close' });
    await Promise.race([Promise.all(exits), sleep(5000)]);
    await Promise.all([...threads, ...(subscriber ? [subscriber] : [])].map((t) => t.terminate()));
  }
}
