/**
 * One simulated run against a broker: stream → publisher, with progress and a summary.
 * Shared by `plantpulse simulate` and `plantpulse demo`.
 */
import { Publisher } from './publisher.js';
import type { Simulation } from './engine.js';
import { createProgress, fmtRate } from './progress.js';

export interface RunOptions {
  url: string;
  credentials: Record<string, string>;
  speed?: number;
  progress: 'auto' | 'off';
  label?: string;
  maxInFlight?: number;
  signal?: AbortSignal;
  log?: (msg: string) => void;
}

export interface RunResult {
  messages: number;
  readings: number;
  wallMs: number;
  summary: string;
}

export async function publishSimulation(sim: Simulation, o: RunOptions): Promise<RunResult> {
  const span = sim.to - sim.from;
  const bar = createProgress(span, o.label ?? 'simulate', o.progress);
  const started = Date.now();
  const publisher = new Publisher({
    url: o.url,
    credentials: o.credentials,
    speed: o.speed,
    pacingFrom: sim.from,
    maxInFlight: o.maxInFlight,
    signal: o.signal,
    log: o.log,
    onProgress: (p) =>
      bar.update(
        Math.max(0, p.at - sim.from),
        `${new Date(p.at).toISOString().slice(0, 16)} | ${p.readings.toLocaleString('en-US')} readings | ${fmtRate(p.readings, Date.now() - started)}`,
      ),
  });
  try {
    const p = await publisher.run(sim.events());
    const wallMs = Date.now() - started;
    bar.stop();
    const st = sim.streamStats;
    const summary =
      `published ${p.messages.toLocaleString('en-US')} messages, ${p.readings.toLocaleString('en-US')} readings ` +
      `(${new Date(sim.from).toISOString()} → ${new Date(sim.to).toISOString()}) in ${(wallMs / 1000).toFixed(1)} s, ${fmtRate(p.readings, wallMs)}` +
      (st
        ? `; injected ${st.malformedMessages} malformed, ${st.duplicateMessages} duplicate messages; expected stored rows ${st.expectedStored.toLocaleString('en-US')}`
        : ' (stopped early)');
    return { messages: p.messages, readings: p.readings, wallMs, summary };
  } finally {
    bar.stop();
    await publisher.close();
  }
}
