import type { Command } from 'commander';
import { AuditTrail } from '../../audit/trail.js';
import { openDatabase } from '../../store/db.js';

/** Exit code of `audit verify` when the chain is broken (2 is a usage or config error). */
export const AUDIT_BROKEN_EXIT = 3;

export function registerAudit(program: Command): void {
  const audit = program.command('audit').description('the hash-chained audit trail');

  audit
    .command('verify')
    .description(
      `walk the whole hash chain; exit ${AUDIT_BROKEN_EXIT} naming the first broken entry when a row was altered, inserted or removed`,
    )
    .requiredOption('-d, --data-dir <dir>', 'data directory of the PlantPulse instance')
    .action((opts: { dataDir: string }) => {
      const db = openDatabase(opts.dataDir, { durability: 'full' });
      try {
        const r = new AuditTrail(db).verify();
        if (r.ok) {
          process.stdout.write(
            `audit trail intact: ${r.entries} entries; head hash ${r.headHash}\n` +
              '(keep the head hash elsewhere, e.g. in a signed report, to anchor the chain)\n',
          );
        } else {
          process.stderr.write(
            `audit trail BROKEN at entry ${r.brokenAt}: ${r.reason} (${r.entries} entries verified before it)\n`,
          );
          process.exitCode = AUDIT_BROKEN_EXIT;
        }
      } finally {
        db.close();
      }
    });

  audit
    .command('list')
    .description('print entries, newest first, as JSON lines')
    .requiredOption('-d, --data-dir <dir>', 'data directory of the PlantPulse instance')
    .option('--action <prefix>', 'only actions starting with this, e.g. token.')
    .option('--limit <n>', 'at most this many', (v) => Number(v), 100)
    .action((opts: { dataDir: string; action?: string; limit: number }) => {
      const db = openDatabase(opts.dataDir, { durability: 'full' });
      try {
        for (const e of new AuditTrail(db).list({ actionPrefix: opts.action, limit: opts.limit })) {
          process.stdout.write(`${JSON.stringify(e)}\n`);
        }
      } finally {
        db.close();
      }
    });
}
