/**
 * `plantpulse simulate`: publishes a simulated plant (schedule, power, meters, process values,
 * vibration, anomalies, faults) to a broker as the plant's devices, and writes the ground truth.
 * `plantpulse simulate fixtures` regenerates the golden fixtures for analytics tests.
 */
import { mkdirSync, writeFileSync, createWriteStream } from 'node:fs';
import { join } from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import { loadPlantModel } from '../../config/load.js';
import { buildPlantIndex } from '../../config/plant-index.js';
import { openDatabase } from '../../store/db.js';
import { provisionCredentials, readCredentialsFile } from '../../simulator/credentials.js';
import { Simulation } from '../../simulator/engine.js';
import { writeFixtures } from '../../simulator/fixtures.js';
import { parseDurationArg, resolveWindow } from '../../simulator/options.js';
import { publishSimulation } from '../../simulator/run.js';
import { eventLine } from '../../simulator/stream.js';
import { computeTruth, truthJson } from '../../simulator/truth.js';
import { CliError } from '../cli-error.js';
import { positiveNumber } from '../options.js';

interface SimulateOpts {
  config?: string;
  broker?: string;
  speed?: number;
  from?: string;
  to?: string;
  duration?: string;
  seed: number;
  truth?: string;
  resolution?: string;
  batch?: number;
  waveformSamples: number;
  anomalies?: number;
  malformed: number;
  faults: boolean;
  credentials?: string;
  provision?: boolean;
  dataDir?: string;
  dryRun?: boolean;
  out?: string;
  maxInFlight: number;
  progress: boolean;
}

export function speedArg(value: string): number | undefined {
  if (value === 'max') return undefined;
  return positiveNumber(value);
}

export function intArg(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n))
    throw new InvalidArgumentError(`"${value}" is not a whole number`);
  return n;
}

