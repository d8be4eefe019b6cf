/**
 * `npm run eval:nab`: scores the labelled NAB subset (../shared/eval/nab) with ONE detector
 * configuration, writes NAB results CSVs and runs the validated scorer (nab_score.py).
 * `--ablate level,shift,...` switches components off to measure what each contributes.
 * `--per-file` passes through to the scorer.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { formatScores, scoreCsv } from '../analytics/anomaly/csv-score.js';
import type { Ablation } from '../analytics/anomaly/detector.js';
import { DEFAULT_SETTINGS } from '../analytics/anomaly/settings.js';

const args = process.argv.slice(2);
const opt = (name: string): string | undefined => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const nabDir = resolve(opt('--nab') ?? process.env.PLANTPULSE_NAB_DIR ?? '../shared/eval/nab');
const ablation: Ablation = {};
for (const c of (opt('--ablate') ?? '').split(',').filter(Boolean))
  (ablation as Record<string, boolean>)[c] = false;

const dataDir = join(nabDir, 'data', 'realKnownCause');
const results = mkdtempSync(join(tmpdir(), 'plantpulse-nab-'));
const outDir = join(results, 'realKnownCause');
mkdirSync(outDir, { recursive: true });
try {
  const t0 = performance.now();
  let rows = 0;
  for (const f of readdirSync(dataDir)
    .filter((x) => x.endsWith('.csv'))
    .sort()) {
    const scored = scoreCsv(readFileSync(join(dataDir, f), 'utf8'), DEFAULT_SETTINGS, ablation);
    rows += scored.length;
    writeFileSync(join(outDir, f), formatScores(scored));
  }
  const ms = performance.now() - t0;
  const extra = args.includes('--per-file') ? ['--per-file'] : [];
  const report = execFileSync('python3', [join(nabDir, 'nab_score.py'), results, ...extra], {
    encoding: 'utf8',
  });
  const what = Object.keys(ablation).length
    ? ` (ablated: ${Object.keys(ablation).join(', ')})`
    : '';
  process.stdout.write(
    `PlantPulse detector on the NAB realKnownCause subset${what}: ${rows} rows scored in ${ms.toFixed(0)} ms\n${report}`,
  );
} finally {
  rmSync(results, { recursive: true, force: true });
}
