/** The maintenance operator's checkpointed state (JSON-safe). */
import type { WaveformFeatures } from './features.js';
import type { Usage, ZoneTrack } from './usage.js';
import type { Baseline, Learning, MinuteSums } from './wear.js';
import type { RulEstimate } from './rul.js';

export interface MachineState {
  usage: Usage;
  learning: Learning;
  baseline: Baseline | null;
  learnedAt: number | null;
  /** Minute index → sums, for hours not yet closed. */
  minutes: Record<string, MinuteSums>;
  /** Start of the latest closed hour (readings for it or earlier are too late). */
  closedHour: number | null;
  /** [hour end, load-normalised vibration mm/s] within the trend window. */
  trend: [number, number][];
  rpm: [ts: number, rpm: number] | null;
  last: {
    ts: number | null;
    vibration: number | null;
    vRef: number | null;
    wear: number | null;
    rul: RulEstimate | null;
    reason: string | null;
  };
  lateReadings: number;
}

export interface MaintenanceState {
  maxTs: number | null;
  /** Hour boundary of the last tick (hours ending at or before it are closed). */
  tick: number | null;
  machines: Record<string, MachineState>;
  zones: Record<string, ZoneTrack>;
  features: Record<string, WaveformFeatures & { ts: number }>;
}
