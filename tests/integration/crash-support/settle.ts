/**
 * The end of a fault run: stop producing, let MQTT.js drain what it holds, then republish what
 * was never acknowledged with fresh clients (as a device resends what was not acknowledged), so
 * the final log can be compared with the ledgers.
 */
import { Publisher, waitFor, type CrashClock, type Ledger } from './publisher.js';

export interface Settled {
  drained: boolean;
  /** Publishes still awaiting a callback when the drain ended. */
  pendingAfterDrain: number;
  /** Publishes that failed with an error and were published again. */
  republishedAfterError: number;
  /** The fresh clients got every leftover acknowledged. */
  finalDrained: boolean;
  ackedByLoad: number;
  republishedAtEnd: number;
  stillUnacked: number;
  clientResends: number;
  connects: number;
}

export const acknowledgedCount = (ledgers: Ledger[]) =>
  ledgers.reduce((n, l) => n + l.readings.reduce((m, r) => m + (r.acks > 0 ? 1 : 0), 0), 0);

export async function settle(
  publishers: Publisher[],
  ledgers: Ledger[],
  opts: {
    url: string;
    clock: CrashClock;
    window: number;
    reconnectPeriodMs: number;
    /** Client id prefix of the fresh clients. */
    finalClientId?: string;
  },
): Promise<Settled> {
  for (const p of publishers) p.stopProducing();
  const drained = await waitFor(() => publishers.every((p) => p.idle), 20_000);
  const pendingAfterDrain = publishers.reduce((n, p) => n + p.inflight, 0);
  const republishedAfterError = publishers.reduce((n, p) => n + p.republishedAfterError, 0);
  const ackedByLoad = acknowledgedCount(ledgers);
  const clientResends = ledgers.reduce((n, l) => n + l.clientResends, 0);
  const connects = publishers.reduce((n, p) => n + p.connects, 0);
  await Promise.all(publishers.map((p) => p.close()));
  const pending = ledgers.map((l) => l.unacknowledged);
  const finals = ledgers.map((l, i) => {
    const p = new Publisher(l, {
      ...opts,
      clientId: `${opts.finalClientId ?? 'settle'}-${i}`,
      clean: true,
    });
    p.republish(pending[i]!);
    return p;
  });
  let finalDrained = false;
  try {
    finalDrained = await waitFor(() => finals.every((p) => p.idle && p.connects > 0), 30_000);
  } finally {
    await Promise.all(finals.map((p) => p.close()));
  }
  return {
    drained,
    pendingAfterDrain,
    republishedAfterError,
    finalDrained,
    ackedByLoad,
    republishedAtEnd: pending.reduce((n, u) => n + u.length, 0),
    stillUnacked: ledgers.reduce((n, l) => n + l.unacknowledged.length, 0),
    clientResends,
    connects,
  };
}
