/**
 * The bench suite's pure parts: discovering bench:* scripts, finding a bench's fresh result file,
 * rejecting a file without the suite shape, and the SUITE.md table (ratio to the same-run baseline).
 */
import { mkdirSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { figure } from '../../bench/lib/figures.js';
import {
  candidates,
  discoverBenches,
  readFresh,
  suiteMarkdown,
  type BenchRun,
} from '../../bench/lib/suite-table.js';
import { tempDir } from '../helpers/tmp.js';

const tmp = tempDir('plantpulse-bench-suite-');
afterAll(() => tmp.cleanup());

describe('bench suite', () => {
  it('discovers the bench:* scripts and strips their build step', () => {
    const pkg = join(tmp.dir, 'package.json');
    writeFileSync(
      pkg,
      JSON.stringify({
        scripts: {
          build: 'tsc',
          bench: 'npm run build && node dist/bench/suite.js',
          'bench:influx': 'npm run build && node dist/bench/influx-drain.js',
          'bench:anomaly': 'npm run build && node --expose-gc dist/bench/anomaly.js',
        },
      }),
    );
    expect(discoverBenches(pkg)).toEqual([
      { name: 'anomaly', command: 'node --expose-gc dist/bench/anomaly.js' },
      { name: 'influx', command: 'node dist/bench/influx-drain.js' },
    ]);
    expect(candidates('influx', 'node dist/bench/influx-drain.js')).toEqual([
      'bench/results/influx.json',
      'bench/results/influx-drain.json',
    ]);
  });

  it('reads only a fresh file of the suite shape', () => {
    const dir = join(tmp.dir, 'results');
    mkdirSync(dir, { recursive: true });
    const good = join(dir, 'good.json');
    writeFileSync(good, JSON.stringify({ bench: 'good', figures: [figure('x', 1, 'ms')] }));
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ started: 'yesterday', results: [] }));
    const stale = join(dir, 'stale.json');
    writeFileSync(stale, JSON.stringify({ bench: 'stale', figures: [] }));
    utimesSync(stale, new Date(0), new Date(0));

    const now = Date.now() - 60_000;
    expect(readFresh([good], now)).toMatchObject({ file: good, body: { bench: 'good' } });
    expect(readFresh([bad], now)).toMatch(/lacks the suite shape/);
    expect(readFresh([stale], now)).toMatch(/no fresh result file/);
    expect(readFresh([stale, good], now)).toMatchObject({ file: good });
  });

  it('writes one row per figure with the baseline ratio, target and met', () => {
    const run = (name: string, extra: Partial<BenchRun>): BenchRun => ({
      script: `bench:${name}`,
      name,
      command: 'node x.js',
      exitCode: 0,
      seconds: 12,
      result: undefined,
      resultFile: undefined,
      problem: undefined,
      ...extra,
    });
    const md = suiteMarkdown(
      [
        run('ingest', {
          result: {
            bench: 'ingest',
            figures: [
              figure('durable readings/s', 84_354, 'readings/s', {
                baseline: 84_756,
                baselineName: 'Mosquitto 2.0.11',
                target: '≥ 40,000/s',
                met: true,
              }),
              figure('p99', 92.7, 'ms', { target: '≤ 30 ms', met: false }),
            ],
          },
          resultFile: 'bench/results/ingest.json',
        }),
        run('broken', { exitCode: 2, problem: 'no fresh result file; exit code 2' }),
      ],
      { quick: true, started: '2026-11-23T17:00:00Z', load: 0.1 },
    );
    expect(md).toContain(
      '| ingest | durable readings/s | 84,354 readings/s | 84,756 readings/s (Mosquitto 2.0.11) | 1.00× | ≥ 40,000/s | met |',
    );
    expect(md).toContain('| ingest | p99 | 92.7 ms | — | — | ≤ 30 ms | **short** |');
    expect(md).toContain('| broken | **did not report**: no fresh result file; exit code 2 |');
    expect(md).toContain('quick mode');
  });
});
