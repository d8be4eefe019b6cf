/**
 * `plantpulse replay`: historical CSV data through the live ingest path (MQTT, as each
 * sensor's device). Bad rows are reported `line N: reason` on stderr and skipped.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { loadPlantModel } from '../../config/load.js';
import { buildPlantIndex } from '../../config/plant-index.js';
import { openDatabase } from '../../store/db.js';
import { provisionCredentials, readCredentialsFile } from '../../simulator/credentials.js';
import { createProgress, fmtRate } from '../../simulator/progress.js';
import { Publisher } from '../../simulator/publisher.js';
import { planReplay, replayMessages } from '../../simulator/replay.js';
import { CliError } from '../cli-error.js';
import { intArg, speedArg } from './simulate.js';

interface ReplayOpts {
  config: string;
  broker: string;
  csv: string;
  sensor?: string;
  wide?: boolean;
  map: string[];
  speed?: number;
  batch: number;
  credentials?: string;
  provision?: boolean;
  dataDir?: string;
  progress: boolean;
}

const collect = (v: string, acc: string[]) => [...acc, v];

export function registerReplay(program: Command): void {
  program
    .command('replay')
    .description(
      "feed historical CSV data through the live ingest path (MQTT, as each sensor's device)",
    )
    .requiredOption('-c, --config <file>', 'plant model YAML')
    .requiredOption('--broker <url>', 'MQTT broker, e.g. mqtt://localhost:1883')
    .requiredOption(
      '--csv <file>',
      'CSV: timestamp,value (with --sensor) or, with --wide, timestamp,<column>,…',
    )
    .option('--sensor <path>', 'site/line/machine/sensor of a long-form CSV')
    .option(
      '--wide',
      'wide CSV: one column per sensor (header names are sensor paths or mapped with --map)',
    )
    .option('--map <col=path>', 'map a wide CSV column to a sensor path (repeatable)', collect, [])
    .option(
      '--speed <x>',
      'pace by the CSV timestamps: "max" (default) or a factor of real time',
      speedArg,
    )
    .option('--batch <n>', 'readings per message', intArg, 500)
    .option('--credentials <file>', 'JSON {"deviceId": "secret"}')
    .option('--provision', 'create credentials in --data-dir and write them to --credentials')
    .option('-d, --data-dir <dir>', 'data directory of the PlantPulse instance (with --provision)')
    .option('--no-progress', 'no progress bar')
    .action(async (opts: ReplayOpts) => {
      const index = buildPlantIndex(loadPlantModel(opts.config), opts.config);
      let text: string;
      try {
        text = readFileSync(opts.csv, 'utf8');
      } catch (err) {
        throw new CliError(`cannot read ${opts.csv}: ${(err as Error).message}`);
      }
      const map: Record<string, string> = {};
      for (const m of opts.map) {
        const eq = m.indexOf('=');
        if (eq <= 0) throw new CliError(`--map "${m}" must be column=site/line/machine/sensor`);
        map[m.slice(0, eq)] = m.slice(eq + 1);
      }
      let plan;
      try {
        plan = planReplay(index, { text, sensor: opts.sensor, wide: opts.wide, map });
      } catch (err) {
        throw new CliError(`${opts.csv}: ${(err as Error).message}`);
      }
      for (const e of plan.errors)
        process.stderr.write(`${opts.csv}: line ${e.line}: ${e.reason}\n`);
      const total = [...plan.readings.values()].reduce((n, r) => n + r.length, 0);
      const credentials = await credentialsFor(opts, [...index.devices.keys()]);
      const bar = createProgress(Math.max(total, 1), 'replay', opts.progress ? 'auto' : 'off');
      const started = Date.now();
      const publisher = new Publisher({
        url: opts.broker,
        credentials,
        speed: opts.speed,
        pacingFrom: plan.first,
        onProgress: (p) =>
          bar.update(
            p.readings,
            `${p.readings.toLocaleString('en-US')} readings | ${fmtRate(p.readings, Date.now() - started)}`,
          ),
        log: (m) => process.stderr.write(`replay: ${m}\n`),
      });
      try {
        const p = await publisher.run(replayMessages(plan, Math.max(1, opts.batch)));
        bar.stop();
        process.stdout.write(
          `replayed ${p.readings} readings of ${plan.sensors.length} sensor(s) from ${plan.rows} good row(s) in ${((Date.now() - started) / 1000).toFixed(1)} s; ` +
            `${plan.errors.length} bad row(s) skipped${plan.errors.length ? ' (listed above)' : ''}\n`,
        );
      } catch (err) {
        throw new CliError((err as Error).message);
      } finally {
        bar.stop();
        await publisher.close();
      }
    });
}

async function credentialsFor(
  opts: ReplayOpts,
  devices: string[],
): Promise<Record<string, string>> {
  if (opts.provision) {
    if (!opts.dataDir) throw new CliError('--provision needs --data-dir DIR');
    const db = openDatabase(opts.dataDir, { durability: 'full' });
    try {
      return (
        await provisionCredentials(
          db,
          devices,
          opts.credentials ?? join(opts.dataDir, 'simulator-credentials.json'),
        )
      ).secrets;
    } finally {
      db.close();
    }
  }
  if (!opts.credentials) return {};
  try {
    return readCredentialsFile(opts.credentials);
  } catch (err) {
    throw new CliError((err as Error).message);
  }
}
