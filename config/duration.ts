import { z } from 'zod';

const UNIT_MS: Record<string, number> = {
  ms: 1,
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};

const DURATION_RE = /^(\d+(?:\.\d+)?)(ms|s|m|h|d|w)$/;

/** Parses "250ms", "10s", "5m", "2h", "90d", "1w" into milliseconds; returns undefined if malformed. */
export function parseDuration(text: string): number | undefined {
  const m = DURATION_RE.exec(text.trim());
  if (!m) return undefined;
  return Math.round(Number(m[1]) * UNIT_MS[m[2]!]!);
}

export function formatDuration(ms: number): string {
  const abs = Math.abs(ms);
  if (abs >= 86_400_000) return `${(ms / 86_400_000).toFixed(1)} d`;
  if (abs >= 3_600_000) return `${(ms / 3_600_000).toFixed(1)} h`;
  if (abs >= 60_000) return `${(ms / 60_000).toFixed(1)} min`;
  if (abs >= 1_000) return `${(ms / 1_000).toFixed(1)} s`;
  return `${ms} ms`;
}

/** A zod type for durations written as "10s", "5m", "90d" in the plant model; parses to milliseconds. */
export const duration = () =>
  z
    .string()
    .describe('A duration such as "500ms", "10s", "5m", "2h", "90d", "1w".')
    .transform((text, ctx) => {
      const ms = parseDuration(text);
      if (ms === undefined) {
        ctx.addIssue({
          code: 'custom',
          message: `"${text}" is not a duration; write a number and one of ms, s, m, h, d, w (e.g. "10s", "90d")`,
        });
        return z.NEVER;
      }
      return ms;
    });
