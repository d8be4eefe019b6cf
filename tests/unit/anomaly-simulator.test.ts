/**
 * The anomaly operator on simulated weeks with injected anomalies (spike, level shift, drift,
 * stuck sensor, dropout; windows in the truth): detected episodes (flag-on and dropout events)
 * against the truth windows, precision and recall printed and held above a bar, and the false
 * alarms broken down by what the detector said and the batch context they fell in.
 *
 * The log is built as ingest would write it: readings in canonical units, batch events from the
 * MES as `<line>/batch.<event>` rows, in the order the simulator publishes them (sensor blocks
 * before the batch events that happen inside them).
 *
 * Seeds 1–3 are the ones the defaults were chosen on; seeds 4–6 were held out and are reported
 * with them. Each seed is a cold start (no learnt levels, no phase profiles), the hardest week.
 *
 * Matching: a truth window [start, end) is found when an episode starts in
 * [start - 2 intervals, end + 2 intervals) on its sensor. An episode is a true positive when it
 * starts in such an extended window; every other episode is a false alarm, including real but
 * uninjected changes (a degrading bearing's vibration).
 */
import { describe, expect, it } from 'vitest';
import type { DerivedRow, LogRecord } from '../../analytics/operator.js';
import { anomalyOperator, FLAG_KIND, GAP_KIND } from '../../analytics/anomaly/operator.js';
import { parsePlantModel } from '../../config/load.js';
import { buildPlantIndex } from '../../config/plant-index.js';
import { Simulation } from '../../simulator/engine.js';
import { FIXTURE_PLANT } from '../../simulator/fixtures.js';
import { computeTruth } from '../../simulator/truth.js';
import type { SeriesRow } from '../../store/series.js';

const DAY = 86_400_000;

function simulateAndScore(seed: number, days: number, transportFaults = false) {
  const index = buildPlantIndex(parsePlantModel(FIXTURE_PLANT));
  const from = Date.parse('2026-03-02T00:00:00Z');
  const sim = new Simulation(index, {
    from,
    to: from + days * DAY,
    seed,
    resolutionMs: 60_000,
    // Sensors publish 10-minute blocks, inside the operator's default context lateness (10m):
    // the simulator sends a block at its start, ahead of the batch events inside it.
    batch: 10,
    waveformSamples: 16,
    malformed: 0,
    transportFaults,
  });
  const series = index.sensors.map((s, i) => ({
    id: i + 1,
    key: s.path,
    kind: s.kind,
    unit: s.canonicalUnit,
  })) as SeriesRow[];
  const idOf = (key: string, kind: string) => {
    let s = series.find((x) => x.key === key);
    if (!s) series.push((s = { id: series.length + 1, key, kind, unit: '1' } as SeriesRow));
    return s.id;
  };
  const byTopic = new Map(index.sensors.map((s, i) => [s.topic, i + 1]));
  const records: LogRecord[] = [];
  for (const e of sim.events()) {
    if (e.type !== 'message') continue;
    if (e.class === 'batch') {
      const line = index.lineByBatchTopic.get(e.topic)!;
      const doc = JSON.parse(e.payload) as { ts: number; event: string };
      records.push({
        pos: records.length + 1,
        series: idOf(`${line.path}/batch.${doc.event}`, 'batch_event'),
        ts: doc.ts,
        value: null,
        quality: 0,
        body: Buffer.from(JSON.stringify({ ...doc, line: line.path })),
      });
      continue;
    }
    if (e.class !== 'reading') continue;
    const id = byTopic.get(e.topic)!;
    const info = index.sensors[id - 1]!;
    const body = JSON.parse(e.payload) as { ts: number; v: number } | { ts: number; v: number }[];
    for (const r of Array.isArray(body) ? body : [body])
      records.push({
        pos: records.length + 1,
        series: id,
        ts: r.ts,
        value: info.toCanonical(r.v),
        quality: 0,
        body: null,
      });
  }
  const ctx = { index, seriesOf: (id: number) => series[id - 1] };
  return { index, truth: computeTruth(sim), rows: score(records, ctx), records, ctx };
}

type Ctx = Parameters<ReturnType<typeof anomalyOperator>['apply']>[3];

/**
 * Runs the operator over `records`, checkpointing (JSON round trip of the snapshot, as the
 * runner stores it) and restarting a fresh operator at each of `cuts`.
 */
function score(records: LogRecord[], ctx: Ctx, cuts: number[] = []): DerivedRow[] {
  const rows: DerivedRow[] = [];
  const out = { emit: (r: DerivedRow) => rows.push(r), write: () => {} };
  let op = anomalyOperator(ctx.index);
  let state = op.init(ctx);
  let from = 0;
  for (const cut of [...cuts, records.length]) {
    op.apply(state, records.slice(from, cut), out, ctx);
    const saved = JSON.stringify(op.snapshot(state));
    op = anomalyOperator(ctx.index);
    state = op.restore(JSON.parse(saved), ctx);
    from = cut;
  }
  return rows;
}

