/**
 * What the bench checks and collects on PlantPulse after the load: the group-commit figures
 * from /metrics, the counts of /api/v1/stats, and the durability check (contract C1: every
 * reading acknowledged is in the log).
 */
import type { LoadResult } from './load.js';
import type { RunningPlantPulse, StopOutcome } from './plantpulse.js';
import type { CaseResult } from './report.js';

export interface AfterLoad {
  stats?: Awaited<ReturnType<RunningPlantPulse['stats']>>;
  commits?: NonNullable<CaseResult['commits']>;
}

/** Reads /api/v1/stats and /metrics once the load has drained (both scan the log: never during the window). */
export async function collectAfterLoad(
  pp: RunningPlantPulse,
  load: LoadResult,
  log: (line: string) => void,
): Promise<AfterLoad> {
  const out: AfterLoad = {};
  const t = performance.now();
  out.stats = await pp.stats();
  const statsMs = performance.now() - t;
  const c = await pp.commitTotals();
  out.commits = {
    commits: c.commits,
    rowsPerCommit: c.rows / c.commits,
    msPerCommit: (c.commitSeconds * 1000) / c.commits,
    commitsPerS: c.commits / load.runS,
    busyPct: (c.commitSeconds / load.runS) * 100,
    metricsScrapeMs: c.scrapeMs,
    statsMs,
  };
  log(
    `  group commits: ${c.commits.toLocaleString('en-US')} (${out.commits.commitsPerS.toFixed(0)}/s), ` +
      `${out.commits.rowsPerCommit.toFixed(0)} rows and ${out.commits.msPerCommit.toFixed(2)} ms each on average, ` +
      `${out.commits.busyPct.toFixed(0)} % of the run's wall time; ` +
      `GET /api/v1/stats took ${statsMs.toFixed(0)} ms, GET /metrics ${c.scrapeMs.toFixed(0)} ms`,
  );
  return out;
}

/**
 * Everything acknowledged must be stored; a message never acknowledged (a lost connection) may
 * or may not be. The rows of the bench sensors are counted in the log file after PlantPulse
 * stopped; /api/v1/stats counts every log row, analytics' derived rows included.
 */
export function durabilityCheck(
  load: LoadResult,
  readingsPerMessage: number,
  after: AfterLoad,
  stopped: StopOutcome,
): NonNullable<CaseResult['durability']> {
  const acked = load.ackedTotal * readingsPerMessage;
  const unacked = load.unackedAtEnd * readingsPerMessage;
  const stored = stopped.sensorReadings;
  const deadLetters = after.stats?.deadLetters ?? NaN;
  const base = {
    ackedReadings: acked,
    storedReadings: stored ?? NaN,
    logRows: after.stats?.readings ?? stopped.logRows ?? NaN,
    deadLetters,
    rejectsByCode: after.stats?.rejectsByCode ?? {},
    exitCode: stopped.exitCode,
  };
  if (stored === undefined)
    return { ...base, ok: false, note: 'the log could not be read after the stop' };
  const inRange = unacked === 0 ? stored === acked : stored >= acked && stored <= acked + unacked;
  const notes = [
    unacked === 0
      ? `stored ${stored === acked ? '=' : '≠'} acknowledged`
      : `${load.unackedAtEnd} messages never acknowledged; stored must lie in [acked, acked + ${unacked}]`,
  ];
  if (deadLetters > 0)
    notes.push(`${deadLetters} dead letters ${JSON.stringify(base.rejectsByCode)}`);
  if (stopped.exitCode !== 0)
    notes.push(`PlantPulse exited with code ${stopped.exitCode} on SIGTERM`);
  return {
    ...base,
    ok: inRange && !(deadLetters > 0) && stopped.exitCode === 0,
    note: notes.join('; '),
  };
}
