/**
 * Builds the monthly energy report from the energy operator's records: totals, lines,
 * products, batches, idle share, top consumers, daily series, peak demand, the previous month
 * and the EnPI baseline. Months and days are the site's local calendar (the operator labels
 * each hourly row with its local day; exact for whole-hour UTC offsets).
 */
import type Database from 'better-sqlite3';
import type { BatchRow, PeakRow } from '../analytics/energy/tables.js';
import { buildEnergyModel, type EnergyModel } from '../analytics/energy/model.js';
import type { PlantIndex } from '../config/plant-index.js';
import { EnergyTables, type DailyRow } from './energy-data.js';
import type {
  BatchLine,
  DayFigures,
  EnergyReport,
  LineFigures,
  MachineFigures,
  ProductFigures,
  Totals,
} from './energy-types.js';
import { buildEnpi } from './enpi-report.js';
import { tzOffset } from '../simulator/calendar.js';
import { addMonths, dayStart, daysOf, monthBounds, parseMonth, type Month } from './month.js';

const TOP = 10;

export interface ReportInput {
  db: Database.Database;
  index: PlantIndex;
  month: string;
  /** Wall clock for `generatedAt`. */
  now?: number;
  onProgress?: (step: string) => void;
}

/** "YYYY-MM-DD HH:mm" in `tz`; offsets cached per 15-minute slot (the finest step they change at). */
export function localStamp(ts: number, tz: string): string {
  const slot = `${tz}|${Math.floor(ts / 900_000)}`;
  let off = offsets.get(slot);
  if (off === undefined) {
    if (offsets.size > 100_000) offsets.clear();
    off = tzOffset(ts, tz);
    offsets.set(slot, off);
  }
  return new Date(ts + off).toISOString().slice(0, 16).replace('T', ' ');
}
const offsets = new Map<string, number>();

const ratio = (a: number, b: number) => (b === 0 ? null : (a - b) / b);

/** Month figures that the report and its previous-month comparison share. */
interface MonthView {
  month: Month;
  lineRows: DailyRow[];
  machineRows: DailyRow[];
  batches: BatchRow[];
  peaks: PeakRow[];
  totals: Totals;
}

function viewOf(tables: EnergyTables, model: EnergyModel, month: Month): MonthView {
  const days = daysOf(month);
  const bounds = [...model.sites.values()].map((s) => ({
    site: s.id,
    ...monthBounds(month, s.tariff.timezone),
  }));
  const from = Math.min(...bounds.map((b) => b.start));
  const to = Math.max(...bounds.map((b) => b.end));
  const data = tables.month(days[0]!, days.at(-1)!, from, to, month.id);
  const siteOf = (line: string) => model.lines.get(line)?.site;
  const inMonth = (b: BatchRow) => {
    const r = bounds.find((x) => x.site === siteOf(b.line));
    return r !== undefined && b.start_ts !== null && b.start_ts >= r.start && b.start_ts < r.end;
  };
  const lineRows = data.daily.filter((r) => r.scope === 'line' && model.lines.has(r.key));
  const machineRows = data.daily.filter((r) => r.scope === 'machine');
  return {
    month,
    lineRows,
    machineRows,
    batches: data.batches.filter(inMonth),
    peaks: data.peaks,
    totals: totalsOf(lineRows, data.peaks, model),
  };
}

/** Machine-hours behind a line's daily row: coverage is weighted by them. */
function weight(model: EnergyModel, r: DailyRow): number {
  const line = model.lines.get(r.key);
  if (!line) return 0;
  return line.machines.length * dayHours(r.day, model.sites.get(line.site)!.tariff.timezone);
}

const hoursCache = new Map<string, number>();

