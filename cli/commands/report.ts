/**
 * `plantpulse report energy --month YYYY-MM --format csv|xlsx|pdf|json --out FILE`: the monthly
 * energy report from a data directory (the running instance's or a copy), with a progress bar
 * on stderr when it is a terminal. The export is recorded in the data directory's audit trail.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import cliProgress from 'cli-progress';
import type { Command } from 'commander';
import { AuditTrail } from '../../audit/trail.js';
import { loadPlantModel } from '../../config/load.js';
import { buildPlantIndex } from '../../config/plant-index.js';
import { parseMonth } from '../../reports/month.js';
import { exportEnergyReport, parseFormat, REPORT_FORMATS } from '../../reports/render.js';
import { CodedError } from '../../runtime/errors.js';
import { LOG_FILE, openDatabase } from '../../store/db.js';
import { CliError } from '../cli-error.js';

/** Build steps reported through onProgress, plus writing the file. */
const STEPS = 7;

function actor(): string {
  try {
    return `cli:${userInfo().username}`;
  } catch {
    return 'cli:unknown';
  }
}

export function registerReport(program: Command): void {
  const report = program.command('report').description('reports built from the local log');
  report
    .command('energy')
    .description('monthly energy report (site local month): CSV, XLSX, PDF with charts, or JSON')
    .requiredOption('--month <YYYY-MM>', 'month to report, in the site time zone')
    .option('--format <format>', REPORT_FORMATS.join(' | '), 'pdf')
    .requiredOption('--out <file>', 'file to write')
    .requiredOption('-c, --config <file>', 'plant model YAML')
    .requiredOption('-d, --data-dir <dir>', 'data directory of the PlantPulse instance')
    .action(
      async (o: {
        month: string;
        format: string;
        out: string;
        config: string;
        dataDir: string;
      }) => {
        let month: string;
        let format: ReturnType<typeof parseFormat>;
        try {
          month = parseMonth(o.month, '--month').id;
          format = parseFormat(o.format, '--format');
        } catch (err) {
          throw new CliError((err as Error).message);
        }
        const index = buildPlantIndex(loadPlantModel(o.config));
        if (!existsSync(join(o.dataDir, LOG_FILE)))
          throw new CliError(
            `${o.dataDir} holds no PlantPulse log (${LOG_FILE}); check --data-dir`,
          );
        const bar = process.stderr.isTTY
          ? new cliProgress.SingleBar(
              {
                stream: process.stderr,
                format: `energy report ${month} [{bar}] {value}/{total} {step}`,
                hideCursor: true,
                clearOnComplete: false,
              },
              cliProgress.Presets.shades_classic,
            )
          : undefined;
        bar?.start(STEPS, 0, { step: 'opening the log' });
        // Writable: the export is appended to the audit trail (busy_timeout waits for a running instance).
        const db = openDatabase(o.dataDir, { durability: 'full' });
        try {
          const out = await exportEnergyReport({
            db,
            index,
            month,
            format,
            audit: new AuditTrail(db),
            actor: actor(),
            worker: { dataDir: o.dataDir },
            onProgress: (step) => bar?.increment({ step }),
          });
          bar?.increment({ step: `writing ${o.out}` });
          try {
            writeFileSync(o.out, out.body);
          } catch (err) {
            throw new CliError(`cannot write ${o.out}: ${(err as Error).message}`);
          }
          bar?.stop();
          process.stdout.write(
            `wrote ${o.out} (${format}, ${out.body.length} bytes): ${month} total ${out.report.totalKWh.toFixed(1)} kWh, ` +
              `${out.report.batches.length} batches${out.report.provisional ? ', provisional' : ''}\n`,
          );
        } catch (err) {
          bar?.stop();
          if (err instanceof CodedError) throw new CliError(err.message);
          throw err;
        } finally {
          db.close();
        }
      },
    );
}
