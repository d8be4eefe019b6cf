/**
 * API bearer tokens (DESIGN C6: secrets are stored hashed).
 *
 * A token is `ppt_` + 32 random bytes (base64url): 256 bits of entropy, drawn by the server,
 * never chosen by a person. For such a secret a fast hash is enough and a slow KDF buys nothing:
 * guessing a preimage of SHA-256 over 2^256 candidates is hopeless at any hash rate, whereas
 * scrypt's cost exists to slow down guessing of *low*-entropy passwords. SHA-256 also lets us
 * find the token by its hash with one indexed lookup on every request (a salted KDF would need
 * a token id sent alongside, and 50–100 ms of CPU per request would turn every API call into a
 * denial-of-service lever). Device MQTT secrets use scrypt (broker/credentials.ts) because they
 * are checked once per connection and operators may set them to weaker values.
 *
 * The `ppt_` prefix lets secret scanners (GitHub, gitleaks) recognise a leaked token.
 */
import { createHash, randomBytes } from 'node:crypto';
import type Database from 'better-sqlite3';
import type { AuditTrail } from '../audit/trail.js';
import { isTokenRole, TOKEN_ROLES, type TokenRole } from './roles.js';

export const TOKEN_PREFIX = 'ppt_';
/** Shortest secret accepted from an operator (the bootstrap token); ours are 47 characters. */
export const MIN_TOKEN_LENGTH = 32;

export interface Principal {
  /** Token name; audit entries name it as the actor (`token:<name>`). */
  name: string;
  role: TokenRole;
}

export interface TokenInfo extends Principal {
  created: number;
  revoked: number | null;
}

export class TokenError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TokenError';
  }
}

export function newToken(): string {
  return TOKEN_PREFIX + randomBytes(32).toString('base64url');
}

export function hashToken(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$/;

export function checkTokenName(name: string): void {
  if (!NAME_RE.test(name)) {
    throw new TokenError(
      `token name "${name}" is invalid: use 1–64 letters, digits, "_", ".", "@" or "-", starting with a letter or digit`,
    );
  }
}

export function checkRole(role: string): TokenRole {
  if (!isTokenRole(role)) {
    throw new TokenError(`role "${role}" is unknown; use one of ${TOKEN_ROLES.join(', ')}`);
  }
  return role;
}

interface Row {
  name: string;
  role: string;
  created: number;
  revoked: number | null;
}

/**
 * The api_tokens table (migration 5). Every change is written to the audit trail in the same
 * transaction, an IMMEDIATE one so that it waits for a busy broker's commits instead of failing
 * (see DeviceCredentials).
 */
export class ApiTokens {
  private readonly byHash: Database.Statement<[string], { name: string; role: string }>;

  constructor(
    private readonly db: Database.Database,
    private readonly audit: AuditTrail,
  ) {
    this.byHash = db.prepare(
      'SELECT name, role FROM api_tokens WHERE hash = ? AND revoked IS NULL',
    );
  }

  /** Creates a token (or, with `replace`, rotates it) and returns its secret (shown once, never stored). */
  add(name: string, role: string, actor: string, opts: { replace?: boolean } = {}): string {
    checkTokenName(name);
    const r = checkRole(role);
    const secret = newToken();
    this.db
      .transaction(() => {
        const existing = this.db
          .prepare('SELECT revoked FROM api_tokens WHERE name = ?')
          .get(name) as { revoked: number | null } | undefined;
        if (existing && existing.revoked === null && !opts.replace) {
          throw new TokenError(
            `a token named "${name}" already exists; revoke it first or choose another name`,
          );
        }
        this.db
          .prepare(
            `INSERT INTO api_tokens (name, role, hash, created, revoked) VALUES (?, ?, ?, ?, NULL)
           ON CONFLICT(name) DO UPDATE SET role = excluded.role, hash = excluded.hash,
             created = excluded.created, revoked = NULL`,
          )
          .run(name, r, hashToken(secret), Date.now());
        this.audit.append({
          actor,
          action: existing && existing.revoked === null ? 'token.rotate' : 'token.add',
          subject: name,
          detail: { role: r },
        });
      })
      .immediate();
    return secret;
  }

  /** Revokes a token at once: the next request with it gets 401. */
  revoke(name: string, actor: string): void {
    this.db
      .transaction(() => {
        const res = this.db
          .prepare('UPDATE api_tokens SET revoked = ? WHERE name = ? AND revoked IS NULL')
          .run(Date.now(), name);
        if (res.changes === 0) {
          throw new TokenError(`no active token named "${name}" (see: plantpulse tokens list)`);
        }
        this.audit.append({ actor, action: 'token.revoke', subject: name });
      })
      .immediate();
  }

  /**
   * Installs an operator-supplied secret as admin token `name` (the bootstrap token of
   * PLANTPULSE_BOOTSTRAP_ADMIN_TOKEN). Audited only when it changes, so restarts stay quiet.
   */
  ensure(name: string, role: TokenRole, secret: string, actor: string): 'created' | 'unchanged' {
    if (secret.length < MIN_TOKEN_LENGTH) {
      throw new TokenError(
        `the bootstrap token is too short (${secret.length} characters); use at least ${MIN_TOKEN_LENGTH} random characters, e.g. \`openssl rand -base64 32\``,
      );
    }
    const hash = hashToken(secret);
    return this.db
      .transaction(() => {
        const row = this.db
          .prepare('SELECT role, hash, revoked FROM api_tokens WHERE name = ?')
          .get(name) as { role: string; hash: string; revoked: number | null } | undefined;
        if (row && row.hash === hash && row.role === role && row.revoked === null) {
          return 'unchanged' as const;
        }
        this.db
          .prepare(
            `INSERT INTO api_tokens (name, role, hash, created, revoked) VALUES (?, ?, ?, ?, NULL)
           ON CONFLICT(name) DO UPDATE SET role = excluded.role, hash = excluded.hash,
             created = excluded.created, revoked = NULL`,
          )
          .run(name, role, hash, Date.now());
        this.audit.append({
          actor,
          action: 'token.bootstrap',
          subject: name,
          detail: { role, source: 'PLANTPULSE_BOOTSTRAP_ADMIN_TOKEN' },
        });
        return 'created' as const;
      })
      .immediate();
  }

  /** The principal of a presented secret, or undefined when unknown or revoked. */
  verify(secret: string): Principal | undefined {
    const row = this.byHash.get(hashToken(secret));
    if (!row || !isTokenRole(row.role)) return undefined;
    return { name: row.name, role: row.role };
  }

  list(): TokenInfo[] {
    return (
      this.db
        .prepare('SELECT name, role, created, revoked FROM api_tokens ORDER BY name')
        .all() as Row[]
    ).map((r) => ({
      name: r.name,
      role: checkRole(r.role),
      created: r.created,
      revoked: r.revoked,
    }));
  }
}
