/** The monthly energy report as data: every format (JSON, CSV, XLSX, PDF) renders this. */
import type { BaselineFit, CusumPoint } from '../analytics/energy/enpi.js';

export interface Totals {
  kwh: number;
  batchKWh: number;
  idleKWh: number;
  /** idle / total, 0–1 (0 without energy). */
  idleShare: number;
  /** Energy cost by the time-of-use tariff, without the peak-demand charge. */
  energyCost: number;
  peakDemandCharge: number;
  /** energyCost + peakDemandCharge. */
  cost: number;
  co2Kg: number;
  /** Metered share of machine time, 0–1. */
  coverage: number;
}

export interface LineFigures extends Omit<Totals, 'peakDemandCharge' | 'energyCost'> {
  line: string;
  site: string;
  share: number;
}

export interface ProductFigures {
  product: string;
  unit: string | null;
  batches: number;
  aborted: number;
  kwh: number;
  units: number;
  /** Σ kWh / Σ units over completed batches with a quantity; null without units. */
  kwhPerUnit: number | null;
}

export interface BatchLine {
  id: string;
  batch: string;
  product: string | null;
  line: string;
  start: number;
  end: number | null;
  /** Start and end in the site's local time, "YYYY-MM-DD HH:mm". */
  startLocal: string;
  endLocal: string | null;
  kwh: number;
  coverage: number;
  quantity: number | null;
  unit: string | null;
  kwhPerUnit: number | null;
  cost: number;
  co2Kg: number;
  status: 'running' | 'settled' | 'aborted';
  revision: number;
}

export interface MachineFigures {
  machine: string;
  line: string;
  kwh: number;
  idleKWh: number;
  share: number;
}

export interface DayFigures {
  day: string;
  kwh: number;
  batchKWh: number;
  idleKWh: number;
  cost: number;
  co2Kg: number;
  coverage: number;
}

export interface PeakFigures {
  site: string;
  kw: number;
  at: number;
  atLocal: string;
  windowMinutes: number;
  charge: number;
}

export interface Comparison {
  month: string;
  totals: Totals;
  /** (this − previous) / previous per figure; null when the previous was 0. */
  change: { kwh: number | null; idleKWh: number | null; cost: number | null; co2Kg: number | null };
}

export interface ProductEnpi {
  product: string;
  unit: string | null;
  baseline: BaselineFit | null;
  /** Baseline kWh/unit at this month's mean batch size (regression) or the ratio (mean). */
  baselineKWhPerUnit: number | null;
  actualKWhPerUnit: number | null;
  batches: number;
  expectedKWh: number;
  actualKWh: number;
  /** expected − actual over the month; positive = saved. */
  savingsKWh: number;
  savingsShare: number | null;
}

export interface EnpiSection {
  baseline: { from: string; to: string } | null;
  minBatches: number;
  products: ProductEnpi[];
  /** Σ savings over the month's batches that have a baseline. */
  savingsKWh: number;
  /** CUSUM over every batch with a baseline from the end of the baseline period to the month's end. */
  cusumAtStart: number;
  cusum: (CusumPoint & { batch: string; product: string })[];
}

export interface EnergyReport {
  kind: 'energy-month';
  month: string;
  generatedAt: string;
  plant: string;
  sites: { id: string; timezone: string }[];
  currency: string;
  /** The site total, kWh (the figure an energy manager quotes). */
  totalKWh: number;
  totals: Totals;
  /** Days of the month with written energy records; a month in progress has fewer. */
  daysWithData: number;
  daysInMonth: number;
  /** Running batches or days without records: figures may still change. */
  provisional: boolean;
  lines: LineFigures[];
  products: ProductFigures[];
  batches: BatchLine[];
  topConsumers: MachineFigures[];
  daily: DayFigures[];
  peakDemand: PeakFigures[];
  previous: Comparison;
  enpi: EnpiSection;
  /** What a reader must know to read the figures right (month in progress, revisions, …). */
  notes: string[];
}
