/**
 * Integration tests run the real CLI (`node dist/cli/main.js`) as child processes, so dist/
 * must match the sources. Build once before the integration project starts.
 */
import { execFileSync } from 'node:child_process';

export default function setup(): void {
  if (process.env.PLANTPULSE_SKIP_BUILD === '1') return;
  execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json'], {
    stdio: 'inherit',
  });
}
