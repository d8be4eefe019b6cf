/**
 * Device credentials. Secrets are random, shown once, and stored only as a scrypt hash (a slow,
 * memory-hard KDF) in the data directory. Verified secrets are remembered as a SHA-256 digest
 * in memory, so a gateway that reconnects every few seconds does not cost a KDF run each time.
 */
import {
  createHash,
  randomBytes,
  scrypt as scryptCb,
  timingSafeEqual,
  type ScryptOptions,
} from 'node:crypto';
import type Database from 'better-sqlite3';
import type { AuditTrail } from '../audit/trail.js';

/** Who made a credential change, for the audit trail (written in the same transaction). */
export interface AuditBy {
  trail: AuditTrail;
  actor: string;
}

const scrypt = (secret: string, salt: Buffer, len: number, opts: ScryptOptions) =>
  new Promise<Buffer>((resolve, reject) =>
    scryptCb(secret, salt, len, opts, (err, key) => (err ? reject(err) : resolve(key))),
  );

/** N = 2^15, r = 8, p = 1: the OWASP-recommended scrypt floor; about 50–100 ms per check here. */
const PARAMS = { logN: 15, r: 8, p: 1 };
const KEY_LEN = 32;
const MAXMEM = 128 * 1024 * 1024;

export function newSecret(): string {
  return randomBytes(24).toString('base64url');
}

export async function hashSecret(secret: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await scrypt(secret, salt, KEY_LEN, {
    N: 2 ** PARAMS.logN,
    r: PARAMS.r,
    p: PARAMS.p,
    maxmem: MAXMEM,
  });
  return `scrypt$${PARAMS.logN}$${PARAMS.r}$${PARAMS.p}$${salt.toString('base64')}$${key.toString('base64')}`;
}

export async function verifySecret(secret: string, stored: string): Promise<boolean> {
  const [scheme, logN, r, p, salt, hash] = stored.split('$');
  if (scheme !== 'scrypt' || !salt || !hash) return false;
  const expected = Buffer.from(hash, 'base64');
  const key = await scrypt(secret, Buffer.from(salt, 'base64'), expected.length, {
    N: 2 ** Number(logN),
    r: Number(r),
    p: Number(p),
    maxmem: MAXMEM,
  });
  return key.length === expected.length && timingSafeEqual(key, expected);
}

const digest = (secret: string) => createHash('sha256').update(secret).digest();

export type LoginResult =
  { result: 'ok'; secretHash: string } | { result: 'unknown' } | { result: 'wrong' };

/**
 * Changes run as IMMEDIATE transactions: the CLI changes credentials while the broker commits
 * readings from another process, and a deferred transaction that reads first would fail with
 * SQLITE_BUSY whenever a commit lands between its read and its write (most of the time under
 * ingest load, measured), where an immediate one waits for the lock (busy_timeout).
 */
export class DeviceCredentials {
  private readonly verified = new Map<string, { stored: string; digest: Buffer }>();
  private readonly getStmt: Database.Statement<[string], { secret_hash: string; disabled: number }>;

  constructor(readonly db: Database.Database) {
    this.getStmt = db.prepare('SELECT secret_hash, disabled FROM devices WHERE id = ?');
  }

  /** Creates or rotates the secret of `device`; returns the new secret (shown once, never stored). */
  async issue(device: string, audit?: AuditBy): Promise<string> {
    const secret = newSecret();
    const hash = await hashSecret(secret);
    this.db
      .transaction(() => {
        const existed = this.getStmt.get(device);
        this.db
          .prepare(
            'INSERT INTO devices(id, secret_hash, created) VALUES (?, ?, ?) ON CONFLICT(id) DO UPDATE SET secret_hash = excluded.secret_hash, created = excluded.created, disabled = 0',
          )
          .run(device, hash, Date.now());
        audit?.trail.append({
          actor: audit.actor,
          action: existed ? 'device.rotate' : 'device.add',
          subject: device,
          detail: existed?.disabled ? { reenabled: true } : {},
        });
      })
      .immediate();
    this.verified.delete(device);
    return secret;
  }

  has(device: string): boolean {
    const row = this.getStmt.get(device);
    return !!row && !row.disabled;
  }

  async check(device: string, secret: string): Promise<LoginResult['result']> {
    return (await this.login(device, secret)).result;
  }

  /**
   * Checks a device's secret and, when it is right, names the stored hash it matched: the
   * broker keeps that with the session and closes the session once the stored hash changes.
   */
  async login(device: string, secret: string): Promise<LoginResult> {
    const row = this.getStmt.get(device);
    if (!row || row.disabled) return { result: 'unknown' };
    const cached = this.verified.get(device);
    // The cache entry is tied to the stored hash, so a rotated secret is re-verified.
    if (cached && cached.stored === row.secret_hash) {
      return timingSafeEqual(cached.digest, digest(secret))
        ? { result: 'ok', secretHash: row.secret_hash }
        : { result: 'wrong' };
    }
    if (!(await verifySecret(secret, row.secret_hash))) return { result: 'wrong' };
    // The KDF took tens of ms: a removal or rotation committed meanwhile must not let this login through.
    const now = this.getStmt.get(device);
    if (!now || now.disabled) return { result: 'unknown' };
    if (now.secret_hash !== row.secret_hash) return { result: 'wrong' };
    this.verified.set(device, { stored: row.secret_hash, digest: digest(secret) });
    return { result: 'ok', secretHash: row.secret_hash };
  }

  /** The stored credential record of `device` as it is now (undefined: never had one). */
  current(device: string): { secretHash: string; disabled: boolean } | undefined {
    const row = this.getStmt.get(device);
    return row && { secretHash: row.secret_hash, disabled: !!row.disabled };
  }

  /** True when the device's credentials were removed: this also bars its client certificate. */
  revoked(device: string): boolean {
    return !!this.getStmt.get(device)?.disabled;
  }

  /** Disables the device's secret and its certificate login; false when already disabled. */
  disable(device: string, audit?: AuditBy): boolean {
    const changed = this.db
      .transaction(() => {
        // A device that logs in by certificate only has no row yet: insert a disabled one.
        const res = this.db
          .prepare(
            `INSERT INTO devices(id, secret_hash, created, disabled) VALUES (?, '', ?, 1)
           ON CONFLICT(id) DO UPDATE SET disabled = 1 WHERE disabled = 0`,
          )
          .run(device, Date.now());
        if (res.changes > 0)
          audit?.trail.append({ actor: audit.actor, action: 'device.remove', subject: device });
        return res.changes > 0;
      })
      .immediate();
    this.verified.delete(device);
    return changed;
  }

  list(): { id: string; created: number; disabled: boolean }[] {
    return (
      this.db.prepare('SELECT id, created, disabled FROM devices ORDER BY id').all() as {
        id: string;
        created: number;
        disabled: number;
      }[]
    ).map((r) => ({ id: r.id, created: r.created, disabled: !!r.disabled }));
  }
}
