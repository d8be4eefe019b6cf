import type { Command } from 'commander';
import { createLogger } from '../../runtime/logger.js';
import { startPlantPulse } from '../../runtime/plantpulse.js';
import { port } from '../options.js';
import { bootstrapTokenFromEnv } from './tokens.js';

export function registerStart(program: Command): void {
  program
    .command('start')
    .description('run the broker, ingest and API in one process (the embedded default)')
    .requiredOption('-c, --config <file>', 'plant model YAML')
    .requiredOption('-d, --data-dir <dir>', 'directory of the local log (created if missing)')
    .option('--mqtt-port <n>', 'MQTT port (overrides mqtt.port; 0 = any free port)', port)
    .option('--http-port <n>', 'HTTP API port (overrides http.port; 0 = any free port)', port)
    .action(
      async (opts: { config: string; dataDir: string; mqttPort?: number; httpPort?: number }) => {
        const log = createLogger();
        const running = await startPlantPulse({
          configFile: opts.config,
          dataDir: opts.dataDir,
          mqttPort: opts.mqttPort,
          httpPort: opts.httpPort,
          log,
          bootstrapAdminToken: bootstrapTokenFromEnv(),
        });
        stopOnSignals(async () => running.stop(), log);
      },
    );
}

/** SIGTERM/SIGINT: stop accepting, flush and close the log, exit 0. A second signal exits at once. */
export function stopOnSignals(
  stop: () => Promise<void>,
  log: { info: (m: string) => void; error: (o: object, m: string) => void },
): void {
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) process.exit(130);
    stopping = true;
    log.info(`${signal} received; shutting down`);
    stop().then(
      () => process.exit(0),
      (err: unknown) => {
        log.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}
