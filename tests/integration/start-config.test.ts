/**
 * The CLI as an operator meets it: `plantpulse start` with a bad plant model exits with code 2
 * and a message naming the file, the line and the path (C5); `config check`, `config schema`
 * and `devices add/list` work, and a device secret is never stored in clear (C6).
 */
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { parse } from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { CLI, runCli } from '../helpers/plantpulse-process.js';
import { tempDir } from '../helpers/tmp.js';

const tmp = tempDir('plantpulse-cli-');
afterAll(() => tmp.cleanup());

const VALID = `plant:
  name: CLI test plant
sites:
  - id: t
    lines:
      - id: l1
        machines:
          - id: m1
            sensors:
              - id: power
                kind: power
                unit: kW
                interval: 1s
                range: [0, 90]
              - id: temp
                kind: temperature
                unit: °C
                interval: 5s
devices:
  - id: gw1
    prefix: plants/t/l1
  - id: gw2
    prefix: plants/t/l2
`;

/** Replaces the one occurrence of `from`; returns the text and the 1-based line of the edit. */
function edit(from: string, to: string): { text: string; line: number } {
  const at = VALID.indexOf(from);
  if (at < 0 || VALID.indexOf(from, at + 1) >= 0)
    throw new Error(`fixture edit "${from}" must match exactly once`);
  return {
    text: VALID.slice(0, at) + to + VALID.slice(at + from.length),
    line: VALID.slice(0, at).split('\n').length,
  };
}

function writeModel(name: string, text: string): string {
  const file = join(tmp.dir, name);
  writeFileSync(file, text);
  return file;
}

