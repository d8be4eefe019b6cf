/** The energy operator's checkpointed state (JSON-safe) and the outputs of one step. */
import type { EnpiPoints } from './enpi-stream.js';
import type { Buckets, MeterState } from './meter.js';
import type { BatchRow, DayKey, HourRow, PeakRow } from './tables.js';

export const HOUR = 3_600_000;
export const EPS = 1e-9;

export interface BatchState {
  id: string;
  line: string;
  batch: string;
  product: string | null;
  quantity: number | null;
  unit: string | null;
  start: number | null;
  end: number | null;
  aborted: boolean;
  settled: boolean;
  kwh: number;
  coverage: number;
  revision: number;
  /** Watermark minute when late data or a moved bound first changed it since it was last published. */
  dirtyTick: number | null;
  /** Watermark minute of the change the last revision counted. */
  revTick: number | null;
}

export interface EnergyState {
  maxTs: number | null;
  /** Watermark of the last tick (a tick runs whenever the watermark enters a new minute). */
  wm: number | null;
  tick: number | null;
  /** Revision-window hour of the last prune. */
  pruned: number | null;
  meters: Record<string, MeterState>;
  buckets: Record<string, Buckets>;
  batches: Record<string, BatchState>;
  /** `${line}|${hour}` → [kWh when last written, revision, watermark minute of that revision]. */
  hours: Record<string, [number, number, number | null]>;
  /** `${site}|${hour}` → watermark minute it first changed: written once complete. */
  dirty: Record<string, number | null>;
  /** `${site}|${month}` → [highest demand kW, window start]. */
  peaks: Record<string, [number, number]>;
  /** EnPI baseline points (enpi-stream.ts); absent until a baseline batch settles. */
  enpi?: EnpiPoints;
}

/** What one step writes (runner transaction) besides the emitted series. */
export interface Pending {
  batches: Map<string, BatchRow>;
  hours: HourRow[];
  days: Map<string, DayKey>;
  peaks: Map<string, PeakRow>;
}
