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
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, release, totalmem } from 'node:os';
import { basename, join } from 'node:path';
import { parseArgs } from 'node:util';
import { isBenchFile, RESULTS_DIR, type BenchFile, type Figure } from './lib/figures.js';

interface BenchRun {
  script: string;
  name: string;
  command: string;
  exitCode: number | null;
  seconds: number;
  result: BenchFile | undefined;
  resultFile: string | undefined;
  problem: string | undefined;
}

const BUILD_PREFIX = /^\s*npm run build\s*&&\s*/;

/** The bench:* scripts of package.json, as name → command without the build step. */
export function discoverBenches(pkgFile = 'package.json'): { name: string; command: string }[] {
  const pkg = JSON.parse(readFileSync(pkgFile, 'utf8')) as { scripts?: Record<string, string> };
  return Object.entries(pkg.scripts ?? {})
    .filter(([k]) => k.startsWith('bench:'))
    .map(([k, cmd]) => ({ name: k.slice('bench:'.length), command: cmd.replace(BUILD_PREFIX, '') }))
    .sort((a, b) => a.name.localeCompare(b.name));
}

/** Result files a bench may write: <name>.json, or <entry point basename>.json. */
function candidates(name: string, command: string): string[] {
  const entry = /dist\/bench\/([\w.-]+)\.js/.exec(command)?.[1];
  return [...new Set([name, ...(entry ? [entry] : [])])].map((n) => join(RESULTS_DIR, `${n}.json`));
}

function run(command: string, env: NodeJS.ProcessEnv): Promise<number | null> {
  return new Promise((resolve) => {
    const child = spawn('sh', ['-c', command], { stdio: 'inherit', env });
    child.once('error', () => resolve(null));
    child.once('exit', (code) => resolve(code));
  });
}

function readFresh(files: string[], since: number): { file: string; body: BenchFile } | string {
  for (const file of files) {
    if (!existsSync(file)) continue;
    if (statSync(file).mtimeMs < since) continue;
    let body: unknown;
    try {
      body = JSON.parse(readFileSync(file, 'utf8'));
    } catch (err) {
      return `${file} is not JSON: ${(err as Error).message}`;
    }
    if (!isBenchFile(body))
      return `${file} lacks the suite shape { bench, figures: [{ metric, value, unit, … }] }`;
    return { file, body };
  }
  return `no fresh result file (looked for ${files.join(', ')})`;
}

const num = (v: number | null) =>
  v === null || !Number.isFinite(v)
    ? '—'
    : Math.abs(v) >= 1000
      ? Math.round(v).toLocaleString('en-US')
      : String(Number(v.toPrecision(4)));
const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

function ratio(f: Figure): string {
  if (f.baseline === null || !Number.isFinite(f.baseline) || f.baseline === 0) return '—';
  if (!Number.isFinite(f.value)) return '—';
  return `${(f.value / f.baseline).toFixed(2)}×`;
}

export function suiteMarkdown(
  runs: BenchRun[],
  meta: { quick: boolean; started: string; load: number },
): string {
  const c = cpus();
  const rows = runs.flatMap((r) =>
    r.result
      ? r.result.figures.map(
          (f) =>
            `| ${cell(r.name)} | ${cell(f.metric)} | ${num(f.value)} ${cell(f.unit)} | ${f.baseline === null ? '—' : `${num(f.baseline)} ${cell(f.unit)} (${cell(f.baselineName ?? 'baseline')})`} | ${ratio(f)} | ${cell(f.target ?? '—')} | ${f.met === null ? '—' : f.met ? 'met' : '**short**'} |`,
        )
      : [
          `| ${cell(r.name)} | **did not report**: ${cell(r.problem ?? 'unknown')} | — | — | — | — | — |`,
        ],
  );
  return [
    '# PlantPulse benchmark suite',
    '',
    `${meta.started} · ${meta.quick ? '**quick mode** (short runs: indicative only)' : 'full runs'} · ${c.length} × ${c[0]?.model.trim() ?? '?'} · ${(totalmem() / 2 ** 30).toFixed(0)} GiB · Linux ${release()} · Node ${process.version} · load average at start ${meta.load.toFixed(2)}${meta.load > 0.5 ? ' (**other work was running: figures are low**)' : ''}`,
    '',
    '| bench | figure | value | same-run baseline | ratio | target | met |',
    '| --- | --- | ---: | ---: | ---: | --- | --- |',
    ...rows,
    '',
    'Ratio = value ÷ baseline (for latencies and memory, lower is better). Each bench: ' +
      runs
        .map(
          (r) =>
            `\`bench:${r.name}\` ${r.seconds.toFixed(0)} s, exit ${r.exitCode}${r.resultFile ? ` (${basename(r.resultFile)})` : ''}`,
        )
        .join(' · ') +
      '. Details: bench/results/<name>.md and .json; methodology: bench/README.md.',
    '',
  ].join('\n');
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
