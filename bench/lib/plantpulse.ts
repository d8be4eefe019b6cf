/**
 * The system under test: the real `plantpulse start` CLI as a child process (its own Node
 * process and event loop), on a fresh data directory and a generated plant model with one
 * power sensor per simulated device.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import Database from 'better-sqlite3';
import { LOG_FILE } from '../../store/db.js';
import { track } from './children.js';
import { LINES, SENSOR, SITE } from './payload.js';

/** dist/bench/lib/plantpulse.js → dist/cli/main.js */
export const DEFAULT_CLI = fileURLToPath(new URL('../../cli/main.js', import.meta.url));

export interface PlantPulseStats {
  readings: number;
  deadLetters: number;
  rejectsByCode: Record<string, number>;
}

export interface CommitTotals {
  commits: number;
  commitSeconds: number;
  rows: number;
  /** Wall time of the /metrics request (it counts the log's rows, which blocks ingest meanwhile). */
  scrapeMs: number;
}

export interface RunningPlantPulse {
  pid: number;
  mqttPort: number;
  httpPort: number;
  dataDir: string;
  durability: string;
  /** Warnings and errors it logged (pino level ≥ 40), for the report. */
  problems: string[];
  stats(): Promise<PlantPulseStats>;
  /** Group-commit totals from GET /metrics (Prometheus text), and how long the scrape took. */
  commitTotals(): Promise<CommitTotals>;
  /**
   * SIGTERM (PlantPulse flushes and closes the log), wait for the exit, then count the rows of
   * the bench's own sensors in the closed log file and delete the data directory.
   */
  stop(): Promise<StopOutcome>;
}

export interface StopOutcome {
  exitCode: number | null;
  /** Log rows of the bench sensors (raw readings; derived analytics rows are other series). */
  sensorReadings?: number;
  /** All log rows (raw readings plus derived rows). */
  logRows?: number;
  cpuProfile?: string;
}

/** Series keys of the bench sensors: site/line/machine/sensor. */
function sensorKeys(machines: number): Set<string> {
  const keys = new Set<string>();
  for (let i = 0; i < machines; i++) keys.add(`${SITE}/l${i % LINES}/m${i}/${SENSOR}`);
  return keys;
}

/** Counts rows per series in a closed log file, read-only. */
function countRows(dataDir: string, machines: number): { sensorReadings: number; logRows: number } {
  const db = new Database(join(dataDir, LOG_FILE), { readonly: true, fileMustExist: true });
  try {
    const keys = sensorKeys(machines);
    const ids = new Set(
      (db.prepare('SELECT id, key FROM series').all() as { id: number; key: string }[])
        .filter((s) => keys.has(s.key))
        .map((s) => s.id),
    );
    let sensorReadings = 0;
    let logRows = 0;
    for (const r of db.prepare('SELECT series, COUNT(*) AS n FROM log GROUP BY series').all() as {
      series: number;
      n: number;
    }[]) {
      logRows += r.n;
      if (ids.has(r.series)) sensorReadings += r.n;
    }
    return { sensorReadings, logRows };
  } finally {
    db.close();
  }
}

/** The plant model: machines m0..m{n-1}, machine i on line l{i % 10}, one power sensor each. */
export function benchPlantModel(
  machines: number,
  durability: 'full' | 'normal',
  anomaly: boolean,
): Record<string, unknown> {
  const lines = Array.from({ length: Math.min(LINES, machines) }, (_, l) => ({
    id: `l${l}`,
    machines: [] as {
      id: string;
      sensors: { id: string; kind: string; unit: string; interval: string }[];
    }[],
  }));
  for (let i = 0; i < machines; i++) {
    lines[i % LINES]!.machines.push({
      id: `m${i}`,
      sensors: [{ id: SENSOR, kind: 'power', unit: 'kW', interval: '1s' }],
    });
  }
  return {
    plant: { name: 'bench' },
    sites: [{ id: SITE, lines }],
    mqtt: { allowAnonymous: true },
    ingest: { maxFutureSkew: '1d', durability },
    // Log maintenance (rollups, retention) every 5 s instead of every minute, so even a 10 s
    // case covers passes of it: at the default a case never saw the minute-mark stall that held
    // PUBACKs for over a second before maintenance moved to the analytics worker.
    storage: { maintenanceInterval: '5s' },
    // Anomaly scoring is on by default; `--anomaly off` measures ingest without it.
    ...(anomaly ? {} : { anomaly: { enabled: false } }),
  };
}

export function cliMissingMessage(cli = DEFAULT_CLI): string | null {
  return existsSync(cli)
    ? null
    : `the PlantPulse CLI is not built: ${cli} is missing. Build it with \`npm run build\` (\`npm run bench:ingest\` does).`;
}

/** Operator bootstrap admin token of the benchmarked instance (security/bootstrap.ts). */
const BENCH_ADMIN_TOKEN = `ppt_bench-${randomBytes(24).toString('base64url')}`;
const BENCH_AUTH = { headers: { authorization: `Bearer ${BENCH_ADMIN_TOKEN}` } };

