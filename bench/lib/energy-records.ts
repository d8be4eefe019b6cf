/**
 * Generates what the energy operator would have written for a plant of `lines` × `machines`
 * power meters over whole months: hourly rows per meter, machine and line (energy_hourly),
 * daily rows summed from them by the same SQL the operator uses (energy_daily), settled
 * batches, and monthly peaks. The values are synthetic (a seeded generator: idle power, batch
 * power, batches of varying size), not integrated from 1 Hz readings: the report reads these
 * records, never the raw readings, so their number, not their origin, is what it scales with.
 */
import type Database from 'better-sqlite3';
import { ENERGY_SCHEMA } from '../../analytics/energy/tables.js';
import { localParts } from '../../config/local-time.js';

const HOUR = 3_600_000;
const PRODUCTS = ['Amlodipine', 'Ibuprofen', 'Metformin', 'Paracetamol', 'Losartan'];

export interface PlantShape {
  site: string;
  tz: string;
  lines: number;
  machines: number;
}

export const linePath = (p: PlantShape, l: number) =>
  `${p.site}/l${String(l + 1).padStart(2, '0')}`;

/** The plant model YAML for the shape: one 1 Hz power meter per machine. */
export function plantYaml(p: PlantShape, baseline: { from: string; to: string }): string {
  const lines = Array.from({ length: p.lines }, (_, l) => {
    const ms = Array.from(
      { length: p.machines },
      (_, m) =>
        `          - id: m${m + 1}\n            type: machine\n            sensors:\n              - { id: power, kind: power, unit: kW, interval: 1s, range: [0, 500] }`,
    ).join('\n');
    return `      - id: l${String(l + 1).padStart(2, '0')}\n        machines:\n${ms}`;
  }).join('\n');
  return `plant:\n  name: Benchmark plant\nsites:\n  - id: ${p.site}\n    timezone: ${p.tz}\n    lines:\n${lines}
energy:
  tariff:
    currency: CHF
    basePrice: 0.19
    periods: [{ name: peak, days: [mon, tue, wed, thu, fri], from: 7, to: 20, price: 0.29 }]
    peakDemand: { window: 15m, pricePerKw: 11.5 }
  co2: { factor: 0.128 }
  enpi: { baseline: { from: '${baseline.from}', to: '${baseline.to}' } }
`;
}

