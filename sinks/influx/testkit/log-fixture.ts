/**
 * Test and bench support: a store in a directory, rows committed synchronously, and a sink
 * configuration parsed through the real schema. Not used by PlantPulse itself.
 */
import type { LogRow } from '../../../store/log-writer.js';
import { openStore, type Store } from '../../../store/store.js';
import { influxSinkSchema, type InfluxSinkConfig } from '../../../config/sinks-schema.js';

export function openTestStore(dataDir: string): Store {
  return openStore({
    dataDir,
    durability: 'normal',
    commitMaxRows: 1_000_000,
    rawRetentionMs: 86_400_000,
    rollupRetentionMs: 86_400_000,
  });
}

/** Commits rows now, in chunks; throws on a commit error. */
export function commitRows(store: Store, rows: LogRow[], chunk = 50_000): number {
  let inserted = 0;
  for (let i = 0; i < rows.length; i += chunk) {
    let error: Error | null = null;
    store.writer.submit(rows.slice(i, i + chunk), [], (err, out) => {
      error = err;
      inserted += out.inserted;
    });
    store.writer.flush();
    if (error) throw error;
  }
  return inserted;
}

export function sinkConfig(input: Record<string, unknown>): InfluxSinkConfig {
  return influxSinkSchema.parse({ bucket: 'plantpulse', ...input });
}

export function lastPos(store: Store): number {
  return store.queries.counts().lastPos;
}

export async function until(
  probe: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 30_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
