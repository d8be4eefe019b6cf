/**
 * Figures summed from the minute buckets: a batch (running or settled, with revisions) and the
 * hourly records per meter, machine and line, with the site's monthly peak demand.
 *
 * Revisions count changes, not steps: a change is dated by the watermark minute at which the
 * late data (or a moved batch bound) arrived, and a revision is counted once per such minute.
 * So the count depends on the record sequence only, never on how the runner cut it into steps.
 */
import type { Emitter } from '../operator.js';
import { MINUTE, type Buckets } from './meter.js';
import type { EnergyModel, LineModel, SiteModel } from './model.js';
import { EPS, HOUR, type BatchState, type EnergyState, type Pending } from './state.js';
import type { BatchRow, HourRow } from './tables.js';

interface Sums {
  kwh: number;
  cov: number;
  cost: number;
  co2: number;
}

/** Energy of a line's winning meters over [a, b), pro rata within the minute buckets at the edges. */
export function sumLine(
  state: EnergyState,
  line: LineModel,
  site: SiteModel,
  a: number,
  b: number,
): Sums {
  const s: Sums = { kwh: 0, cov: 0, cost: 0, co2: 0 };
  if (b <= a) return s;
  for (const m of line.machines) {
    const buckets = state.buckets[m.meter]!;
    for (let x = Math.floor(a / MINUTE); x * MINUTE < b; x++) {
      const cell = buckets[x];
      if (!cell) continue;
      const t0 = x * MINUTE;
      const f = (Math.min(b, t0 + MINUTE) - Math.max(a, t0)) / MINUTE;
      const rate = site.tariff.at(t0);
      const e = cell[0] * f;
      s.kwh += e;
      s.cov += cell[1] * f;
      s.cost += e * rate.price;
      s.co2 += e * rate.co2;
    }
  }
  return s;
}

function sumMeter(b: Buckets, site: SiteModel, a: number, z: number): Sums {
  const s: Sums = { kwh: 0, cov: 0, cost: 0, co2: 0 };
  for (let x = a / MINUTE; x < z / MINUTE; x++) {
    const cell = b[x];
    if (!cell) continue;
    const rate = site.tariff.at(x * MINUTE);
    s.kwh += cell[0];
    s.cov += cell[1];
    s.cost += cell[0] * rate.price;
    s.co2 += cell[0] * rate.co2;
  }
  return s;
}

/** The batch's figure with data up to `wm`; no state change. */
export function batchFigure(
  b: BatchState,
  state: EnergyState,
  model: EnergyModel,
  wm: number,
  done: boolean,
): BatchRow | undefined {
  const line = model.lines.get(b.line);
  const site = line && model.sites.get(line.site);
  if (!line || !site || b.start === null) return undefined;
  const upto = b.end !== null ? Math.min(b.end, wm) : wm;
  const s = sumLine(state, line, site, b.start, upto);
  const span = Math.max(0, upto - b.start) * line.machines.length;
  return {
    id: b.id,
    line: b.line,
    batch: b.batch,
    product: b.product,
    quantity: b.quantity,
    unit: b.unit,
    start_ts: b.start,
    end_ts: b.end,
    status: !done ? 'running' : b.aborted ? 'aborted' : 'settled',
    kwh: s.kwh,
    duration_ms: b.end !== null ? b.end - b.start : null,
    coverage: span > 0 ? Math.min(1, s.cov / span) : 0,
    kwh_per_unit: b.quantity ? s.kwh / b.quantity : null,
    cost: s.cost,
    currency: site.tariff.currency,
    co2_kg: s.co2,
    revision: b.revision,
  };
}

/** Settles a due batch or publishes a change of a settled one; undefined when nothing changed. */
export function publishBatch(
  b: BatchState,
  state: EnergyState,
  model: EnergyModel,
  wm: number,
  settleAfter: number,
  out: Emitter,
): BatchRow | undefined {
  const done = b.end !== null && wm >= b.end + settleAfter;
  const row = batchFigure(b, state, model, wm, done);
  const dirtyTick = b.dirtyTick;
  b.dirtyTick = null;
  if (!row) return undefined;
  if (b.settled && done) {
    if (Math.abs(row.kwh - b.kwh) <= EPS && Math.abs(row.coverage - b.coverage) <= EPS)
      return undefined;
    if (dirtyTick === null || dirtyTick !== b.revTick) {
      b.revision++;
      b.revTick = dirtyTick;
    }
    row.revision = b.revision;
  }
  b.kwh = row.kwh;
  b.coverage = row.coverage;
  b.settled = done;
  if (done)
    out.emit({
      series: `${b.line}:batch_energy_kwh`,
      kind: 'batch_energy',
      unit: 'kWh',
      ts: b.start!,
      value: row.kwh,
    });
  return row;
}

