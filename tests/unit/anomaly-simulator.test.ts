/**
 * The anomaly operator on a simulated week with injected anomalies (spike, level shift, drift,
 * stuck sensor, dropout; windows in the truth): detected episodes (flag-on and dropout events)
 * against the truth windows, precision and recall printed and held above a bar.
 *
 * Matching: a truth window [start, end) is found when an episode starts in
 * [start - 2 intervals, end + 2 intervals) on its sensor. An episode is a true positive when it
 * starts in such an extended window; every other episode is a false alarm (batch phase changes
 * and the degrading machine's vibration count against precision although they are real changes).
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

function simulateAndScore(seed: number, days: number) {
  const index = buildPlantIndex(parsePlantModel(FIXTURE_PLANT));
  const from = Date.parse('2026-03-02T00:00:00Z');
  const sim = new Simulation(index, {
    from,
    to: from + days * DAY,
    seed,
    resolutionMs: 60_000,
    batch: 60,
    waveformSamples: 16,
    malformed: 0,
    transportFaults: false,
  });
  const series: SeriesRow[] = index.sensors.map((s, i) => ({
    id: i + 1,
    key: s.path,
    kind: s.kind,
    unit: s.canonicalUnit,
  })) as SeriesRow[];
  const byTopic = new Map(index.sensors.map((s, i) => [s.topic, i + 1]));
  const records: LogRecord[] = [];
  for (const e of sim.events()) {
    if (e.type !== 'message' || e.class !== 'reading') continue;
    const id = byTopic.get(e.topic)!;
    const body = JSON.parse(e.payload) as { ts: number; v: number } | { ts: number; v: number }[];
    for (const r of Array.isArray(body) ? body : [body])
      records.push({
        pos: records.length + 1,
        series: id,
        ts: r.ts,
        value: r.v,
        quality: 0,
        body: null,
      });
  }
  const op = anomalyOperator(index);
  const ctx = { index, seriesOf: (id: number) => series[id - 1] };
  const state = op.init(ctx);
  const rows: DerivedRow[] = [];
  op.apply(state, records, { emit: (r) => rows.push(r), write: () => {} }, ctx);
  return { index, truth: computeTruth(sim), rows, records: records.length };
}

describe('anomaly detection on the simulator truth', () => {
  it('finds the injected windows with precision and recall above the bar', () => {
    let tp = 0;
    let fp = 0;
    let found = 0;
    let windows = 0;
    const missed: string[] = [];
    for (const seed of [1, 2, 3]) {
      const { index, truth, rows } = simulateAndScore(seed, 7);
      const episodes = rows
        .filter((r) => (r.kind === FLAG_KIND && r.value === 1) || r.kind === GAP_KIND)
        .map((r) => ({ sensor: r.series.slice(0, r.series.lastIndexOf(':')), ts: r.ts }));
      const ext = truth.anomalies.map((w) => {
        const iv = Math.max(index.sensorByPath.get(w.sensor)!.intervalMs, 60_000);
        return { ...w, lo: w.start - 2 * iv, hi: w.end + 2 * iv };
      });
      for (const e of episodes) {
        if (ext.some((w) => w.sensor === e.sensor && e.ts >= w.lo && e.ts < w.hi)) tp++;
        else fp++;
      }
      for (const w of ext) {
        windows++;
        if (episodes.some((e) => e.sensor === w.sensor && e.ts >= w.lo && e.ts < w.hi)) found++;
        else missed.push(`seed ${seed} ${w.kind} ${w.sensor}`);
      }
    }
    const precision = tp / Math.max(1, tp + fp);
    const recall = found / windows;
    console.log(
      `simulator anomalies: recall ${found}/${windows} = ${recall.toFixed(2)}, precision ${tp}/${tp + fp} = ${precision.toFixed(2)}; missed: ${missed.join('; ') || 'none'}`,
    );
    // Bar just under the measured figures (recall 14/15, precision 26/763 = 0.034 over 3 seeded
    // weeks; the run is deterministic). Recall is what a plant needs first; precision is low
    // because batch-phase transitions on power sensors and first-week seasonal buckets still
    // raise flags (open work, see analytics/anomaly/README.md).
    expect(recall).toBeGreaterThanOrEqual(0.85);
    expect(precision).toBeGreaterThanOrEqual(0.03);
  });
});
