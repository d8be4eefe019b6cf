import { describe, expect, it } from 'vitest';
import { expectedKWh, fitBaseline } from '../../analytics/energy/enpi.js';
import { onBatchSettled } from '../../analytics/energy/enpi-stream.js';
import { buildEnergyModel } from '../../analytics/energy/model.js';
import type { BatchState, EnergyState } from '../../analytics/energy/state.js';
import type { DerivedRow } from '../../analytics/operator.js';
import { buildPlantIndex } from '../../config/plant-index.js';
import { plantSchema } from '../../config/schema.js';
import { testPlant } from '../helpers/plant-fixture.js';

const plant = testPlant({
  machines: 1,
  overrides: {
    energy: { enpi: { baseline: { from: '2026-03-01', to: '2026-03-08' }, minBatches: 3 } },
  },
});
const model = buildEnergyModel(buildPlantIndex(plantSchema.parse(plant)));
const DAY = 86_400_000;
const MAR1 = Date.parse('2026-03-01T00:00:00Z'); // the test site is on UTC

const batch = (id: string, start: number, quantity: number | null, kwh: number, coverage = 1): BatchState => ({
  id,
  line: 't/l1',
  batch: id,
  product: 'P-1',
  quantity,
  unit: 'kg',
  start,
  end: start + 3_600_000,
  aborted: false,
  settled: true,
  kwh,
  coverage,
  revision: 0,
  dirtyTick: null,
  revTick: null,
});

function run(batches: BatchState[]): { state: EnergyState; rows: DerivedRow[] } {
  const state = { enpi: undefined } as unknown as EnergyState;
  const rows: DerivedRow[] = [];
  const out = { emit: (r: DerivedRow) => rows.push(r), write: () => undefined };
  for (const b of batches) onBatchSettled(b, state, model, out);
  return { state, rows };
}

describe('EnPI baseline series', () => {
  it('learns from baseline-period batches and emits the expected kWh per unit for later ones', () => {
    const base = [batch('b1', MAR1 + DAY, 100, 230), batch('b2', MAR1 + 2 * DAY, 200, 440), batch('b3', MAR1 + 3 * DAY, 300, 650)];
    const later = batch('a1', MAR1 + 10 * DAY, 250, 500);
    const { state, rows } = run([...base, later]);
    expect(Object.keys(state.enpi!['P-1']!)).toEqual(['b1', 'b2', 'b3']);
    const fit = fitBaseline(base.map((b) => ({ units: b.quantity!, kwh: b.kwh })), 3)!;
    expect(fit.kind).toBe('regression');
    expect(rows).toEqual([
      {
        series: 't/l1:kwh_per_unit_baseline:P-1',
        kind: 'kwh_per_unit_baseline',
        unit: 'kWh/unit',
        ts: later.start,
        value: expectedKWh(fit, 250) / 250,
      },
    ]);
    // 20 + 2.1 × units fits the three points exactly: 545 kWh expected for 250 units.
    expect(rows[0]!.value).toBeCloseTo(545 / 250, 9);
  });

  it('leaves out partial batches and batches without a quantity, and a revision replaces its point', () => {
    const { state, rows } = run([
      batch('b1', MAR1 + DAY, 100, 220),
      batch('b2', MAR1 + 2 * DAY, null, 420),
      batch('b3', MAR1 + 3 * DAY, 300, 640, 0.9),
      batch('b1', MAR1 + DAY, 100, 240), // revised by late data
      batch('a1', MAR1 + 10 * DAY, 50, 100),
    ]);
    expect(state.enpi!['P-1']).toEqual({ b1: [100, 240] });
    // One point: the mean-ratio baseline, 2.4 kWh per unit.
    expect(rows.map((r) => r.value)).toEqual([2.4]);
  });

  it('emits nothing before a baseline exists or when none is configured', () => {
    expect(run([batch('a1', MAR1 + 10 * DAY, 50, 100)]).rows).toEqual([]);
    const bare = buildEnergyModel(buildPlantIndex(plantSchema.parse(testPlant({ machines: 1 }))));
    const rows: DerivedRow[] = [];
    onBatchSettled(batch('b1', MAR1 + DAY, 100, 220), {} as EnergyState, bare, {
      emit: (r) => rows.push(r),
      write: () => undefined,
    });
    expect(rows).toEqual([]);
  });
});
