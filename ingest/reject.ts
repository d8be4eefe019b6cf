import type { z } from 'zod';
import type { ErrorCode } from '../runtime/errors.js';

/** Why one reading (or a whole message) was not accepted; becomes a dead-letter reason. */
export interface Reject {
  code: ErrorCode;
  /** Path of the offending field in the payload, e.g. "v", "[3].ts", "samples[17]"; null for the whole message. */
  field: string | null;
  message: string;
}

export function formatPath(
  path: readonly PropertyKey[],
  prefix: readonly PropertyKey[] = [],
): string | null {
  const all = [...prefix, ...path];
  if (all.length === 0) return null;
  return all
    .map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`))
    .join('')
    .replace(/^\./, '');
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let cur: unknown = input;
  for (const p of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<PropertyKey, unknown>)[p];
  }
  return cur;
}

/** Prefix of the strings that stand in for bare NaN/Infinity tokens (see ingestor.ts markNonFinite). */
export const NON_FINITE_MARK = '\u0000pp-non-finite:';

/** Turns zod issues into rejects that name the field; a non-finite number gets its own code. */
export function rejectsFromZod(
  error: z.ZodError,
  input: unknown,
  prefix: readonly PropertyKey[] = [],
): Reject[] {
  return error.issues.map((issue) => {
    const field = formatPath(issue.path, prefix);
    const value = valueAt(input, issue.path);
    if (typeof value === 'number' && !Number.isFinite(value)) {
      return {
        code: 'PP_ERR_NOT_FINITE',
        field,
        message: `${field ?? 'value'} is ${value}, not a finite number`,
      };
    }
    if (typeof value === 'string' && value.startsWith(NON_FINITE_MARK)) {
      const token = value.slice(NON_FINITE_MARK.length);
      return {
        code: 'PP_ERR_NOT_FINITE',
        field,
        message: `${field ?? 'value'} is ${token}, which is not a finite number (JSON has no NaN or Infinity; omit the reading or set q to "bad")`,
      };
    }
    let message = issue.message;
    if (issue.code === 'unrecognized_keys') {
      message = `unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')}`;
    } else if (issue.code === 'invalid_type' && value === undefined) {
      message = `missing (expected ${issue.expected})`;
    } else if (issue.code === 'invalid_union' && field === null) {
      message = 'expected a reading object {"ts": ..., "v": ...} or an array of them';
    }
    return { code: 'PP_ERR_SCHEMA', field, message: field ? `${field}: ${message}` : message };
  });
}
