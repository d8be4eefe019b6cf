/**
 * The audit trail: an append-only, hash-chained record of who changed what (DESIGN: regulated
 * plants must show their records were not altered). Each entry's hash covers its own fields and
 * the previous entry's hash, so editing, inserting or deleting any row breaks every later link;
 * `audit_head` holds the newest (seq, hash), so truncating the tail is caught as well.
 *
 * This detects tampering by anyone who does not also recompute the whole chain; the head hash
 * printed by `verify` can be copied somewhere else (a ticket, a signed report) to anchor it.
 */
import { createHash } from 'node:crypto';
import type Database from 'better-sqlite3';

export const GENESIS_HASH = '0'.repeat(64);

export interface AuditInput {
  /** Token name, `cli:<os user>`, or `system`. */
  actor: string;
  /** Dotted verb, e.g. `device.add`, `token.revoke`, `alert.ack`, `report.export`. */
  action: string;
  /** What was acted on: a device id, alert id, month… */
  subject: string;
  /** Anything else worth keeping; stored as canonical JSON. Never put secrets here. */
  detail?: Record<string, unknown>;
  /** Wall-clock ms; defaults to now. */
  at?: number;
}

export interface AuditEntry {
  seq: number;
  at: number;
  actor: string;
  action: string;
  subject: string;
  detail: Record<string, unknown>;
  prevHash: string;
  hash: string;
}

export type VerifyResult =
  | { ok: true; entries: number; headHash: string }
  | { ok: false; entries: number; brokenAt: number; reason: string };

interface Row {
  seq: number;
  at: number;
  actor: string;
  action: string;
  subject: string;
  detail: string;
  prev_hash: string;
  hash: string;
}

/** JSON with object keys sorted, so the same detail always hashes the same. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(
          Object.entries(v as Record<string, unknown>).sort(([a], [b]) =>
            a < b ? -1 : a > b ? 1 : 0,
          ),
        )
      : v,
  );
}

export function entryHash(e: Omit<Row, 'hash'>): string {
  return createHash('sha256')
    .update(canonicalJson([e.seq, e.at, e.actor, e.action, e.subject, e.detail, e.prev_hash]))
    .digest('hex');
}

export class AuditTrail {
  private readonly head: Database.Statement;
  private readonly insert: Database.Statement;
  private readonly setHead: Database.Statement;
  private readonly appendTx: (input: AuditInput) => AuditEntry;

  constructor(private readonly db: Database.Database) {
    this.head = db.prepare('SELECT seq, hash FROM audit_head WHERE id = 1');
    this.insert = db.prepare(
      `INSERT INTO audit_log (seq, at, actor, action, subject, detail, prev_hash, hash)
       VALUES (@seq, @at, @actor, @action, @subject, @detail, @prev_hash, @hash)`,
    );
    this.setHead = db.prepare(
      `INSERT INTO audit_head (id, seq, hash) VALUES (1, @seq, @hash)
       ON CONFLICT(id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash`,
    );
    // A nested call (inside a caller's transaction) becomes a savepoint: the audit entry
    // commits or rolls back with the change it records.
    this.appendTx = db.transaction((input: AuditInput) => {
      const last = this.head.get() as { seq: number; hash: string } | undefined;
      const row: Omit<Row, 'hash'> = {
        seq: (last?.seq ?? 0) + 1,
        at: input.at ?? Date.now(),
        actor: input.actor,
        action: input.action,
        subject: input.subject,
        detail: canonicalJson(input.detail ?? {}),
        prev_hash: last?.hash ?? GENESIS_HASH,
      };
      const hash = entryHash(row);
      this.insert.run({ ...row, hash });
      this.setHead.run({ seq: row.seq, hash });
      return toEntry({ ...row, hash });
    });
  }

  append(input: AuditInput): AuditEntry {
    return this.appendTx(input);
  }

  /** Newest first, optionally filtered by action prefix (e.g. `alert.`). */
  list(opts: { limit?: number; actionPrefix?: string; beforeSeq?: number } = {}): AuditEntry[] {
    const rows = this.db
      .prepare(
        `SELECT * FROM audit_log
          WHERE (@prefix IS NULL OR action LIKE @prefix || '%')
            AND (@before IS NULL OR seq < @before)
          ORDER BY seq DESC LIMIT @limit`,
      )
      .all({
        prefix: opts.actionPrefix ?? null,
        before: opts.beforeSeq ?? null,
        limit: opts.limit ?? 100,
      }) as Row[];
    return rows.map(toEntry);
  }

  /** Walks the whole chain; reports the first broken link. */
  verify(): VerifyResult {
    let prev = GENESIS_HASH;
    let expectedSeq = 1;
    let n = 0;
    for (const row of this.db
      .prepare('SELECT * FROM audit_log ORDER BY seq')
      .iterate() as IterableIterator<Row>) {
      if (row.seq !== expectedSeq) {
        return {
          ok: false,
          entries: n,
          brokenAt: expectedSeq,
          reason: `entry ${expectedSeq} is missing (next is ${row.seq})`,
        };
      }
      if (row.prev_hash !== prev) {
        return {
          ok: false,
          entries: n,
          brokenAt: row.seq,
          reason: `entry ${row.seq} does not follow entry ${row.seq - 1} (previous hash differs)`,
        };
      }
      const { hash, ...rest } = row;
      if (entryHash(rest) !== hash) {
        return {
          ok: false,
          entries: n,
          brokenAt: row.seq,
          reason: `entry ${row.seq} was altered after it was written (hash differs)`,
        };
      }
      prev = hash;
      expectedSeq++;
      n++;
    }
    const head = this.head.get() as { seq: number; hash: string } | undefined;
    const headSeq = head?.seq ?? 0;
    if (headSeq !== n || (head && head.hash !== prev)) {
      return {
        ok: false,
        entries: n,
        brokenAt: n + 1,
        reason: `the trail ends at entry ${n} but its head records entry ${headSeq}: entries were removed from the end`,
      };
    }
    return { ok: true, entries: n, headHash: prev };
  }
}

function toEntry(r: Row): AuditEntry {
  return {
    seq: r.seq,
    at: r.at,
    actor: r.actor,
    action: r.action,
    subject: r.subject,
    detail: JSON.parse(r.detail) as Record<string, unknown>,
    prevHash: r.prev_hash,
    hash: r.hash,
  };
}
