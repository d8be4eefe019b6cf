/**
 * `plantpulse score`: backtesting. Reads `timestamp,value` CSV and writes
 * `timestamp,value,anomaly_score` (the NAB results format) through the same detector the
 * anomaly operator runs, with the plant-model defaults (one configuration for every series).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { CsvFormatError, formatScores, scoreCsv } from '../../analytics/anomaly/csv-score.js';
import { resolveSettings } from '../../analytics/anomaly/settings.js';
import { SENSOR_KINDS } from '../../config/units.js';
import { CliError } from '../cli-error.js';

export function registerScore(program: Command): void {
  program
    .command('score')
    .description('score a timestamp,value CSV with the anomaly detector (backtesting, NAB format)')
    .requiredOption('--csv <file>', 'input CSV with a timestamp,value header')
    .requiredOption('--out <file>', 'output CSV: timestamp,value,anomaly_score')
    .option('--sensor-kind <kind>', `sensor kind (${SENSOR_KINDS.join(', ')})`)
    .action((o: { csv: string; out: string; sensorKind?: string }) => {
      if (o.sensorKind !== undefined && !(SENSOR_KINDS as readonly string[]).includes(o.sensorKind))
        throw new CliError(
          `--sensor-kind "${o.sensorKind}" is not a sensor kind; use one of ${SENSOR_KINDS.join(', ')}`,
        );
      let text: string;
      try {
        text = readFileSync(o.csv, 'utf8');
      } catch (err) {
        throw new CliError(`cannot read ${o.csv}: ${(err as Error).message}`);
      }
      try {
        const rows = scoreCsv(text, resolveSettings(0, undefined));
        writeFileSync(o.out, formatScores(rows));
        process.stdout.write(`scored ${rows.length} rows into ${o.out}\n`);
      } catch (err) {
        if (err instanceof CsvFormatError) throw new CliError(`${o.csv}: ${err.message}`);
        throw err;
      }
    });
}