/** Writes records for [from, to) (UTC ms, whole hours); returns row counts. */
export function generateEnergyRecords(
  db: Database.Database,
  p: PlantShape,
  from: number,
  to: number,
  seed = 42,
): { hourly: number; daily: number; batches: number } {
  db.exec(ENERGY_SCHEMA);
  let s = seed >>> 0;
  const rnd = () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
  const hourQ = db.prepare(
    `INSERT OR REPLACE INTO energy_hourly (scope, key, hour, day, kwh, coverage, batch_kwh, idle_kwh, cost, co2_kg, revision)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0)`,
  );
  const batchQ = db.prepare(
    `INSERT OR REPLACE INTO batches (id, line, batch, product, quantity, unit, start_ts, end_ts, status, kwh, duration_ms, coverage, kwh_per_unit, cost, currency, co2_kg, revision)
     VALUES (?, ?, ?, ?, ?, 'kg', ?, ?, 'settled', ?, ?, 1, ?, ?, 'CHF', ?, 0)`,
  );
  const peaks = new Map<string, [number, number]>();
  let hourly = 0;
  let batches = 0;
  db.transaction(() => {
    for (let l = 0; l < p.lines; l++) {
      const line = linePath(p, l);
      const idleKw = Array.from({ length: p.machines }, () => 3 + 12 * rnd());
      const runKw = Array.from({ length: p.machines }, () => 20 + 80 * rnd());
      // Batches: one every 6 h on average, 2–5 h long, sizes 400–1600 kg.
      const spans: [number, number][] = [];
      for (let t = from + rnd() * 6 * HOUR; t < to;) {
        const len = (2 + 3 * rnd()) * HOUR;
        const end = Math.min(to, Math.round(t + len));
        const qty = Math.round(400 + 1200 * rnd());
        const product = PRODUCTS[(l + spans.length) % PRODUCTS.length]!;
        // Energy with a fixed part and a part per kg, plus noise, so the EnPI regression has work.
        const kwh = 150 + 0.9 * qty + 60 * (rnd() - 0.5);
        const start = Math.round(t);
        const n = String(++batches).padStart(6, '0');
        batchQ.run(
          `${line}/B${n}`,
          line,
          `B${n}`,
          product,
          qty,
          start,
          end,
          kwh,
          end - start,
          kwh / qty,
          kwh * 0.24,
          kwh * 0.128,
        );
        spans.push([start, end]);
        t = end + (0.5 + 2 * rnd()) * HOUR;
      }
      let k = 0;
      for (let h = from; h < to; h += HOUR) {
        while (k < spans.length && spans[k]![1] <= h) k++;
        let inBatch = 0;
        for (let j = k; j < spans.length && spans[j]![0] < h + HOUR; j++)
          inBatch += Math.min(h + HOUR, spans[j]![1]) - Math.max(h, spans[j]![0]);
        const f = inBatch / HOUR;
        const lp = localParts(h, p.tz);
        const day = `${lp.y}-${String(lp.m).padStart(2, '0')}-${String(lp.d).padStart(2, '0')}`;
        const price = lp.h >= 7 && lp.h < 20 ? 0.29 : 0.19;
        let lineKwh = 0;
        let lineBatch = 0;
        for (let m = 0; m < p.machines; m++) {
          const b = runKw[m]! * f * (0.95 + 0.1 * rnd());
          const i = idleKw[m]! * (1 - f) * (0.9 + 0.2 * rnd());
          const e = b + i;
          const key = `${line}/m${m + 1}`;
          hourQ.run('machine', key, h, day, e, 1, b, i, e * price, e * 0.128);
          hourQ.run('meter', `${key}/power`, h, day, e, 1, 0, 0, e * price, e * 0.128);
          lineKwh += e;
          lineBatch += b;
          hourly += 2;
        }
        hourQ.run(
          'line',
          line,
          h,
          day,
          lineKwh,
          1,
          lineBatch,
          lineKwh - lineBatch,
          lineKwh * price,
          lineKwh * 0.128,
        );
        hourly++;
        const month = day.slice(0, 7);
        // Peak: the busiest hour's mean × a 15-minute ripple factor (site sum built below).
        const cur = peaks.get(`${h}`);
        peaks.set(`${h}`, [(cur?.[0] ?? 0) + lineKwh, Number(month.replace('-', ''))]);
      }
    }
    const byMonth = new Map<number, [number, number]>();
    for (const [h, [kwh, month]] of peaks) {
      const cur = byMonth.get(month);
      if (!cur || kwh > cur[0]) byMonth.set(month, [kwh, Number(h)]);
    }
    const peakQ = db.prepare(
      `INSERT OR REPLACE INTO energy_peaks (site, month, window_ms, kw, at, charge, currency) VALUES (?, ?, 900000, ?, ?, ?, 'CHF')`,
    );
    for (const [month, [kwh, at]] of byMonth) {
      const kw = kwh * 1.08;
      const m = String(month);
      peakQ.run(p.site, `${m.slice(0, 4)}-${m.slice(4)}`, kw, at, kw * 11.5);
    }
    // Daily rows exactly as the operator sums them (analytics/energy/tables.ts writeEnergy).
    db.exec(`INSERT OR REPLACE INTO energy_daily(scope, key, day, kwh, coverage, batch_kwh, idle_kwh, cost, co2_kg, revision)
      SELECT scope, key, day, sum(kwh), sum(coverage) / count(*), sum(batch_kwh), sum(idle_kwh), sum(cost), sum(co2_kg), max(revision)
      FROM energy_hourly GROUP BY scope, key, day`);
  })();
  const daily = (db.prepare('SELECT count(*) AS n FROM energy_daily').get() as { n: number }).n;
  return { hourly, daily, batches };
}
