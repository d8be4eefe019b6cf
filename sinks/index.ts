/**
 * The one place sinks are registered (DESIGN §6, Telegraf-style): each sink is a folder with a
 * `start/stop/readiness` object; `startSinks` starts the configured ones, `stop` stops them in
 * reverse order.
 */
import type { SinksConfig } from '../config/sinks-schema.js';
import { InfluxSink, type Readiness, type SinkContext } from './influx/sink.js';

export interface Sink {
  start(): void;
  stop(): Promise<void>;
  readiness(): Readiness;
}

export interface RunningSinks {
  readiness(): Record<string, Readiness>;
  stop(): Promise<void>;
}

export function startSinks(cfg: SinksConfig | undefined, ctx: SinkContext): RunningSinks {
  const started: [string, Sink][] = [];
  const stop = async () => {
    for (const [, s] of started.reverse()) await s.stop();
    started.length = 0;
  };
  try {
    if (cfg?.influx) {
      const sink = new InfluxSink(cfg.influx, ctx);
      sink.start();
      started.push(['sink:influx', sink]);
    }
  } catch (err) {
    void stop();
    throw err;
  }
  return {
    readiness: () => Object.fromEntries(started.map(([name, s]) => [name, s.readiness()])),
    stop,
  };
}
