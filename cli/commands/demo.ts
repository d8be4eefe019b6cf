/**
 * `plantpulse demo` (what `npm start` runs): PlantPulse in-process with the example plant, every
 * device provisioned, and the simulator publishing in real time, so a newcomer sees data
 * within seconds. Optional `--backfill 1d` first simulates the last day at full speed so the
 * charts have history. Ctrl-C stops the simulator, then flushes and closes PlantPulse.
 */
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { createLogger } from '../../runtime/logger.js';
import { startPlantPulse } from '../../runtime/plantpulse.js';
import { ApiTokens } from '../../security/tokens.js';
import { bootstrapTokenFromEnv } from './tokens.js';
import { provisionCredentials } from '../../simulator/credentials.js';
import { Simulation } from '../../simulator/engine.js';
import { parseDurationArg } from '../../simulator/options.js';
import { publishSimulation } from '../../simulator/run.js';
import { CliError } from '../cli-error.js';
import { port } from '../options.js';
import { intArg } from './simulate.js';
import { stopOnSignals } from './start.js';

interface DemoOpts {
  config: string;
  dataDir: string;
  mqttPort?: number;
  httpPort?: number;
  seed: number;
  backfill?: string;
  logLevel: string;
}

const DAY = 86_400_000;

export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description(
      'run PlantPulse with the example plant and its simulator feeding it in real time (what `npm start` runs)',
    )
    .option('-c, --config <file>', 'plant model YAML', 'examples/plant.yaml')
    .option('-d, --data-dir <dir>', 'data directory', 'data')
    .option('--mqtt-port <n>', 'MQTT port (overrides mqtt.port; 0 = any free port)', port)
    .option('--http-port <n>', 'HTTP API port (overrides http.port; 0 = any free port)', port)
    .option('--seed <n>', 'simulator seed', intArg, 1)
    .option('--backfill <d>', 'first simulate this much history at full speed, e.g. 1d')
    .option('--log-level <level>', 'PlantPulse log level (logs are JSON on stdout)', 'warn')
    .action(async (opts: DemoOpts) => {
      const backfillMs = opts.backfill
        ? safe(() => parseDurationArg(opts.backfill!, '--backfill'))
        : 0;
      const log = createLogger({ level: opts.logLevel });
      const pp = await startPlantPulse({
        configFile: opts.config,
        dataDir: opts.dataDir,
        mqttPort: opts.mqttPort,
        httpPort: opts.httpPort,
        log,
        bootstrapAdminToken: bootstrapTokenFromEnv(),
      });
      // The demo's API needs tokens like any other: fresh ones each start (rotated, audited), one
      // per role a first-time user acts in, so the energy report and alert acknowledgement can be
      // tried without first learning `plantpulse tokens add`.
      const tokens = new ApiTokens(pp.store.db, pp.store.audit);
      const demoToken = (role: 'viewer' | 'energy' | 'maintenance') =>
        tokens.add(`demo-${role}`, role, 'system', { replace: true });
      const viewerToken = demoToken('viewer');
      const energyToken = demoToken('energy');
      const maintenanceToken = demoToken('maintenance');
      const ac = new AbortController();
      let sim: Promise<void> = Promise.resolve();
      stopOnSignals(async () => {
        ac.abort();
        await sim.catch(() => undefined);
        await pp.stop();
      }, log);

      const credFile = join(opts.dataDir, 'demo-credentials.json');
      const { secrets, issued } = await provisionCredentials(
        pp.store.db,
        [...pp.index.devices.keys()],
        credFile,
      );
      const mqttUrl = `mqtt://127.0.0.1:${pp.mqttPort}`;
      const http = `http://localhost:${pp.httpPort}`;
      const sensor = pp.index.sensors.find((s) => s.kind === 'power') ?? pp.index.sensors[0]!;
      const dev = sensor.device ?? '';
      const month = new Date().toISOString().slice(0, 7); // the month the demo is writing
      process.stderr.write(
        [
          '',
          '  PlantPulse demo — the example plant, fed by its simulator in real time',
          `  ${pp.index.lines.length} lines, ${pp.index.sensors.length} sensors, ${pp.index.devices.size} devices${issued.length ? ` (credentials issued for ${issued.length}, kept in ${credFile}, mode 0600)` : ` (credentials from ${credFile})`}`,
          '',
          `  MQTT   mqtt://localhost:${pp.mqttPort}`,
          `  HTTP   ${http}    (API reference: ${http}/docs)`,
          '',
          '  API tokens (new each start; send as Authorization: Bearer …):',
          `  TOKEN=${viewerToken}    # viewer: read plant data`,
          `  ENERGY_TOKEN=${energyToken}    # energy: also export reports`,
          `  MAINT_TOKEN=${maintenanceToken}    # maintenance: also ack and resolve alerts`,
          `  curl -s -H "Authorization: Bearer $TOKEN" ${http}/api/v1/stats`,
          `  curl -s -H "Authorization: Bearer $TOKEN" '${http}/api/v1/readings?sensor=${sensor.path}'`,
          `  curl -s -H "Authorization: Bearer $TOKEN" '${http}/api/v1/alerts?state=active'`,
          `  curl -s -H "Authorization: Bearer $ENERGY_TOKEN" -o report.pdf '${http}/api/v1/reports/energy?month=${month}&format=pdf'`,
          `  (more tokens: plantpulse tokens add --data-dir ${opts.dataDir} --name NAME --role viewer|engineer|maintenance|energy|admin)`,
          `  mosquitto_pub -h localhost -p ${pp.mqttPort} -u ${dev} -P "$(node -p 'require("${resolve(credFile)}")["${dev}"]')" -q 1 \\`,
          `      -t ${sensor.topic} -m "{\\"ts\\": $(date +%s%3N), \\"v\\": 42.5}"`,
          '',
          '  Ctrl-C stops the simulator and PlantPulse cleanly.',
          '',
        ].join('\n') + '\n',
      );

      const say = (m: string) => process.stderr.write(`demo: ${m}\n`);
      sim = (async () => {
        let meters: Record<string, number> | undefined;
        if (backfillMs > 0) {
          let to = Math.floor(Date.now() / 60_000) * 60_000;
          let from = to - backfillMs;
          // The backfill takes minutes of wall time; a short catch-up pass then covers them, so
          // the live run continues the data without a hole every sensor would be silent across.
          for (let pass = 0; pass < 3 && to - from >= 1_000 && !ac.signal.aborted; pass++) {
            const back = new Simulation(pp.index, {
              from,
              to,
              seed: opts.seed + pass,
              resolutionMs: 10_000,
              // One reading per message keeps the stream in event-time order, as a live plant
              // sends it. Larger batches are grouped by sampling interval, so the 1-minute meters
              // would run `batch` minutes ahead of the 1-second sensors and every fast sensor
              // would look silent on the event-time watermark (alerts/README.md, Time).
              batch: 1,
              waveformSamples: 1024,
              malformed: 0,
              initialMeters: meters,
              // The catch-up pass is a minute or two: no outage, meter reset or bearing failure in it.
              ...(pass > 0
                ? { transportFaults: false, counterFaults: false, anomalies: 0, degrading: 0 }
                : {}),
            });
            const r = await publishSimulation(back, {
              url: mqttUrl,
              credentials: secrets,
              progress: pass === 0 ? 'auto' : 'off',
              label: pass === 0 ? 'backfill' : 'catch-up',
              signal: ac.signal,
              log: say,
            });
            say(`${pass === 0 ? 'backfill' : 'catch-up'}: ${r.summary}`);
            // The next run continues the meters where this one left them (no false meter reset).
            meters = Object.fromEntries(
              back.counters.map((c) => [c.sensor.path, c.valueAt(back.to)]),
            );
            from = to;
            to = Math.floor(Date.now() / 1000) * 1000;
          }
        }
        // Real time: ts = now, native intervals, one reading per message, a few faults, no malformed spam.
        const from = Math.floor(Date.now() / 1000) * 1000;
        const live = new Simulation(pp.index, {
          from,
          to: from + 30 * DAY,
          seed: opts.seed + 1,
          batch: 1,
          initialMeters: meters,
          malformed: 0,
          anomalies: 10,
          offline: { startFrac: (10 * 60_000) / (30 * DAY), durationMs: 3 * 60_000 },
        });
        say('publishing in real time…');
        await publishSimulation(live, {
          url: mqttUrl,
          credentials: secrets,
          speed: 1,
          progress: 'off',
          signal: ac.signal,
          log: say,
        });
      })();
      sim.catch((err: Error) => {
        if (!ac.signal.aborted) say(`simulator stopped: ${err.message}`);
      });
    });
}

function safe<T>(f: () => T): T {
  try {
    return f();
  } catch (err) {
    throw new CliError((err as Error).message);
  }
}
