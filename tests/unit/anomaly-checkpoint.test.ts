/**
 * Detector checkpoints stay compatible: the anomaly operator stores each sensor's detector state
 * as JSON (operator version 3), and a running plant resumes from it after an upgrade. The fixture
 * was written by the detector as it was before its split into stage modules; the current code
 * must write the same checkpoint byte for byte and, restored from it, continue to the same
 * scores, flags, explanations and final state. If the detector changes on purpose, regenerate
 * with UPDATE_CHECKPOINT_FIXTURE=1, and give the operator a new version when the state's shape
 * changed (field names, array lengths): old checkpoints cannot be read as the new shape.
 */
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  enterContext,
  explain,
  newAssessment,
  newState,
  step,
  type DetectorState,
} from '../../analytics/anomaly/detector.js';
import { anomalyOperator } from '../../analytics/anomaly/operator.js';
import { DEFAULT_SETTINGS as S } from '../../analytics/anomaly/settings.js';
import { parsePlantModel } from '../../config/load.js';
import { buildPlantIndex } from '../../config/plant-index.js';
import { FIXTURE_PLANT } from '../../simulator/fixtures.js';

const FIXTURE = new URL('./fixtures/anomaly-checkpoint-v3.json', import.meta.url);
const T0 = Date.parse('2026-03-02T00:00:00Z'); // a Monday
const STEP = 5 * 60_000;
const CHECKPOINT_AT = 3000; // ~10 days: every hour-of-week bucket seen, phase profiles learnt
const READINGS = 6000;
/** Level per batch context: 0 between batches, 1–4 the phases of a batch. */
const LEVELS = [20, 45, 70, 60, 35];

interface Fixture {
  operatorVersion: number;
  checkpointAt: number;
  readings: number;
  checkpoint: DetectorState;
  /** sha256 of every assessment and explanation after the checkpoint, then the final state. */
  continued: string;
}

type Item = { ctx: number; ts: number } | { ts: number; x: number };

/**
 * A process value on a plant clock: weekday batches 06:00–22:00 UTC cycling through four
 * one-hour phases, each at its own level, with a daily swing and noise; then a spike, a level
 * shift, a stuck transmitter, a dropout and a resent reading after the checkpoint.
 */
function plantStream(): Item[] {
  let seed = 99;
  const rnd = () => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0), seed / 2 ** 32);
  const out: Item[] = [];
  let ctx = -1;
  let ts = T0;
  for (let i = 0; i < READINGS; i++) {
    ts += STEP;
    if (i >= 5600 && i < 5630) continue; // 30 readings lost: a dropout
    const d = new Date(ts);
    const hour = d.getUTCHours();
    const weekday = d.getUTCDay() >= 1 && d.getUTCDay() <= 5;
    const c = weekday && hour >= 6 && hour < 22 ? 1 + ((hour - 6) % 4) : 0;
    if (c !== ctx) out.push({ ctx: (ctx = c), ts: ts - 60_000 });
    let x = LEVELS[c]! + 2 * Math.sin((hour / 24) * 2 * Math.PI) + rnd() - 0.5;
    if (i === 4500) x += 40;
    if (i >= 5000 && i < 5100) x += 15;
    if (i >= 5300 && i < 5400) x = 33.3;
    out.push({ ts, x });
    if (i === 5700) out.push({ ts, x }); // resent
  }
  return out;
}

/** Runs `items` through `st`; from reading `from` on, hashes every assessment and explanation. */
function run(st: DetectorState, items: Item[], from: number, to: number): string {
  const a = newAssessment();
  const h = createHash('sha256');
  let i = 0;
  for (const it of items) {
    if ('ctx' in it) {
      if (i >= from && i < to) enterContext(st, it.ctx, it.ts);
      continue;
    }
    if (i >= from && i < to) {
      step(st, S, it.ts, it.x, a, undefined, 3_600_000);
      h.update(JSON.stringify([a, explain(a, st)]));
    }
    i++;
  }
  return h.update(JSON.stringify(st)).digest('hex');
}

function generate(): Fixture {
  const items = plantStream();
  const st = newState(S);
  run(st, items, 0, CHECKPOINT_AT);
  const checkpoint = JSON.parse(JSON.stringify(st)) as DetectorState;
  return {
    operatorVersion: 3,
    checkpointAt: CHECKPOINT_AT,
    readings: READINGS,
    checkpoint,
    continued: run(st, items, CHECKPOINT_AT, Infinity),
  };
}

if (process.env.UPDATE_CHECKPOINT_FIXTURE === '1')
  writeFileSync(FIXTURE, `${JSON.stringify(generate(), null, 1)}\n`);
const fixture = JSON.parse(readFileSync(FIXTURE, 'utf8')) as Fixture;

describe('detector checkpoints (operator version 3)', () => {
  it('is the checkpoint of the operator version in force', () => {
    const op = anomalyOperator(buildPlantIndex(parsePlantModel(FIXTURE_PLANT, 'fixture')));
    expect(op.version).toBe(fixture.operatorVersion);
  });

  it('has the shape of the stored checkpoint: same fields in the same order, same array lengths', () => {
    const shape = (st: object) =>
      Object.entries(st).map(([k, v]) => [k, Array.isArray(v) ? v.length : typeof v]);
    const fresh = newState(S);
    const stored = { ...fixture.checkpoint, dts: [] }; // the cadence samples grow from empty
    expect(shape(fresh)).toEqual(shape(stored));
  });

  it('writes the stored checkpoint byte for byte from the same readings', () => {
    const st = newState(S);
    run(st, plantStream(), 0, fixture.checkpointAt);
    expect(JSON.stringify(st)).toBe(JSON.stringify(fixture.checkpoint));
    expect(st.n).toBe(fixture.checkpointAt);
  });

  it('resumes from the stored checkpoint to the same scores, flags, explanations and state', () => {
    const items = plantStream();
    const restored = structuredClone(fixture.checkpoint);
    const a = newAssessment();
    // The continuation must exercise what a plant checkpoint carries: flags, gaps, contexts.
    let flags = 0;
    let gaps = 0;
    const probe = structuredClone(fixture.checkpoint);
    let i = 0;
    for (const it of items) {
      if ('ctx' in it) {
        if (i >= fixture.checkpointAt) enterContext(probe, it.ctx, it.ts);
        continue;
      }
      if (i++ < fixture.checkpointAt) continue;
      step(probe, S, it.ts, it.x, a, undefined, 3_600_000);
      if (a.changed && a.flag) flags++;
      if (a.gapMs > 0) gaps++;
    }
    expect(flags).toBeGreaterThanOrEqual(2);
    expect(gaps).toBe(1);
    expect(run(restored, items, fixture.checkpointAt, Infinity)).toBe(fixture.continued);
  });
});
