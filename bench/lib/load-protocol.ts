/** Messages and shared counters between the load generator's main thread and its workers. */
import type { HistogramSnapshot } from './histogram.js';
import type { Codec } from './mqtt-wire.js';

export interface LoadWorkerConfig {
  host: string;
  port: number;
  first: number;
  count: number;
  mode: 'throughput' | 'rate';
  /** Messages per second for this worker's connections together (rate mode). */
  rate: number;
  window: number;
  /** Throughput mode: refill the window once this many slots are free (1 = after every PUBACK). */
  refill: number;
  readingsPerMessage: number;
  tsBase: number;
  codec: Codec;
  counters: SharedArrayBuffer;
  /** Offset of this worker's slots in `counters` (see COUNTER_SLOTS). */
  slot: number;
  connectConcurrency: number;
}

/** Int32 slots per worker: sent, acked, protocol errors, in flight. */
export const COUNTER_SLOTS = 4;

export type LoadWorkerCommand =
  { cmd: 'go' } | { cmd: 'measure' } | { cmd: 'stop' } | { cmd: 'close' };

export type LoadWorkerReport =
  | { type: 'connected'; tid: number; connectMs: number }
  | {
      type: 'stopped';
      latency: HistogramSnapshot;
      lag: HistogramSnapshot;
      backlogDropped: number;
      payloadBytes: number;
      frameBytes: number;
      /** Messages sent since `measure`. */ sent: number;
    }
  | {
      type: 'drained';
      sent: number;
      acked: number;
      inflight: number;
      protocolErrors: number;
      connectionsLost: number;
    }
  | { type: 'error'; message: string };
