import { readFileSync } from 'node:fs';
import { LineCounter, parseDocument, isNode } from 'yaml';
import type { z } from 'zod';
import { plantSchema, type PlantModel } from './schema.js';

/** Raised for any problem with the plant model; its message names the file, the path and the fix. */
export class ConfigError extends Error {
  readonly code = 'PP_ERR_CONFIG';
  constructor(
    readonly file: string,
    readonly problems: string[],
  ) {
    super(`invalid plant model ${file}:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

export function loadPlantModel(file: string): PlantModel {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const reason =
      (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'file not found' : (err as Error).message;
    throw new ConfigError(file, [
      `cannot read the file: ${reason}; pass --config with the path of a plant model (see examples/plant.yaml)`,
    ]);
  }
  return parsePlantModel(text, file);
}

export function parsePlantModel(text: string, file = '<inline>'): PlantModel {
  const lineCounter = new LineCounter();
  // merge: YAML `<<: *anchor` keys, so engineers can keep sensor templates under `x-...` keys.
  const doc = parseDocument(text, {
    lineCounter,
    prettyErrors: true,
    uniqueKeys: true,
    merge: true,
  });
  if (doc.errors.length > 0) {
    // One missing bracket makes the parser report a cascade; the first few name the cause.
    throw new ConfigError(
      file,
      doc.errors.slice(0, 3).map((e) => {
        const pos = e.linePos?.[0];
        const msg = e.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
        return `${pos ? `line ${pos.line}, column ${pos.col}: ` : ''}YAML syntax: ${msg}`;
      }),
    );
  }
  const raw: unknown = doc.toJS();
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new ConfigError(file, [
      'the file is empty or not a YAML mapping; start from examples/plant.yaml',
    ]);
  }
  // Top-level `x-*` keys are free-form (anchors for templates), as in docker-compose files.
  const model = Object.fromEntries(Object.entries(raw).filter(([k]) => !k.startsWith('x-')));
  const result = plantSchema.safeParse(model);
  if (result.success) return result.data;

  const lineOf = (path: PropertyKey[]): number | undefined => {
    // Walk up until a node exists (a missing key has no node; its parent does).
    for (let n = path.length; n >= 0; n--) {
      const node = doc.getIn(path.slice(0, n) as (string | number)[], true);
      if (isNode(node) && node.range) return lineCounter.linePos(node.range[0]).line;
    }
    return undefined;
  };
  throw new ConfigError(
    file,
    result.error.issues.map((issue) => {
      const at =
        issue.code === 'unrecognized_keys' && issue.keys[0] !== undefined
          ? [...issue.path, issue.keys[0]]
          : issue.path;
      return describeIssue(issue, lineOf(at), valueAt(model, issue.path));
    }),
  );
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let cur = root;
  for (const p of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<PropertyKey, unknown>)[p];
  }
  return cur;
}

/** The allowed key closest to a typo (optimal-string-alignment distance ≤ 2), for "did you mean". */
function closest(key: string, allowed: string[]): string | undefined {
  const dist = (a: string, b: string) => {
    const d = Array.from({ length: a.length + 1 }, (_, i) => [
      i,
      ...Array<number>(b.length).fill(0),
    ]);
    for (let j = 1; j <= b.length; j++) d[0]![j] = j;
    for (let i = 1; i <= a.length; i++)
      for (let j = 1; j <= b.length; j++) {
        d[i]![j] = Math.min(
          d[i - 1]![j]! + 1,
          d[i]![j - 1]! + 1,
          d[i - 1]![j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1),
        );
        // A swapped pair of letters ("rnage") is one slip, not two.
        if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
          d[i]![j] = Math.min(d[i]![j]!, d[i - 2]![j - 2]! + 1);
      }
    return d[a.length]![b.length]!;
  };
  let best: string | undefined;
  let bestD = 3;
  for (const k of allowed) {
    const dd = dist(key.toLowerCase(), k.toLowerCase());
    if (dd < bestD) {
      bestD = dd;
      best = k;
    }
  }
  return best;
}

function allowedKeysAt(path: readonly PropertyKey[]): string[] {
  // Walk the zod schema along the path to the object whose keys are allowed there.
  let schema: unknown = plantSchema;
  const unwrap = (s: unknown): unknown => {
    let cur = s as {
      def?: {
        type?: string;
        innerType?: unknown;
        in?: unknown;
        element?: unknown;
        schema?: unknown;
      };
    };
    for (let i = 0; i < 10 && cur?.def; i++) {
      const d = cur.def;
      if (d.type === 'object') return cur;
      cur = (d.innerType ?? d.in ?? d.schema ?? cur) as typeof cur;
      if (cur === (s as typeof cur) && i > 0) break;
    }
    return cur;
  };
  for (const p of path) {
    schema = unwrap(schema);
    const def = (
      schema as { def?: { type?: string; shape?: Record<string, unknown>; element?: unknown } }
    ).def;
    if (!def) return [];
    if (typeof p === 'number')
      schema = (unwrap(schema) as { def: { element?: unknown } }).def.element;
    else schema = def.shape?.[p as string];
    if (typeof p === 'number' && def.type === 'array') continue;
  }
  const obj = unwrap(schema) as { def?: { shape?: Record<string, unknown> } };
  return Object.keys(obj?.def?.shape ?? {});
}

function describeIssue(issue: z.core.$ZodIssue, line: number | undefined, value: unknown): string {
  const path = issue.path.length
    ? issue.path
        .map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`))
        .join('')
        .replace(/^\./, '')
    : '(top level)';
  const where = line !== undefined ? `line ${line}, ` : '';
  let message = issue.message;
  if (issue.code === 'unrecognized_keys') {
    const allowed = allowedKeysAt(issue.path);
    const hints = issue.keys.map((k) => closest(k, allowed)).filter((h): h is string => !!h);
    const hint = hints.length ? `did you mean ${hints.map((h) => `"${h}"`).join(', ')}? ` : '';
    message = `unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')}; ${hint}remove or correct it (allowed here: ${allowed.join(', ') || 'see `plantpulse config schema`'})`;
  } else if (
    value === undefined &&
    (issue.code === 'invalid_type' || issue.code === 'invalid_value')
  ) {
    const expected =
      issue.code === 'invalid_value'
        ? `one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`
        : issue.expected;
    message = `missing required value (${expected}); add it`;
  } else if (issue.code === 'invalid_type') {
    const got = Array.isArray(value)
      ? 'a list'
      : value === null
        ? 'null'
        : typeof value === 'object'
          ? 'a mapping'
          : `${typeof value} ${JSON.stringify(value)}`;
    const fix =
      issue.expected === 'boolean'
        ? '; write true or false'
        : issue.expected === 'string' && typeof value === 'number'
          ? '; quote it, or for a duration add a unit such as "60s"'
          : '';
    message = `expected ${issue.expected}, got ${got}${fix}`;
  }
  return `${where}${path}: ${message}`;
}
