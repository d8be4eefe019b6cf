/**
 * The pure parts of `npm run bench` (bench/suite.ts): which benches package.json declares, where
 * each writes its result, whether a result file is fresh and well-shaped, and the SUITE.md table.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { cpus, release, totalmem } from 'node:os';
import { basename, join } from 'node:path';
import { isBenchFile, RESULTS_DIR, type BenchFile, type Figure } from './figures.js';

export interface BenchRun {
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
export function candidates(name: string, command: string): string[] {
  const entry = /dist\/bench\/([\w.-]+)\.js/.exec(command)?.[1];
  return [...new Set([name, ...(entry ? [entry] : [])])].map((n) => join(RESULTS_DIR, `${n}.json`));
}

export function readFresh(
  files: string[],
  since: number,
): { file: string; body: BenchFile } | string {
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
