/**
 * The maintenance operator on synthetic records: outputs depend on the record sequence only,
 * not on how the runner cuts it into steps (DESIGN C4); a snapshot restored mid-stream goes on
 * exactly as the uninterrupted state; a waveform-only machine drives its wear from the
 * waveform's velocity; readings later than the lateness change nothing and are counted.
 */
import { describe, expect, it } from 'vitest';
import { maintenanceOperator } from '../../analytics/maintenance/operator.js';
import type { DerivedRow, LogRecord, OperatorContext } from '../../analytics/operator.js';
import { parsePlantModel } from '../../config/load.js';
import { buildPlantIndex } from '../../config/plant-index.js';
import { encodeWaveformBody } from '../../ingest/decode-waveform.js';
import type { SeriesRow } from '../../store/series.js';

const YAML = `plant: { name: op test }
sites:
  - id: s
    lines:
      - id: l
        machines:
          - id: fan
            vibrationClass: II
            sensors:
              - { id: power, kind: power, unit: kW, interval: 1m, range: [0, 100] }
              - { id: vib, kind: vibration, unit: mm/s, interval: 1m, range: [0, 45] }
          - id: pump
            sensors:
              - { id: power, kind: power, unit: kW, interval: 1m, range: [0, 100] }
              - { id: wave, kind: waveform, unit: m/s², interval: 10m, sampleRate: 4096 }
maintenance: { learning: 1d, minPoints: 12 }
`;
const index = buildPlantIndex(parsePlantModel(YAML, 'test'));
const series: SeriesRow[] = index.sensors.map((s, i) => ({
  id: i + 1,
  key: s.path,
  kind: s.kind,
  unit: s.canonicalUnit,
  derived: false,
}));
const id = (path: string) => series.find((s) => s.key === path)!.id;
const ctx: OperatorContext = { index, seriesOf: (i) => series[i - 1] };
const T0 = Date.parse('2026-03-02T00:00:00Z');
const MIN = 60_000;
const DAY = 86_400_000;

/** Eight days: running 06–22 h with varying load; the fan's bearing wears from day 3. */
function records(): LogRecord[] {
  const out: Omit<LogRecord, 'pos'>[] = [];
  for (let t = 0; t < 8 * DAY; t += MIN) {
    const ts = T0 + t;
    const h = (t % DAY) / 3_600_000;
    const load = h >= 6 && h < 22 ? 0.3 + 0.6 * ((t / (40 * MIN)) % 1) : 0.02;
    const wear = 1 + Math.max(0, (t - 3 * DAY) / DAY) ** 2 * 0.15;
    const jitter = 1 + 0.02 * Math.sin(t / 7_777);
    for (const m of ['fan', 'pump'])
      out.push({
        series: id(`s/l/${m}/power`),
        ts,
        value: load * 90_000 * jitter,
        quality: 0,
        body: null,
      });
    const v = (load < 0.1 ? 0.1 : 0.8 + 1.6 * load) * wear * jitter;
    out.push({ series: id('s/l/fan/vib'), ts, value: v, quality: 0, body: null });
    if (t % (10 * MIN) === 0) {
      const a = load < 0.1 ? 0.02 : 0.2 + 0.3 * load; // m/s² at 30 Hz: 0.75–1.8 mm/s
      const x = Float64Array.from(
        { length: 1024 },
        (_, i) => a * Math.sin((2 * Math.PI * 30 * i) / 4096),
      );
      out.push({
        series: id('s/l/pump/wave'),
        ts,
        value: null,
        quality: 0,
        body: encodeWaveformBody(4096, x),
      });
    }
  }
  // Transport reordering: swap a few neighbours; and one reading three hours too late.
  for (let i = 5_000; i < out.length - 1; i += 7_919) [out[i], out[i + 1]] = [out[i + 1]!, out[i]!];
  const late = { series: id('s/l/fan/vib'), ts: T0 + 5 * DAY, value: 40, quality: 0, body: null };
  out.splice(
    out.findIndex((r) => r.ts > T0 + 5 * DAY + 3 * 3_600_000),
    0,
    late,
  );
  return out.map((r, i) => ({ ...r, pos: i + 1 }));
}

function run(recs: LogRecord[], cuts: number[]) {
  const op = maintenanceOperator(index);
  let state = op.init(ctx);
  const rows: DerivedRow[] = [];
  const out = { emit: (r: DerivedRow) => rows.push(r), write: () => {} };
  let from = 0;
  for (const [i, cut] of [...cuts, recs.length].entries()) {
    op.apply(state, recs.slice(from, cut), out, ctx);
    from = cut;
    // Restore from a JSON snapshot at every other cut, as the runner does after a restart.
    if (i % 2 === 0) state = op.restore(JSON.parse(JSON.stringify(op.snapshot(state))), ctx);
  }
  const key = (r: DerivedRow) =>
    `${r.series} ${r.ts} ${r.value} ${r.body ? r.body.toString('utf8') : ''}`;
  return { rows: rows.map(key), state };
}

describe('maintenance operator', () => {
  const recs = records();
  const whole = run(recs, []);

  it('gives the same rows however the records are cut into steps and restored', () => {
    for (const size of [1, 997, 20_000]) {
      const cuts: number[] = [];
      for (let c = size; c < recs.length; c += size) cuts.push(c);
      const cut = run(recs, size === 1 ? cuts.filter((_, i) => i % 5000 === 0) : cuts);
      expect(cut.rows).toEqual(whole.rows);
      expect(JSON.stringify(cut.state)).toEqual(JSON.stringify(whole.state));
    }
  });

  it('the wearing fan gets a rising wear index and an RUL; the waveform-only pump does not', () => {
    const fan = whole.rows.filter((r) => r.startsWith('s/l/fan:wear_index'));
    const last = Number(fan.at(-1)!.split(' ')[2]);
    expect(last).toBeGreaterThan(0.3);
    expect(whole.rows.some((r) => r.startsWith('s/l/fan:rul_days'))).toBe(true);
    const pump = whole.rows.filter((r) => r.startsWith('s/l/pump:wear_index'));
    expect(pump.length).toBeGreaterThan(50);
    expect(Math.max(...pump.map((r) => Number(r.split(' ')[2])))).toBeLessThan(0.1);
    expect(whole.rows.some((r) => r.startsWith('s/l/pump:rul_days'))).toBe(false);
    // The pump's waveform velocity: 30 Hz sine of amplitude a → a/(2π·30)/√2 m/s.
    // Without a transmitter, the pump's waveform velocity gives its ISO zone.
    expect(whole.rows.some((r) => r.startsWith('s/l/pump/wave:iso_zone'))).toBe(true);
    expect(whole.rows.some((r) => r.startsWith('s/l/fan/vib:iso_zone'))).toBe(true);
    // The first block (midnight, a = 0.02 m/s²).
    const v = Number(
      whole.rows.find((r) => r.startsWith('s/l/pump/wave:velocity_rms'))!.split(' ')[2],
    );
    const expected = (0.02 / (2 * Math.PI * 30) / Math.SQRT2) * 1000;
    expect(Math.abs(v / expected - 1)).toBeLessThan(0.03);
  });

  it('a reading later than the lateness is counted and changes nothing', () => {
    expect(whole.state.machines['s/l/fan']!.lateReadings).toBeGreaterThanOrEqual(1);
    const without = run(
      recs.filter((r) => !(r.value === 40 && r.ts === T0 + 5 * DAY)),
      [],
    );
    const wear = (rows: string[]) => rows.filter((r) => r.includes(':wear_index'));
    expect(wear(without.rows)).toEqual(wear(whole.rows));
  });
});