/** What a false alarm was: the detector's own words without the numbers, and the batch context. */
function causeOf(body: string, kind: string, inBatch: boolean): string {
  const what =
    kind === GAP_KIND
      ? 'dropout'
      : /this hour/.test(body)
        ? 'seasonal'
        : /nearest usual/.test(body)
          ? 'level'
          : /shift or drift/.test(body)
            ? 'shift/drift'
            : /variability/.test(body)
              ? 'variance'
              : /flatline/.test(body)
                ? 'flatline'
                : 'other';
  return `${what}, ${inBatch ? 'during a batch' : 'between batches / utilities'}`;
}

function evaluate(seeds: number[], transportFaults: boolean) {
  let tp = 0;
  let fp = 0;
  let found = 0;
  let windows = 0;
  const missed: string[] = [];
  const falseAlarms = new Map<string, number>();
  for (const seed of seeds) {
    const { index, truth, rows } = simulateAndScore(seed, 7, transportFaults);
    const episodes = rows
      .filter((r) => (r.kind === FLAG_KIND && r.value === 1) || r.kind === GAP_KIND)
      .map((r) => ({
        sensor: r.series.slice(0, r.series.lastIndexOf(':')),
        ts: r.ts,
        kind: r.kind,
        body: r.body?.toString('utf8') ?? '',
      }));
    const ext = truth.anomalies.map((w) => {
      const iv = Math.max(index.sensorByPath.get(w.sensor)!.intervalMs, 60_000);
      return { ...w, lo: w.start - 2 * iv, hi: w.end + 2 * iv };
    });
    for (const e of episodes) {
      if (ext.some((w) => w.sensor === e.sensor && e.ts >= w.lo && e.ts < w.hi)) {
        tp++;
        continue;
      }
      fp++;
      const inBatch = truth.batches.some(
        (b) => e.sensor.startsWith(`${b.line}/`) && e.ts >= b.start && e.ts < b.end,
      );
      const k = causeOf(e.body, e.kind, inBatch);
      falseAlarms.set(k, (falseAlarms.get(k) ?? 0) + 1);
    }
    for (const w of ext) {
      windows++;
      if (episodes.some((e) => e.sensor === w.sensor && e.ts >= w.lo && e.ts < w.hi)) found++;
      else missed.push(`seed ${seed} ${w.kind} ${w.sensor}`);
    }
  }
  const precision = tp / Math.max(1, tp + fp);
  const recall = found / windows;
  const breakdown = [...falseAlarms]
    .sort((a, b) => b[1] - a[1])
    .map(([k, n]) => `${n} ${k}`)
    .join('; ');
  console.log(
    `simulator anomalies (${seeds.length} seeded weeks${transportFaults ? ', transport faults' : ''}): recall ${found}/${windows} = ${recall.toFixed(2)}, ` +
      `precision ${tp}/${tp + fp} = ${precision.toFixed(2)}; missed: ${missed.join('; ') || 'none'}\n` +
      `false alarms by cause: ${breakdown || 'none'}`,
  );
  return { recall, precision };
}

describe('anomaly detection on the simulator truth', () => {
  // The bars an engineer paged by the flag needs: at least every other page is a real fault
  // (below that, pages get ignored), and at least three of four injected faults are caught.
  // The runs are deterministic; the margins are for simulator changes, not for noise.
  it('finds the injected windows with precision and recall above the bar', () => {
    // Measured: recall 25/30 = 0.83, precision 44/79 = 0.56.
    const { recall, precision } = evaluate([1, 2, 3, 4, 5, 6], false);
    expect(recall).toBeGreaterThanOrEqual(0.75);
    expect(precision).toBeGreaterThanOrEqual(0.5);
  }, 60_000);

  it('keeps most of it through transport faults (duplicates, reordering, an offline gateway, a slow clock)', () => {
    // Measured: recall 13/15 = 0.87, precision 27/53 = 0.51. A resent or overtaken reading is
    // not scored; a reading up to 2 min before its phase's event is not judged.
    const { recall, precision } = evaluate([1, 2, 3], true);
    expect(recall).toBeGreaterThanOrEqual(0.75);
    expect(precision).toBeGreaterThanOrEqual(0.4);
  }, 60_000);

  it('gives the same flags and scores on a replay and across restarts, batch context included', () => {
    const { records, ctx, rows } = simulateAndScore(2, 2);
    expect(rows.length).toBeGreaterThan(0);
    const n = records.length;
    expect(score(records, ctx)).toEqual(rows);
    // Cuts inside held-back readings and between a batch event and the readings it governs.
    expect(score(records, ctx, [Math.floor(n / 7), Math.floor(n / 3), n - 1001])).toEqual(rows);
  }, 60_000);
});
