/** The text an engineer reads with a score or a flag: "3.4 robust sigmas above the usual level". */
import type { Assessment } from './assessment.js';
import type { DetectorState } from './state.js';

const HOUR = 3_600_000;

export function explain(a: Assessment, st: DetectorState): string {
  const e = a.evidence.toFixed(1);
  switch (a.cause) {
    case 'none':
      return 'within the usual range';
    case 'level':
      return `${e} robust sigmas ${a.z >= 0 ? 'above' : 'below'} the nearest usual level`;
    case 'shift':
      return `sustained ${a.z >= 0 ? 'upward' : 'downward'} shift or drift (CUSUM ${Math.abs(a.z).toFixed(1)}, ${e} sigma-equivalent)`;
    case 'variance':
      return `variability ${a.z.toFixed(1)}x its usual size`;
    case 'flatline':
      return `flatline: ${a.z + 1} identical readings (${formatMs((a.z + 1) * st.dt)}), unusual for this sensor`;
    case 'seasonal':
      return `${Math.abs(a.z).toFixed(1)} robust sigmas ${a.z >= 0 ? 'above' : 'below'} this hour's usual level`;
    case 'settling':
      return 'settling after a batch phase change (a new level is expected, not yet learnt)';
  }
}

export function formatMs(ms: number): string {
  if (ms >= 2 * HOUR) return `${(ms / HOUR).toFixed(1)} h`;
  if (ms >= 120_000) return `${Math.round(ms / 60_000)} min`;
  return `${Math.round(ms / 1000)} s`;
}
