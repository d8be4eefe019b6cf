/**
 * Batch context per line from the MES events in the log (`<line>/batch.<event>` series): which
 * phase the line was in at a given event time. Readings often arrive in blocks after the events
 * that happened inside them (a gateway sending a minute or an hour at once), so a line keeps its
 * last changes and a reading looks up the context in force at its own timestamp.
 * Context 0 is "between batches"; phases get 1, 2, ... in the order the line first reports them.
 */
import { CONTEXTS } from './phase-profile.js';

/** Changes kept per line: more than the phases of two batches. */
const KEEP = 24;

export interface LineContext {
  /** Phase names seen on this line, in order of first appearance (index + 1 = context). */
  phases: string[];
  /** [ts, context] pairs, ascending by ts. */
  changes: [number, number][];
}

export function newLineContext(): LineContext {
  return { phases: [], changes: [] };
}

/** Reads a stored batch event body; returns the context it starts, or undefined if it starts none. */
export function contextOfEvent(lc: LineContext, body: Buffer | null): number | undefined {
  if (!body) return undefined;
  let e: { event?: unknown; phase?: unknown };
  try {
    e = JSON.parse(body.toString('utf8')) as typeof e;
  } catch {
    return undefined;
  }
  if (e.event === 'end' || e.event === 'abort') return 0;
  const name =
    e.event === 'phase' && typeof e.phase === 'string'
      ? e.phase
      : e.event === 'start'
        ? '(batch)'
        : undefined;
  if (name === undefined) return undefined;
  let i = lc.phases.indexOf(name);
  if (i < 0 && lc.phases.length < CONTEXTS - 1) i = lc.phases.push(name) - 1;
  // More phase names than profile slots: the extra ones share the last slot.
  return i < 0 ? CONTEXTS - 1 : i + 1;
}

/** Records a change; an event older than the kept history is placed in order all the same. */
export function noteChange(lc: LineContext, ts: number, ctx: number): void {
  const c = lc.changes;
  let i = c.length;
  while (i > 0 && c[i - 1]![0] > ts) i--;
  if (i > 0 && c[i - 1]![0] === ts) c[i - 1]![1] = ctx;
  else c.splice(i, 0, [ts, ctx]);
  if (c.length > KEEP) c.splice(0, c.length - KEEP);
}

/** The change in force at `ts` (the latest at or before it), or undefined. */
export function changeAt(lc: LineContext, ts: number): [number, number] | undefined {
  const c = lc.changes;
  for (let i = c.length - 1; i >= 0; i--) if (c[i]![0] <= ts) return c[i];
  return undefined;
}