export async function startPlantPulse(opts: {
  machines: number;
  durability: 'full' | 'normal';
  anomaly: boolean;
  /** dist/cli/main.js of the PlantPulse build to run (default: the one next to the bench). */
  cli?: string;
  cpuProfileDir?: string;
  timeoutMs?: number;
}): Promise<RunningPlantPulse> {
  const cli = opts.cli ?? DEFAULT_CLI;
  const missing = cliMissingMessage(cli);
  if (missing) throw new Error(missing);
  const dir = mkdtempSync(join(tmpdir(), 'pp-bench-plantpulse-'));
  const dataDir = join(dir, 'data');
  const config = join(dir, 'plant.yaml');
  writeFileSync(config, stringify(benchPlantModel(opts.machines, opts.durability, opts.anomaly)));

  const nodeArgs = opts.cpuProfileDir ? ['--cpu-prof', '--cpu-prof-dir', opts.cpuProfileDir] : [];
  const before =
    opts.cpuProfileDir && existsSync(opts.cpuProfileDir)
      ? new Set(readdirSync(opts.cpuProfileDir))
      : new Set<string>();
  const child = spawn(
    process.execPath,
    [
      ...nodeArgs,
      cli,
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
    {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        ...process.env,
        PLANTPULSE_LOG_LEVEL: process.env.PLANTPULSE_LOG_LEVEL ?? 'info',
        PLANTPULSE_BOOTSTRAP_ADMIN_TOKEN: BENCH_ADMIN_TOKEN, // the API needs a bearer token
      },
    },
  );
  track(child);
  const problems: string[] = [];
  const stderr: string[] = [];
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  createInterface({ input: child.stderr! }).on('line', (l) => stderr.push(l));

  const timeoutMs = opts.timeoutMs ?? 30_000;
  const ports = await new Promise<{ mqttPort: number; httpPort: number }>((resolve, reject) => {
    const timer = setTimeout(
      () =>
        reject(
          new Error(
            `PlantPulse did not log "PlantPulse ready" within ${timeoutMs} ms; stderr: ${stderr.join('\n')}`,
          ),
        ),
      timeoutMs,
    );
    // Always read stdout: a full pipe would block the server's logger.
    createInterface({ input: child.stdout! }).on('line', (line) => {
      let entry: Record<string, unknown>;
      try {
        entry = JSON.parse(line) as Record<string, unknown>;
      } catch {
        return;
      }
      if (typeof entry.level === 'number' && entry.level >= 40 && problems.length < 50)
        problems.push(String(entry.msg));
      if (entry.msg === 'PlantPulse ready') {
        clearTimeout(timer);
        resolve({ mqttPort: entry.mqttPort as number, httpPort: entry.httpPort as number });
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(
        new Error(
          `PlantPulse exited with code ${code} before it was ready; stderr:\n${stderr.join('\n')}`,
        ),
      );
    });
  }).catch((err: Error) => {
    child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
    throw err;
  });

  return {
    pid: child.pid!,
    ...ports,
    dataDir,
    durability: opts.durability,
    problems,
    async stats() {
      const res = await fetch(`http://127.0.0.1:${ports.httpPort}/api/v1/stats`, BENCH_AUTH);
      if (!res.ok) throw new Error(`GET /api/v1/stats → ${res.status}: ${await res.text()}`);
      return (await res.json()) as PlantPulseStats;
    },
    async commitTotals() {
      const t = performance.now();
      const res = await fetch(`http://127.0.0.1:${ports.httpPort}/metrics`, BENCH_AUTH);
      const text = await res.text();
      const scrapeMs = performance.now() - t;
      if (!res.ok) throw new Error(`GET /metrics → ${res.status}: ${text.slice(0, 200)}`);
      const value = (name: string) =>
        Number(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'm').exec(text)?.[1] ?? NaN);
      return {
        commits: value('plantpulse_commit_duration_seconds_count'),
        commitSeconds: value('plantpulse_commit_duration_seconds_sum'),
        rows: value('plantpulse_commit_rows_sum'),
        scrapeMs,
      };
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 30_000);
      const exitCode = await exited;
      clearTimeout(t);
      const outcome: StopOutcome = { exitCode };
      try {
        Object.assign(outcome, countRows(dataDir, opts.machines));
      } catch (err) {
        problems.push(`could not read the log after the stop: ${(err as Error).message}`);
      }
      rmSync(dir, { recursive: true, force: true });
      if (opts.cpuProfileDir) {
        const created = readdirSync(opts.cpuProfileDir).filter(
          (f) => f.endsWith('.cpuprofile') && !before.has(f),
        );
        if (created.length > 0)
          outcome.cpuProfile = join(opts.cpuProfileDir, created.sort().pop()!);
      }
      return outcome;
    },
  };
}
