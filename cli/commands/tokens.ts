import { userInfo } from 'node:os';
import type { Command } from 'commander';
import { AuditTrail } from '../../audit/trail.js';
import { BOOTSTRAP_ENV } from '../../security/bootstrap.js';
import { TOKEN_ROLES } from '../../security/roles.js';
import { ApiTokens, MIN_TOKEN_LENGTH, TokenError } from '../../security/tokens.js';
import { openDatabase } from '../../store/db.js';
import { CliError } from '../cli-error.js';

/** The audit actor of a command run from a shell. */
export function cliActor(): string {
  try {
    return `cli:${userInfo().username}`;
  } catch {
    return 'cli:unknown';
  }
}

/** PLANTPULSE_BOOTSTRAP_ADMIN_TOKEN, checked before anything starts. */
export function bootstrapTokenFromEnv(): string | undefined {
  const secret = process.env[BOOTSTRAP_ENV];
  if (secret === undefined || secret === '') return undefined;
  if (secret.length < MIN_TOKEN_LENGTH) {
    throw new CliError(
      `${BOOTSTRAP_ENV} is ${secret.length} characters long; use at least ${MIN_TOKEN_LENGTH} random characters (e.g. \`openssl rand -base64 32\`)`,
    );
  }
  return secret;
}

function withTokens<T>(dataDir: string, fn: (tokens: ApiTokens) => T): T {
  const db = openDatabase(dataDir, { durability: 'full' });
  try {
    return fn(new ApiTokens(db, new AuditTrail(db)));
  } catch (err) {
    if (err instanceof TokenError) throw new CliError(err.message);
    throw err;
  } finally {
    db.close();
  }
}

export function registerTokens(program: Command): void {
  const tokens = program
    .command('tokens')
    .description(`manage HTTP API bearer tokens (roles: ${TOKEN_ROLES.join(', ')})`);

  tokens
    .command('add')
    .description('create a token; prints its secret once, as the last line')
    .requiredOption('-d, --data-dir <dir>', 'data directory of the PlantPulse instance')
    .requiredOption('--name <name>', 'who or what uses it, e.g. grafana or alice')
    .requiredOption('--role <role>', `one of ${TOKEN_ROLES.join(', ')}`)
    .action((opts: { dataDir: string; name: string; role: string }) => {
      const secret = withTokens(opts.dataDir, (t) => t.add(opts.name, opts.role, cliActor()));
      process.stdout.write(
        `Created token "${opts.name}" with role ${opts.role}.\n` +
          'Send it as "Authorization: Bearer <token>". It is shown once and stored only as a hash; keep it now:\n' +
          `${secret}\n`,
      );
    });

  tokens
    .command('list')
    .description('list tokens (names, roles, state; never secrets)')
    .requiredOption('-d, --data-dir <dir>', 'data directory of the PlantPulse instance')
    .action((opts: { dataDir: string }) => {
      for (const t of withTokens(opts.dataDir, (x) => x.list())) {
        const state = t.revoked ? `revoked ${new Date(t.revoked).toISOString()}` : 'active';
        process.stdout.write(
          `${t.name}\t${t.role}\tcreated ${new Date(t.created).toISOString()}\t${state}\n`,
        );
      }
    });

  tokens
    .command('revoke')
    .description('revoke a token at once (its next request gets 401)')
    .requiredOption('-d, --data-dir <dir>', 'data directory of the PlantPulse instance')
    .requiredOption('--name <name>', 'token name, as listed by `tokens list`')
    .action((opts: { dataDir: string; name: string }) => {
      withTokens(opts.dataDir, (t) => t.revoke(opts.name, cliActor()));
      process.stdout.write(`Revoked token "${opts.name}".\n`);
    });
}