/** `plantpulse start` to completion (a guard kills it if it wrongly starts serving). */
function start(
  config: string,
  dataDir: string,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((res) => {
    const child = spawn(
      process.execPath,
      [
        CLI,
        'start',
        '--config',
        config,
        '--data-dir',
        dataDir,
        '--mqtt-port',
        '0',
        '--http-port',
        '0',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const guard = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('close', (code) => {
      clearTimeout(guard);
      res({ code, stdout, stderr });
    });
  });
}

describe('plantpulse start with an invalid plant model', () => {
  const SENSOR_PATH = 'sites[0].lines[0].machines[0].sensors[0]';

  const cases = [
    (() => {
      const e = edit('range: [0, 90]', 'rnage: [0, 90]');
      return {
        name: 'an unknown key',
        file: 'unknown-key.yaml',
        ...e,
        expect: [`line ${e.line}, ${SENSOR_PATH}: unknown key "rnage"`, 'did you mean "range"?'],
      };
    })(),
    (() => {
      const e = edit('unit: kW', 'unit: kWh');
      return {
        name: 'a unit that does not measure the kind',
        file: 'bad-unit.yaml',
        ...e,
        expect: [`line ${e.line}, ${SENSOR_PATH}.unit: unit "kWh" does not measure power`, '"kW"'],
      };
    })(),
    (() => {
      const e = edit('interval: 5s', 'interval: 5');
      return {
        name: 'a duration without a unit',
        file: 'duration.yaml',
        ...e,
        expect: [
          `line ${e.line}, sites[0].lines[0].machines[0].sensors[1].interval: expected string, got number 5`,
          'add a unit such as "60s"',
        ],
      };
    })(),
    (() => {
      const e = edit(
        '  - id: gw2\n    prefix: plants/t/l2',
        '  - id: gw2\n    prefix: plants/t/l2/#',
      );
      return {
        name: 'a device prefix with a wildcard',
        file: 'prefix.yaml',
        text: e.text,
        line: e.line + 1,
        expect: [`line ${e.line + 1}, devices[1].prefix:`, 'without wildcards'],
      };
    })(),
    (() => {
      const e = edit('range: [0, 90]', 'range: [0, 90\n                critical: true');
      // The parser notices the missing "]" on the next line.
      return {
        name: 'a YAML syntax error (unclosed flow sequence)',
        file: 'syntax.yaml',
        ...e,
        expect: [`line ${e.line + 1}, column 17: YAML syntax: Flow sequence`],
      };
    })(),
    (() => {
      const e = edit(
        '                unit: °C',
        '                unit: °C\n                kind: humidity',
      );
      return {
        name: 'a duplicate key (YAML)',
        file: 'dup-key.yaml',
        text: e.text,
        line: e.line + 1,
        expect: [`line ${e.line + 1}, column 17: YAML syntax:`, 'unique'],
      };
    })(),
  ];

  // Independent processes: run them side by side (expect from the test context, as concurrent tests need).
  it.concurrent.for(cases)(
    '$name: exit code 2, stderr names the file, the line and the path',
    async (c, { expect }) => {
      const file = writeModel(c.file, c.text);
      const dataDir = join(tmp.dir, `data-${c.file}`);
      const r = await start(file, dataDir);
      expect(r.code).toBe(2);
      // The model is checked before anything is opened: no data dir, no ports.
      expect(existsSync(dataDir)).toBe(false);
      expect(r.stderr).toContain(`plantpulse: invalid plant model ${file}:`);
      expect(r.stderr).toMatch(/line \d+/);
      for (const part of c.expect) expect(r.stderr).toContain(part);
      expect(r.stdout).not.toContain('PlantPulse ready');
    },
  );

  it.concurrent(
    'a missing file: exit code 2, stderr names the file and the fix',
    async ({ expect }) => {
      const missing = join(tmp.dir, 'no-such-plant.yaml');
      const r = await start(missing, join(tmp.dir, 'data-missing'));
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(`plantpulse: invalid plant model ${missing}:`);
      expect(r.stderr).toContain('cannot read the file: file not found');
      expect(r.stderr).toContain('--config');
    },
  );
});

describe('plantpulse config', () => {
  it('check accepts examples/plant.yaml and summarises it', () => {
    const raw = parse(readFileSync('examples/plant.yaml', 'utf8')) as {
      sites: { lines: { machines: { sensors: unknown[] }[] }[] }[];
      devices: unknown[];
    };
    const lines = raw.sites.flatMap((s) => s.lines);
    const machines = lines.flatMap((l) => l.machines);
    const sensors = machines.flatMap((m) => m.sensors);
    const r = runCli(['config', 'check', '-c', 'examples/plant.yaml']);
    expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 0, stderr: '' });
    expect(r.stdout).toBe(
      `examples/plant.yaml is valid: ${raw.sites.length} site(s), ${lines.length} line(s), ${machines.length} machines, ${sensors.length} sensors, ${raw.devices.length} devices\n`,
    );
  });

  it('check rejects an invalid model with exit code 2', () => {
    const file = writeModel('check-bad.yaml', edit('unit: kW', 'unit: bar').text);
    const r = runCli(['config', 'check', '-c', file]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(`${file}:`);
    expect(r.stderr).toContain('unit "bar" does not measure power');
  });

  it('schema prints a JSON Schema of the plant model, to stdout or to a file', () => {
    const r = runCli(['config', 'schema']);
    expect(r.status).toBe(0);
    const schema = JSON.parse(r.stdout) as {
      $schema: string;
      type: string;
      properties: Record<string, unknown>;
      required: string[];
    };
    expect(schema.$schema).toMatch(/^https:\/\/json-schema\.org\//);
    expect(schema.type).toBe('object');
    expect(Object.keys(schema.properties).sort()).toEqual([
      '$schema',
      'alerts',
      'anomaly',
      'devices',
      'energy',
      'http',
      'ingest',
      'maintenance',
      'mqtt',
      'plant',
      'sinks',
      'sites',
      'storage',
    ]);
    expect(schema.required).toEqual(expect.arrayContaining(['plant', 'sites']));
    const out = join(tmp.dir, 'plant.schema.json');
    expect(runCli(['config', 'schema', '-o', out]).status).toBe(0);
    expect(readFileSync(out, 'utf8')).toBe(r.stdout);
  });
});

describe('plantpulse devices', () => {
  const config = writeModel('devices.yaml', VALID);
  const dataDir = join(tmp.dir, 'data-devices');

  /** Every byte of every file in the data dir (database, WAL, shm). */
  const dataBytes = () =>
    Buffer.concat(readdirSync(dataDir).map((f) => readFileSync(join(dataDir, f))));

  it('add refuses a device that is not in the plant model, naming the known ones', () => {
    const r = runCli(['devices', 'add', '-c', config, '-d', dataDir, '--device', 'nope']);
    expect(r.status).toBe(2);
    expect(r.stderr).toBe(
      `plantpulse: device "nope" is not in ${config}; add it under devices: first (known: gw1, gw2)\n`,
    );
    expect(r.stdout).toBe('');
  });

  let first = '';
  it('add prints the secret once, as the last line, and stores only a scrypt hash', () => {
    const r = runCli(['devices', 'add', '-c', config, '-d', dataDir, '--device', 'gw1']);
    expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 0, stderr: '' });
    const out = r.stdout.trimEnd().split('\n');
    expect(out[0]).toBe('Created credentials for device "gw1" (may publish under plants/t/l1/).');
    expect(out).toContain('MQTT user name: gw1');
    first = out[out.length - 1]!;
    expect(first).toMatch(/^[A-Za-z0-9_-]{32}$/);

    expect(dataBytes().includes(Buffer.from(first))).toBe(false);
    const db = new Database(join(dataDir, 'plantpulse.db'), { readonly: true });
    try {
      const row = db.prepare('SELECT secret_hash FROM devices WHERE id = ?').get('gw1') as {
        secret_hash: string;
      };
      expect(row.secret_hash).toMatch(/^scrypt\$15\$8\$1\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/);
      expect(row.secret_hash).not.toContain(first);
    } finally {
      db.close();
    }
  });

  it('add again rotates the secret; neither secret is stored in clear', () => {
    const r = runCli(['devices', 'add', '-c', config, '-d', dataDir, '--device', 'gw1']);
    expect(r.status).toBe(0);
    expect(r.stdout.split('\n')[0]).toBe(
      'Rotated credentials for device "gw1" (may publish under plants/t/l1/).',
    );
    const second = r.stdout.trimEnd().split('\n').pop()!;
    expect(second).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(second).not.toBe(first);
    const bytes = dataBytes();
    expect([bytes.includes(Buffer.from(first)), bytes.includes(Buffer.from(second))]).toEqual([
      false,
      false,
    ]);
  });

  it('list shows which devices of the model have credentials', () => {
    const r = runCli(['devices', 'list', '-c', config, '-d', dataDir]);
    expect(r.status).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^gw1\tplants\/t\/l1\/\tcredentials since \d{4}-\d{2}-\d{2}T/);
    expect(lines[1]).toBe('gw2\tplants/t/l2/\tno credentials');
  });
});
