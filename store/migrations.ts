/**
 * Schema migrations for the local log. Each migration runs once, in order, inside a transaction;
 * `PRAGMA user_version` records how far a database has come. Never edit a shipped migration:
 * add a new one.
 */
import type Database from 'better-sqlite3';

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export const MIGRATIONS: Migration[] = [
  {
    version: 1,
    name: 'log, series, dead letters, rollups, cursors, devices',
    sql: `
      -- Every time series PlantPulse knows: sensors from the plant model, batch event streams,
      -- and (later) derived series. The log refers to a series by its small integer id.
      CREATE TABLE series (
        id     INTEGER PRIMARY KEY,
        key    TEXT NOT NULL UNIQUE,   -- e.g. "basel/granulation/g-201/power" or "basel/granulation/batch.start"
        kind   TEXT NOT NULL,
        unit   TEXT NOT NULL
      );

      -- The spine (DESIGN C3). pos is the replayable order consumers keep cursors into;
      -- AUTOINCREMENT so a position is never reused, even after retention empties the table.
      -- (series, ts) is the idempotency key (C2): a redelivery or replay is ignored.
      CREATE TABLE log (
        pos      INTEGER PRIMARY KEY AUTOINCREMENT,
        series   INTEGER NOT NULL REFERENCES series(id),
        ts       INTEGER NOT NULL,       -- event time, epoch ms
        value    REAL,                   -- canonical unit; waveform: block RMS; batch event: quantity
        quality  INTEGER NOT NULL DEFAULT 0,  -- 0 good, 1 uncertain, 2 bad
        body     BLOB,                   -- waveform samples or event JSON; NULL for scalar readings
        received INTEGER NOT NULL        -- wall-clock ms of the commit, for backlog age only
      );
      CREATE UNIQUE INDEX log_series_ts ON log(series, ts);

      -- Rejected input is kept, never dropped (C5).
      CREATE TABLE dead_letters (
        id          INTEGER PRIMARY KEY AUTOINCREMENT,
        received    INTEGER NOT NULL,
        topic       TEXT NOT NULL,
        client_id   TEXT,
        code        TEXT NOT NULL,       -- PP_ERR_* code
        field       TEXT,                -- zod-style path of the offending field, e.g. "[3].v"
        reason      TEXT NOT NULL,
        payload     BLOB,                -- capped raw bytes
        payload_size INTEGER NOT NULL
      );
      CREATE INDEX dead_letters_code ON dead_letters(code);

      -- 1-minute rollups, kept longer than raw readings.
      CREATE TABLE rollup_1m (
        series   INTEGER NOT NULL,
        minute   INTEGER NOT NULL,       -- epoch ms of the minute start
        count    INTEGER NOT NULL,
        sum      REAL NOT NULL,
        min      REAL NOT NULL,
        max      REAL NOT NULL,
        last     REAL NOT NULL,
        last_ts  INTEGER NOT NULL,
        PRIMARY KEY (series, minute)
      ) WITHOUT ROWID;

      -- Saved positions of every consumer of the log (rollups, sinks, analytics).
      CREATE TABLE cursors (
        name     TEXT PRIMARY KEY,
        pos      INTEGER NOT NULL,
        updated  INTEGER NOT NULL
      );

      -- Device credentials: a slow-KDF hash, never the secret.
      CREATE TABLE devices (
        id       TEXT PRIMARY KEY,
        secret_hash TEXT NOT NULL,
        created  INTEGER NOT NULL,
        disabled INTEGER NOT NULL DEFAULT 0
      );
    `,
  },
  {
    version: 2,
    name: 'analytics operator checkpoints',
    sql: `
      -- State snapshot + log position of each analytics operator (DESIGN C3: checkpoint =
      -- state snapshot + log offset), written in the same transaction as its outputs.
      CREATE TABLE operator_checkpoints (
        name     TEXT PRIMARY KEY,
        version  INTEGER NOT NULL,
        pos      INTEGER NOT NULL,
        state    TEXT NOT NULL,
        updated  INTEGER NOT NULL
      );
    `,
  },
  {
    version: 3,
    name: 'derived series flag',
    sql: `
      -- Series written by analytics operators (anomaly scores, energy, wear), as opposed to
      -- what devices sent. /api/v1/stats counts readings as rows of non-derived series.
      ALTER TABLE series ADD COLUMN derived INTEGER NOT NULL DEFAULT 0;
    `,
  },
  {
    version: 4,
    name: 'hash-chained audit trail',
    sql: `
      -- Who changed what (devices, tokens, config, alert acks, report exports). Each entry
      -- carries the hash of the one before it, so an edited, inserted or deleted row breaks the
      -- chain; audit_head holds the newest hash so cutting off the tail is detected too.
      CREATE TABLE audit_log (
        seq       INTEGER PRIMARY KEY,
        at        INTEGER NOT NULL,   -- wall-clock epoch ms
        actor     TEXT NOT NULL,      -- token name, 'cli:<user>', 'system'
        action    TEXT NOT NULL,      -- e.g. 'device.add', 'alert.ack'
        subject   TEXT NOT NULL,      -- what it acted on, e.g. a device id or alert id
        detail    TEXT NOT NULL,      -- canonical JSON
        prev_hash TEXT NOT NULL,
        hash      TEXT NOT NULL
      );
      CREATE TABLE audit_head (
        id    INTEGER PRIMARY KEY CHECK (id = 1),
        seq   INTEGER NOT NULL,
        hash  TEXT NOT NULL
      );
    `,
  },
  {
    version: 5,
    name: 'API bearer tokens',
    sql: `
      -- HTTP API tokens (security/tokens.ts). Only the SHA-256 of each 256-bit random secret
      -- is kept; a revoked token stays listed (revoked = epoch ms) so the audit trail's names resolve.
      CREATE TABLE api_tokens (
        name     TEXT PRIMARY KEY,
        role     TEXT NOT NULL,
        hash     TEXT NOT NULL UNIQUE,
        created  INTEGER NOT NULL,
        revoked  INTEGER
      );
    `,
  },
  {
    version: 6,
    name: 'device credential change counter',
    sql: `
      -- Bumped by every change to a device's credentials, whichever process or tool makes it
      -- (the CLI writes the data dir directly). The running broker polls this one row to close
      -- live MQTT sessions of removed or rotated devices (broker/credential-watch.ts).
      CREATE TABLE devices_version (
        id       INTEGER PRIMARY KEY CHECK (id = 1),
        version  INTEGER NOT NULL
      );
      INSERT INTO devices_version(id, version) VALUES (1, 0);
      CREATE TRIGGER devices_changed_insert AFTER INSERT ON devices
        BEGIN UPDATE devices_version SET version = version + 1 WHERE id = 1; END;
      CREATE TRIGGER devices_changed_update AFTER UPDATE ON devices
        BEGIN UPDATE devices_version SET version = version + 1 WHERE id = 1; END;
      CREATE TRIGGER devices_changed_delete AFTER DELETE ON devices
        BEGIN UPDATE devices_version SET version = version + 1 WHERE id = 1; END;
    `,
  },
];

export function migrate(db: Database.Database): { from: number; to: number } {
  const from = db.pragma('user_version', { simple: true }) as number;
  const latest = MIGRATIONS[MIGRATIONS.length - 1]!.version;
  if (from > latest) {
    throw new Error(
      `the data directory was written by a newer PlantPulse (schema version ${from}, this build knows ${latest}); upgrade PlantPulse or use another --data-dir`,
    );
  }
  for (const m of MIGRATIONS) {
    if (m.version <= from) continue;
    db.transaction(() => {
      db.exec(m.sql);
      db.pragma(`user_version = ${m.version}`);
    })();
  }
  return { from, to: latest };
}
