#!/usr/bin/env node
/**
 * `plantpulse` command line. Each command lives in cli/commands/ and registers itself here.
 */
import { Command, CommanderError } from 'commander';
import { ConfigError } from '../config/load.js';
import { CliError } from './cli-error.js';
import { registerConfig } from './commands/config.js';
import { registerDemo } from './commands/demo.js';
import { registerDevices } from './commands/devices.js';
import { registerReplay } from './commands/replay.js';
import { registerReport } from './commands/report.js';
import { registerScore } from './commands/score.js';
import { registerSimulate } from './commands/simulate.js';
import { registerStart } from './commands/start.js';
import { registerTokens } from './commands/tokens.js';
import { registerAudit } from './commands/audit.js';

const program = new Command()
  .name('plantpulse')
  .description('IIoT sensor ingestion and energy monitoring for regulated plants')
  .version('0.1.0')
  .showHelpAfterError('(run with --help for usage)')
  .exitOverride();

registerStart(program);
registerDevices(program);
registerConfig(program);
registerSimulate(program);
registerDemo(program);
registerReplay(program);
registerScore(program);
registerTokens(program);
registerAudit(program);
registerReport(program);

try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof CommanderError) process.exit(err.exitCode);
  if (err instanceof ConfigError || err instanceof CliError) {
    process.stderr.write(`plantpulse: ${err.message}\n`);
    process.exit(2);
  }
  const e = err as NodeJS.ErrnoException;
  if (e.code === 'EADDRINUSE') {
    process.stderr.write(
      `plantpulse: a port is already in use (${e.message}); pick another with --mqtt-port / --http-port\n`,
    );
    process.exit(2);
  }
  process.stderr.write(`plantpulse: ${e.stack ?? String(e)}\n`);
  process.exit(1);
}