/** Writes the complete dirty hours (their end + settleAfter behind the watermark). */
export function publishHours(
  state: EnergyState,
  model: EnergyModel,
  wm: number,
  settleAfter: number,
  out: Emitter,
  acc: Pending,
): void {
  const demand = model.cfg.tariff.peakDemand;
  for (const key of Object.keys(state.dirty).sort()) {
    const cut = key.lastIndexOf('|');
    const h = Number(key.slice(cut + 1));
    if (h + HOUR + settleAfter > wm) continue;
    const dirtyTick = state.dirty[key]!;
    delete state.dirty[key];
    const site = model.sites.get(key.slice(0, cut))!;
    const local = site.tariff.at(h).local;
    const dayHours = hoursOfDay(site, h, local.day);
    const add = (row: Omit<HourRow, 'day' | 'hour'>) => {
      acc.hours.push({ ...row, hour: h, day: local.day });
      acc.days.set(`${row.scope}|${row.key}|${local.day}`, {
        scope: row.scope,
        key: row.key,
        day: local.day,
        hours: dayHours,
      });
    };
    for (const line of site.lines) {
      if (line.machines.length === 0) continue;
      const batches = Object.values(state.batches).filter(
        (b) =>
          b.line === line.path && b.start !== null && b.start < h + HOUR && (b.end ?? Infinity) > h,
      );
      const sum = { kwh: 0, cov: 0, batch: 0, cost: 0, co2: 0 };
      const rows: Omit<HourRow, 'day' | 'hour' | 'revision'>[] = [];
      for (const m of line.machines) {
        const one: LineModel = { ...line, machines: [m] };
        const all = sumLine(state, one, site, h, h + HOUR);
        let inBatch = 0;
        for (const b of batches)
          inBatch += sumLine(
            state,
            one,
            site,
            Math.max(h, b.start!),
            Math.min(h + HOUR, b.end ?? Infinity),
          ).kwh;
        rows.push({
          scope: 'machine',
          key: m.path,
          kwh: all.kwh,
          coverage: all.cov / HOUR,
          batch_kwh: inBatch,
          idle_kwh: all.kwh - inBatch,
          cost: all.cost,
          co2_kg: all.co2,
        });
        sum.kwh += all.kwh;
        sum.cov += all.cov;
        sum.batch += inBatch;
        sum.cost += all.cost;
        sum.co2 += all.co2;
      }
      const rk = `${line.path}|${h}`;
      const prev = state.hours[rk];
      let rev = prev?.[1] ?? 0;
      let revTick = prev?.[2] ?? null;
      if (
        prev &&
        Math.abs(prev[0] - sum.kwh) > EPS &&
        (dirtyTick === null || dirtyTick !== revTick)
      ) {
        rev++;
        revTick = dirtyTick;
      }
      state.hours[rk] = [sum.kwh, rev, revTick];
      for (const r of rows) {
        add({ ...r, revision: rev });
        out.emit({
          series: `${r.key}:energy_kwh`,
          kind: 'energy_hourly',
          unit: 'kWh',
          ts: h,
          value: r.kwh,
        });
      }
      add({
        scope: 'line',
        key: line.path,
        kwh: sum.kwh,
        coverage: sum.cov / (HOUR * line.machines.length),
        batch_kwh: sum.batch,
        idle_kwh: sum.kwh - sum.batch,
        cost: sum.cost,
        co2_kg: sum.co2,
        revision: rev,
      });
      out.emit({
        series: `${line.path}:energy_kwh`,
        kind: 'energy_hourly',
        unit: 'kWh',
        ts: h,
        value: sum.kwh,
      });
      // Per line and hour for dashboards; the tables keep the same figures for reports.
      for (const [suffix, kind, unit, value] of [
        ['idle_kwh', 'energy_idle', 'kWh', sum.kwh - sum.batch],
        ['cost', 'energy_cost', site.tariff.currency, sum.cost],
        ['co2_kg', 'energy_co2', 'kg', sum.co2],
      ] as const) {
        out.emit({ series: `${line.path}:${suffix}`, kind, unit, ts: h, value });
      }
      for (const meter of model.meters.values()) {
        if (meter.line !== line.path) continue;
        const s = sumMeter(state.buckets[meter.path]!, site, h, h + HOUR);
        add({
          scope: 'meter',
          key: meter.path,
          kwh: s.kwh,
          coverage: s.cov / HOUR,
          batch_kwh: 0,
          idle_kwh: 0,
          cost: s.cost,
          co2_kg: s.co2,
          revision: rev,
        });
      }
    }
    if (demand) {
      for (let w = h; w < h + HOUR; w += demand.window) {
        let kwh = 0;
        for (const line of site.lines) kwh += sumLine(state, line, site, w, w + demand.window).kwh;
        const kw = kwh / (demand.window / HOUR);
        const month = site.tariff.at(w).local.month;
        const pk = `${site.id}|${month}`;
        const cur = state.peaks[pk];
        if (cur && kw <= cur[0] + EPS) continue;
        state.peaks[pk] = [kw, w];
        acc.peaks.set(pk, {
          site: site.id,
          month,
          window_ms: demand.window,
          kw,
          at: w,
          charge: kw * demand.pricePerKw,
          currency: site.tariff.currency,
        });
      }
    }
  }
}

/** Hours in a local day (23 or 25 on DST changes): UTC hours near `h` with the same local date. */
function hoursOfDay(site: SiteModel, h: number, day: string): number {
  let n = 0;
  for (let t = h - 26 * HOUR; t <= h + 26 * HOUR; t += HOUR)
    if (site.tariff.at(t).local.day === day) n++;
  return n;
}