export function registerSimulate(program: Command): void {
  const cmd = program
    .command('simulate')
    .description(
      'publish a simulated plant (batches, power, meters, process values, vibration, anomalies, faults) as its devices, with ground truth',
    )
    .option('-c, --config <file>', 'plant model YAML (required)')
    .option('--broker <url>', 'MQTT broker, e.g. mqtt://localhost:1883 (required unless --dry-run)')
    .option(
      '--speed <x>',
      'event time per wall time: "max" (as fast as acknowledged, default), a factor, or 1 for real time (ts = now)',
      speedArg,
    )
    .option('--from <date>', 'start of simulated time (default: --duration before now)')
    .option('--to <date>', 'end of simulated time (default: now)')
    .option(
      '--duration <d>',
      'length of the run when --from or --to is missing, e.g. 7d (default 1d)',
    )
    .option(
      '--seed <n>',
      'seed: the same seed gives the same stream and truth, byte for byte',
      intArg,
      1,
    )
    .option('--truth <file>', 'write the ground truth JSON here')
    .option(
      '--resolution <d>',
      'sample no scalar sensor faster than this, e.g. 10s (default: native intervals)',
    )
    .option(
      '--batch <n>',
      'readings per message (JSON arrays); default 100, or 1 in real time',
      intArg,
    )
    .option(
      '--waveform-samples <n>',
      'samples per vibration waveform block (8–262144)',
      intArg,
      1024,
    )
    .option('--anomalies <n>', 'anomaly windows to inject (default 5 per simulated week)', intArg)
    .option(
      '--malformed <n>',
      'deliberately malformed messages to inject (each must become one dead letter)',
      intArg,
      10,
    )
    .option(
      '--no-faults',
      'no transport faults (duplicates, reordering, offline gateway, clock skew) and no meter reset/rollover',
    )
    .option(
      '--credentials <file>',
      'JSON {"deviceId": "secret"} for the devices (written by --provision)',
    )
    .option(
      '--provision',
      'create credentials for every device of the plant in --data-dir and write them to --credentials',
    )
    .option('-d, --data-dir <dir>', 'data directory of the PlantPulse instance (with --provision)')
    .option(
      '--dry-run',
      'do not publish: write the stream (stream.jsonl) and truth (truth.json) to --out',
    )
    .option('--out <dir>', 'output directory for --dry-run')
    .option('--max-in-flight <n>', 'messages awaiting PUBACK at most', intArg, 2000)
    .option('--no-progress', 'no progress bar')
    .action(async (opts: SimulateOpts) => {
      if (!opts.config) throw new CliError('simulate needs --config FILE (the plant model)');
      const index = buildPlantIndex(loadPlantModel(opts.config), opts.config);
      let win;
      try {
        win = resolveWindow(opts);
      } catch (err) {
        throw new CliError((err as Error).message);
      }
      if (opts.waveformSamples < 8 || opts.waveformSamples > 262_144)
        throw new CliError('--waveform-samples must be 8–262144 (what ingest accepts)');
      const sim = new Simulation(index, {
        from: win.from,
        to: win.to,
        seed: opts.seed,
        resolutionMs: opts.resolution ? cliDuration(opts.resolution, '--resolution') : 0,
        batch: opts.batch ?? (win.realTime ? 1 : 100),
        waveformSamples: opts.waveformSamples,
        anomalies: opts.anomalies,
        malformed: opts.malformed,
        transportFaults: opts.faults,
        counterFaults: opts.faults,
      });
      if (sim.unpublishable.length)
        process.stderr.write(
          `simulate: ${sim.unpublishable.length} topic(s) have no device and anonymous access is off; skipped: ${sim.unpublishable.slice(0, 5).join(', ')}\n`,
        );

      if (opts.dryRun) {
        if (!opts.out) throw new CliError('--dry-run needs --out DIR');
        mkdirSync(opts.out, { recursive: true });
        const out = createWriteStream(join(opts.out, 'stream.jsonl'));
        for (const e of sim.events())
          if (!out.write(`${eventLine(e)}\n`))
            await new Promise<void>((r) => out.once('drain', () => r()));
        await new Promise<void>((r, j) => out.end((err?: Error | null) => (err ? j(err) : r())));
        writeFileSync(join(opts.out, 'truth.json'), truthJson(computeTruth(sim)));
        const st = sim.streamStats!;
        process.stdout.write(
          `wrote ${st.messages} messages (${st.readings} readings) to ${join(opts.out, 'stream.jsonl')} and the truth to ${join(opts.out, 'truth.json')}\n`,
        );
        return;
      }
      if (!opts.broker)
        throw new CliError('simulate needs --broker mqtt://HOST:PORT (or --dry-run --out DIR)');
      const credentials = await loadCredentials(
        opts,
        index.model.devices.map((d) => d.id),
      );
      const ac = new AbortController();
      const onSignal = () => ac.abort();
      process.once('SIGINT', onSignal);
      process.once('SIGTERM', onSignal);
      const r = await publishSimulation(sim, {
        url: opts.broker,
        credentials,
        speed: opts.speed,
        progress: opts.progress ? 'auto' : 'off',
        maxInFlight: opts.maxInFlight,
        signal: ac.signal,
        log: (m) => process.stderr.write(`simulate: ${m}\n`),
      }).catch((err: Error) => {
        throw new CliError(err.message);
      });
      process.stdout.write(`${r.summary}\n`);
      if (opts.truth) {
        writeFileSync(opts.truth, truthJson(computeTruth(sim)));
        process.stdout.write(
          `truth written to ${opts.truth}${sim.streamStats ? '' : ' (run stopped early: stream counts are null)'}\n`,
        );
      }
    });

  cmd
    .command('fixtures')
    .description(
      'regenerate the golden fixtures for analytics tests (tests/fixtures/<case>/{plant.yaml,input.jsonl,expected.json})',
    )
    .addHelpText(
      'after',
      '\nOptions: --out <dir> (default tests/fixtures), given before or after "fixtures".',
    )
    .action(() => {
      // `--out` is an option of `simulate` itself, so commander hands it to the parent command.
      const out = (cmd.opts() as { out?: string }).out ?? 'tests/fixtures';
      const cases = writeFixtures(out);
      process.stdout.write(
        `wrote ${cases.length} fixture case(s) to ${out}: ${cases.join(', ')}\n`,
      );
    });
}

function cliDuration(text: string, what: string): number {
  try {
    return parseDurationArg(text, what);
  } catch (err) {
    throw new CliError((err as Error).message);
  }
}

async function loadCredentials(
  opts: SimulateOpts,
  devices: string[],
): Promise<Record<string, string>> {
  if (opts.provision) {
    if (!opts.dataDir)
      throw new CliError(
        '--provision needs --data-dir DIR (the data directory of the PlantPulse instance)',
      );
    const file = opts.credentials ?? join(opts.dataDir, 'simulator-credentials.json');
    const db = openDatabase(opts.dataDir, { durability: 'full' });
    try {
      const { secrets, issued } = await provisionCredentials(db, devices, file);
      process.stderr.write(
        `simulate: credentials in ${file} (mode 0600)${issued.length ? `; issued for ${issued.join(', ')}` : ''}\n`,
      );
      return secrets;
    } finally {
      db.close();
    }
  }
  if (opts.credentials) {
    try {
      return readCredentialsFile(opts.credentials);
    } catch (err) {
      throw new CliError((err as Error).message);
    }
  }
  return {};
}
