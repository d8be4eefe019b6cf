/**
 * `npm run bench`: every benchmark, one table.
 *
 *   npm run bench                      # every bench:* script of package.json, full runs
 *   npm run bench -- --quick           # short runs (PLANTPULSE_BENCH_QUICK=1 for each bench)
 *   npm run bench -- --only ingest,anomaly
 *
 * The npm script builds once; the suite then runs each `bench:<name>` script's command without
 * its own `npm run build &&` prefix, one after the other (benchmarks on a shared machine must not
 * overlap), and reads the result file each writes (bench/results/<name>.json, or the file named
 * after the script's compiled entry point, e.g. influx-drain.json for bench:influx) in the shape
 * of bench/lib/figures.ts. It writes bench/results/SUITE.md: one row per figure with the
 * same-run baseline and the ratio to it, the target and whether it was met. A bench that fails
 * or writes no fresh result is listed as such, and the suite's exit code is then 1.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { RESULTS_DIR } from './lib/figures.js';
import {
  candidates,
  discoverBenches,
  readFresh,
  suiteMarkdown,
  type BenchRun,
} from './lib/suite-table.js';

function run(command: string, env: NodeJS.ProcessEnv): Promise<number | null> {
  return new Promise((resolve) => {
    const child = spawn('sh', ['-c', command], { stdio: 'inherit', env });
    child.once('error', () => resolve(null));
    child.once('exit', (code) => resolve(code));
  });
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { quick: { type: 'boolean' }, only: { type: 'string' } },
    strict: true,
  });
  const quick = values.quick === true || process.env.PLANTPULSE_BENCH_QUICK === '1';
  const only = values.only?.split(',').map((s) => s.trim());
  const all = discoverBenches();
  if (only) {
    const unknown = only.filter((o) => !all.some((b) => b.name === o));
    if (unknown.length)
      throw new Error(
        `--only: no bench:${unknown.join(', bench:')} script in package.json (have ${all.map((b) => b.name).join(', ')})`,
      );
  }
  const benches = only ? all.filter((b) => only.includes(b.name)) : all;
  const started = new Date().toISOString();
  const load = loadavg()[0] ?? 0;
  const env = { ...process.env, ...(quick ? { PLANTPULSE_BENCH_QUICK: '1' } : {}) };
  const runs: BenchRun[] = [];
  for (const b of benches) {
    process.stdout.write(`\n=== bench:${b.name}${quick ? ' (quick)' : ''}: ${b.command}\n`);
    const t0 = Date.now();
    const exitCode = await run(b.command, env);
    const found = readFresh(candidates(b.name, b.command), t0);
    const seconds = (Date.now() - t0) / 1000;
    runs.push({
      script: `bench:${b.name}`,
      name: b.name,
      command: b.command,
      exitCode,
      seconds,
      result: typeof found === 'string' ? undefined : found.body,
      resultFile: typeof found === 'string' ? undefined : found.file,
      problem:
        typeof found === 'string'
          ? `${found}; exit code ${exitCode}`
          : exitCode !== 0
            ? `exit code ${exitCode}`
            : undefined,
    });
  }
  const md = suiteMarkdown(runs, { quick, started, load });
  mkdirSync(RESULTS_DIR, { recursive: true });
  const out = join(RESULTS_DIR, 'SUITE.md');
  writeFileSync(out, md);
  process.stdout.write(`\n${md}\nwritten: ${out}\n`);
  if (runs.some((r) => r.problem !== undefined)) process.exitCode = 1;
}

main().catch((err: Error) => {
  process.stderr.write(`bench suite: ${err.message}\n`);
  process.exit(2);
});
