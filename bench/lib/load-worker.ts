/**
 * A load-generator worker thread: owns connections [first, first + count) and drives them as the
 * main thread says (go → measure → stop → close). It runs on its own event loop, apart from the
 * bench's main thread and from the server under test (a separate process).
 *
 * Modes:
 * - throughput: closed loop; every connection keeps `window` messages in flight and sends a new
 *   one as soon as a PUBACK frees a slot.
 * - rate: open loop; messages fall due at a fixed total rate, round-robin over the connections,
 *   whatever the server does. A due message waits only if its connection has `window` messages
 *   in flight; `lag` measures from the scheduled time, so such waits are not hidden.
 *
 * Live counters go to a SharedArrayBuffer (the main thread reads them at the exact start and end
 * of the measurement); histograms are posted at `stop`.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { Histogram } from './histogram.js';
import type { LoadWorkerCommand, LoadWorkerConfig, LoadWorkerReport } from './load-protocol.js';
import { DISCONNECT } from './mqtt-wire.js';
import { threadTid } from './proc.js';
import { Publisher, type PublisherStats } from './publisher.js';

async function main(cfg: LoadWorkerConfig): Promise<void> {
  const port = parentPort!;
  const counters = new Int32Array(cfg.counters);
  const stats: PublisherStats = {
    latency: new Histogram(),
    lag: new Histogram(),
    sent: 0,
    acked: 0,
    protocolErrors: 0,
    connectionsLost: 0,
    payloadBytes: 0,
    frameBytes: 0,
  };
  const pubs: Publisher[] = [];
  for (let i = 0; i < cfg.count; i++) {
    pubs.push(
      new Publisher({
        index: cfg.first + i,
        window: cfg.window,
        readingsPerMessage: cfg.readingsPerMessage,
        tsBase: cfg.tsBase,
        codec: cfg.codec,
        stats,
      }),
    );
  }
  const updateCounters = () => {
    Atomics.store(counters, cfg.slot, stats.sent);
    Atomics.store(counters, cfg.slot + 1, stats.acked);
    Atomics.store(counters, cfg.slot + 2, stats.protocolErrors);
    Atomics.store(counters, cfg.slot + 3, stats.sent - stats.acked);
  };

  const started = performance.now();
  for (let i = 0; i < pubs.length; i += cfg.connectConcurrency) {
    await Promise.all(
      pubs.slice(i, i + cfg.connectConcurrency).map((p) => p.open(cfg.host, cfg.port, 30_000)),
    );
  }
  port.postMessage({
    type: 'connected',
    tid: threadTid(),
    connectMs: performance.now() - started,
  } satisfies LoadWorkerReport);

  let running = false;
  let sentAtMeasure = 0;
  let timer: NodeJS.Timeout | undefined;
  const onAcked = (p: Publisher) => {
    if (running) {
      if (cfg.mode === 'throughput') {
        if (p.room >= cfg.refill) p.send(p.room, p.readAt, false);
      } else if (p.backlog > 0) p.send(Math.min(p.room, p.backlog), performance.now(), true);
    }
    updateCounters();
  };
  for (const p of pubs) p.onAcked = onAcked;

  // Open loop: due messages are computed from the elapsed time, so a late tick catches up.
  let t0 = 0;
  let scheduled = 0;
  let rr = 0;
  const perMs = cfg.rate / 1000;
  const touched: Publisher[] = [];
  const tick = () => {
    if (!running) return;
    const now = performance.now();
    const due = Math.floor((now - t0) * perMs);
    while (scheduled < due) {
      const p = pubs[rr]!;
      rr = rr + 1 === pubs.length ? 0 : rr + 1;
      p.queue.push(t0 + scheduled / perMs);
      scheduled++;
      if (!p.touched) {
        p.touched = true;
        touched.push(p);
      }
    }
    for (const p of touched) {
      p.touched = false;
      p.send(Math.min(p.room, p.backlog), now, true);
    }
    touched.length = 0;
    updateCounters();
    timer = setTimeout(tick, 1);
  };

  port.on('message', (msg: LoadWorkerCommand) => {
    switch (msg.cmd) {
      case 'go': {
        running = true;
        const now = performance.now();
        if (cfg.mode === 'throughput') for (const p of pubs) p.send(p.room, now, false);
        else {
          t0 = now;
          tick();
        }
        updateCounters();
        break;
      }
      case 'measure':
        stats.latency.reset();
        stats.lag.reset();
        stats.payloadBytes = 0;
        stats.frameBytes = 0;
        sentAtMeasure = stats.sent;
        break;
      case 'stop': {
        running = false;
        if (timer) clearTimeout(timer);
        let backlogDropped = 0;
        for (const p of pubs) backlogDropped += p.dropBacklog();
        port.postMessage({
          type: 'stopped',
          latency: stats.latency.snapshot(),
          lag: stats.lag.snapshot(),
          backlogDropped,
          payloadBytes: stats.payloadBytes,
          frameBytes: stats.frameBytes,
          sent: stats.sent - sentAtMeasure,
        } satisfies LoadWorkerReport);
        const poll = () => {
          const inflight = stats.sent - stats.acked;
          updateCounters();
          // Wait for the PUBACKs still due on live connections; a lost connection's never come.
          if (pubs.some((p) => p.inflight > 0 && !p.socket.destroyed))
            return void setTimeout(poll, 10);
          port.postMessage({
            type: 'drained',
            sent: stats.sent,
            acked: stats.acked,
            inflight,
            protocolErrors: stats.protocolErrors,
            connectionsLost: stats.connectionsLost,
          } satisfies LoadWorkerReport);
        };
        poll();
        break;
      }
      case 'close': {
        for (const p of pubs) {
          p.closing = true;
          if (!p.socket.destroyed) p.socket.end(DISCONNECT);
        }
        const deadline = setTimeout(() => process.exit(0), 3000);
        void Promise.all(
          pubs.map((p) =>
            p.socket.closed ? undefined : new Promise((r) => p.socket.once('close', r)),
          ),
        ).then(() => {
          clearTimeout(deadline);
          port.close();
        });
        break;
      }
    }
  });
}

main(workerData as LoadWorkerConfig).catch((err: Error) => {
  parentPort!.postMessage({ type: 'error', message: err.message } satisfies LoadWorkerReport);
});
