/**
 * `plantpulse score` (built CLI): timestamp,value CSV in, timestamp,value,anomaly_score out,
 * one row per input row, the spike scored highest; bad input gets a clear error and exit 2.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/plantpulse-process.js';
import { tempDir } from '../helpers/tmp.js';

const tmp = tempDir('plantpulse-score-');
afterAll(() => tmp.cleanup());

describe('plantpulse score', () => {
  it('writes a score per row through the detector', () => {
    const rows = Array.from({ length: 1500 }, (_, i) => {
      const ts = new Date(Date.UTC(2026, 0, 1) + i * 300_000).toISOString().replace('.000Z', 'Z');
      return `${ts},${i === 1200 ? 90 : 50 + Math.sin(i)}`;
    });
    const csv = join(tmp.dir, 'in.csv');
    const out = join(tmp.dir, 'out.csv');
    writeFileSync(csv, `timestamp,value\n${rows.join('\n')}\n`);
    const r = runCli(['score', '--csv', csv, '--out', out, '--sensor-kind', 'temperature']);
    expect(r.status, r.stderr).toBe(0);
    const lines = readFileSync(out, 'utf8').trim().split('\n');
    expect(lines[0]).toBe('timestamp,value,anomaly_score');
    expect(lines).toHaveLength(1501);
    const scores = lines.slice(1).map((l) => Number(l.split(',')[2]));
    expect(scores.every((s) => s >= 0 && s <= 1)).toBe(true);
    expect(scores.indexOf(Math.max(...scores))).toBe(1200);
  });

  it('rejects a CSV without the expected header', () => {
    const csv = join(tmp.dir, 'bad.csv');
    writeFileSync(csv, 'time,v\n1,2\n');
    const r = runCli(['score', '--csv', csv, '--out', join(tmp.dir, 'x.csv')]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/timestamp.*value/);
  });
});