/** Hours in a local day: 23 or 25 on DST changes. */
function dayHours(day: string, tz: string): number {
  const key = `${tz}|${day}`;
  let h = hoursCache.get(key);
  if (h === undefined) {
    if (hoursCache.size > 100_000) hoursCache.clear();
    const next = new Date(Date.parse(`${day}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);
    h = (dayStart(next, tz) - dayStart(day, tz)) / 3_600_000;
    hoursCache.set(key, h);
  }
  return h;
}

function totalsOf(rows: DailyRow[], peaks: PeakRow[], model: EnergyModel): Totals {
  let kwh = 0;
  let batchKWh = 0;
  let idleKWh = 0;
  let energyCost = 0;
  let co2Kg = 0;
  let cov = 0;
  let w = 0;
  for (const r of rows) {
    kwh += r.kwh;
    batchKWh += r.batch_kwh;
    idleKWh += r.idle_kwh;
    energyCost += r.cost;
    co2Kg += r.co2_kg;
    const x = weight(model, r);
    cov += r.coverage * x;
    w += x;
  }
  const peakDemandCharge = peaks.reduce((s, p) => s + p.charge, 0);
  return {
    kwh,
    batchKWh,
    idleKWh,
    idleShare: kwh > 0 ? idleKWh / kwh : 0,
    energyCost,
    peakDemandCharge,
    cost: energyCost + peakDemandCharge,
    co2Kg,
    coverage: w > 0 ? cov / w : 0,
  };
}

function linesOf(v: MonthView, model: EnergyModel): LineFigures[] {
  const out: LineFigures[] = [];
  for (const line of model.lines.values()) {
    if (line.machines.length === 0) continue;
    const t = totalsOf(
      v.lineRows.filter((r) => r.key === line.path),
      [],
      model,
    );
    const { energyCost, peakDemandCharge: _p, ...rest } = t;
    out.push({
      line: line.path,
      site: line.site,
      ...rest,
      cost: energyCost,
      share: v.totals.kwh > 0 ? t.kwh / v.totals.kwh : 0,
    });
  }
  return out.sort((a, b) => b.kwh - a.kwh || (a.line < b.line ? -1 : 1));
}

function productsOf(batches: BatchRow[]): ProductFigures[] {
  const by = new Map<string, ProductFigures & { perUnitKWh: number }>();
  for (const b of batches) {
    const key = b.product ?? '(no product)';
    const p = by.get(key) ?? {
      product: key,
      unit: b.unit,
      batches: 0,
      aborted: 0,
      kwh: 0,
      units: 0,
      kwhPerUnit: null,
      perUnitKWh: 0,
    };
    p.batches++;
    p.kwh += b.kwh;
    if (b.status === 'aborted') p.aborted++;
    else if (b.quantity !== null && b.quantity > 0) {
      p.units += b.quantity;
      p.perUnitKWh += b.kwh;
      p.unit ??= b.unit;
    }
    by.set(key, p);
  }
  return [...by.values()]
    .map(({ perUnitKWh, ...p }) => ({
      ...p,
      kwhPerUnit: p.units > 0 ? perUnitKWh / p.units : null,
    }))
    .sort((a, b) => b.kwh - a.kwh || (a.product < b.product ? -1 : 1));
}

function batchLines(batches: BatchRow[], model: EnergyModel): BatchLine[] {
  return batches.map((b) => {
    const tz = model.sites.get(model.lines.get(b.line)!.site)!.tariff.timezone;
    return {
      id: b.id,
      batch: b.batch,
      product: b.product,
      line: b.line,
      start: b.start_ts!,
      end: b.end_ts,
      startLocal: localStamp(b.start_ts!, tz),
      endLocal: b.end_ts === null ? null : localStamp(b.end_ts, tz),
      kwh: b.kwh,
      coverage: b.coverage,
      quantity: b.quantity,
      unit: b.unit,
      kwhPerUnit: b.kwh_per_unit,
      cost: b.cost,
      co2Kg: b.co2_kg,
      status: b.status,
      revision: b.revision,
    };
  });
}

function topConsumers(v: MonthView, model: EnergyModel): MachineFigures[] {
  const by = new Map<string, MachineFigures>();
  for (const r of v.machineRows) {
    const line = r.key.slice(0, r.key.lastIndexOf('/'));
    if (!model.lines.has(line)) continue;
    const m = by.get(r.key) ?? { machine: r.key, line, kwh: 0, idleKWh: 0, share: 0 };
    m.kwh += r.kwh;
    m.idleKWh += r.idle_kwh;
    by.set(r.key, m);
  }
  return [...by.values()]
    .map((m) => ({ ...m, share: v.totals.kwh > 0 ? m.kwh / v.totals.kwh : 0 }))
    .sort((a, b) => b.kwh - a.kwh || (a.machine < b.machine ? -1 : 1))
    .slice(0, TOP);
}

function dailyOf(v: MonthView, model: EnergyModel): DayFigures[] {
  const byDay = new Map<string, DailyRow[]>();
  for (const r of v.lineRows) {
    const list = byDay.get(r.day) ?? [];
    list.push(r);
    byDay.set(r.day, list);
  }
  return daysOf(v.month).map((day) => {
    const t = totalsOf(byDay.get(day) ?? [], [], model);
    return {
      day,
      kwh: t.kwh,
      batchKWh: t.batchKWh,
      idleKWh: t.idleKWh,
      cost: t.energyCost,
      co2Kg: t.co2Kg,
      coverage: t.coverage,
    };
  });
}

export function buildEnergyReport(input: ReportInput): EnergyReport {
  const month = parseMonth(input.month);
  const model = buildEnergyModel(input.index);
  const tables = new EnergyTables(input.db);
  const step = input.onProgress ?? (() => {});
  step('reading the month');
  const v = viewOf(tables, model, month);
  step('reading the previous month');
  const prev = viewOf(tables, model, addMonths(month, -1));
  step('computing the EnPI');
  const enpi = buildEnpi(tables, model, month, v.batches);
  step('summing');
  const sites = [...model.sites.values()];
  const daysWithData = new Set(v.lineRows.map((r) => r.day)).size;
  const days = daysOf(month).length;
  const t = v.totals;
  const p = prev.totals;
  return {
    kind: 'energy-month',
    month: month.id,
    generatedAt: new Date(input.now ?? Date.now()).toISOString(),
    plant: input.index.model.plant.name,
    sites: sites.map((s) => ({ id: s.id, timezone: s.tariff.timezone })),
    currency: model.cfg.tariff.currency,
    totalKWh: t.kwh,
    totals: t,
    daysWithData,
    daysInMonth: days,
    provisional: daysWithData < days || v.batches.some((b) => b.status === 'running'),
    lines: linesOf(v, model),
    products: productsOf(v.batches),
    batches: batchLines(v.batches, model),
    topConsumers: topConsumers(v, model),
    daily: dailyOf(v, model),
    peakDemand: v.peaks.map((pk) => ({
      site: pk.site,
      kw: pk.kw,
      at: pk.at,
      atLocal: localStamp(pk.at, model.sites.get(pk.site)?.tariff.timezone ?? 'UTC'),
      windowMinutes: pk.window_ms / 60_000,
      charge: pk.charge,
    })),
    previous: {
      month: prev.month.id,
      totals: p,
      change: {
        kwh: ratio(t.kwh, p.kwh),
        idleKWh: ratio(t.idleKWh, p.idleKWh),
        cost: ratio(t.cost, p.cost),
        co2Kg: ratio(t.co2Kg, p.co2Kg),
      },
    },
    enpi,
    notes: notesOf(v, model, month, enpi.baseline !== null),
  };
}

function notesOf(v: MonthView, model: EnergyModel, month: Month, baseline: boolean): string[] {
  const notes: string[] = [];
  const n = (k: number, one: string, many: string) => `${k} ${k === 1 ? one : many}`;
  for (const s of model.sites.values()) {
    const b = monthBounds(month, s.tariff.timezone);
    if (!s.localHours)
      notes.push(
        `Site ${s.id} (${s.tariff.timezone}) changes the minutes of its UTC offset during the year: energy is kept in UTC hours there, so its day and month boundaries are accurate to the hour only.`,
      );
    const later = v.batches.filter(
      (x) => model.lines.get(x.line)?.site === s.id && (x.end_ts ?? Infinity) > b.end,
    );
    if (later.length)
      notes.push(
        `${n(later.length, 'batch', 'batches')} of site ${s.id} started in ${month.id} and ended later (or still runs): reported whole, in the month it started.`,
      );
  }
  const running = v.batches.filter((x) => x.status === 'running').length;
  if (running)
    notes.push(
      `${n(running, 'batch is', 'batches are')} still running: their figures will change.`,
    );
  const revised = v.batches.filter((x) => x.revision > 0).length;
  if (revised)
    notes.push(
      `${n(revised, 'batch was', 'batches were')} revised by late data after settling (see the Revisions column).`,
    );
  const gaps = v.batches.filter((x) => x.status === 'settled' && x.coverage < 0.99).length;
  if (gaps)
    notes.push(
      `${n(gaps, 'batch has', 'batches have')} less than 99 % metered coverage: their kWh are lower bounds${baseline ? ' and they are left out of the EnPI' : ''}.`,
    );
  return notes;
}
