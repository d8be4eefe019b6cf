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
    const reason = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'file not found' : (err as Error).message;
    throw new ConfigError(file, [`cannot read the file: ${reason}; pass --config with the path of a plant model (see examples/plant.yaml)`]);
  }
  return parsePlantModel(text, file);
}

export function parsePlantModel(text: string, file = '<inline>'): PlantModel {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new ConfigError(
      file,
      doc.errors.map((e) => {
        const pos = e.linePos?.[0];
        return `${pos ? `line ${pos.line}, column ${pos.col}: ` : ''}YAML syntax: ${e.message.split('\n')[0]}`;
      }),
    );
  }
  const raw: unknown = doc.toJS();
  if (raw === null || typeof raw !== 'object') {
    throw new ConfigError(file, ['the file is empty or not a YAML mapping; start from examples/plant.yaml']);
  }
  const result = plantSchema.safeParse(raw);
  if (result.success) return result.data;

  const lineOf = (path: PropertyKey[]): number | undefined => {
    // Walk up until a node exists (a missing key has no node; its parent does).
    for (let n = path.length; n >= 0; n--) {
      const node = doc.getIn(path.slice(0, n) as (string | number)[], true);
      if (isNode(node) && node.range) return lineCounter.linePos(node.range[0]).line;
    }
    return undefined;
  };
  throw new ConfigError(file, result.error.issues.map((issue) => describeIssue(issue, lineOf(issue.path))));
}

function describeIssue(issue: z.core.$ZodIssue, line: number | undefined): string {
  const path = issue.path.length ? issue.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('').replace(/^\./, '') : '(top level)';
  const where = line !== undefined ? `line ${line}, ` : '';
  let message = issue.message;
  if (issue.code === 'unrecognized_keys') {
    message = `unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')}; remove or correct (see \`plantpulse config schema\` for the allowed keys)`;
  } else if (issue.code === 'invalid_type' && /received undefined/.test(issue.message)) {
    message = `missing required value (${issue.expected}); add it`;
  } else if (issue.code === 'invalid_value' && 'values' in issue) {
    message = `${issue.message}`;
  }
  return `${where}${path}: ${message}`;
}
