import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { migrate } from './migrations.js';

export type Durability = 'full' | 'normal';

export interface OpenOptions {
  durability: Durability;
  readonly?: boolean;
}

export const LOG_FILE = 'plantpulse.db';

/**
 * Opens (creating if needed) the local log in `dataDir`, in WAL mode, and migrates it.
 *
 * synchronous=FULL fsyncs the WAL on every commit, so an acknowledged reading survives a power
 * cut, not only a process crash (C1). Group commit amortises that fsync over many readings.
 * synchronous=NORMAL survives `kill -9` (the WAL is in the OS page cache) but not power loss.
 */
export function openDatabase(dataDir: string, opts: OpenOptions): Database.Database {
  mkdirSync(dataDir, { recursive: true });
  const db = new Database(join(dataDir, LOG_FILE), { readonly: opts.readonly ?? false });
  db.pragma('journal_mode = WAL');
  db.pragma(`synchronous = ${opts.durability === 'full' ? 'FULL' : 'NORMAL'}`);
  db.pragma('busy_timeout = 5000');
  db.pragma('cache_size = -65536'); // 64 MiB page cache
  db.pragma('temp_store = MEMORY');
  // Checkpoint in bigger steps: fewer, larger copies from the WAL into the main file.
  db.pragma('wal_autocheckpoint = 10000');
  try {
    if (!opts.readonly) migrate(db);
  } catch (err) {
    db.close();
    throw err;
  }
  return db;
}
