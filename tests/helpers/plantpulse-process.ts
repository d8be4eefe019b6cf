/**
 * Runs the real `plantpulse` CLI as a child process, as an operator would, and waits for its
 * "PlantPulse ready" log line to learn the ephemeral ports.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { resolve } from 'node:path';

export const CLI = resolve('dist/cli/main.js');

/**
 * The API needs a bearer token (http.auth: tokens). Every child started by `startChild` gets
 * this secret as its operator bootstrap admin token (PLANTPULSE_BOOTSTRAP_ADMIN_TOKEN), and
 * `getJson` / `apiFetch` send it; pass `env: { PLANTPULSE_BOOTSTRAP_ADMIN_TOKEN: '' }` to start without.
 */
export const TEST_ADMIN_TOKEN = 'ppt_integration-tests-admin-token-0123456789';

/** `Authorization` header for `token` (the test admin token by default). */
export function authHeaders(token: string = TEST_ADMIN_TOKEN): Record<string, string> {
  return { authorization: `Bearer ${token}` };
}

/** `fetch` with the test admin token (or `token`) as bearer token. */
export function apiFetch(url: string, init: RequestInit = {}, token?: string): Promise<Response> {
  return fetch(url, {
    ...init,
    headers: { ...authHeaders(token), ...(init.headers as Record<string, string> | undefined) },
  });
}

export interface PlantPulseChild {
  child: ChildProcess;
  mqttPort: number;
  httpPort: number;
  mqttUrl: string;
  httpUrl: string;
  /** The "PlantPulse ready" log entry (mqttTlsPort, mqttWsPort, … when configured). */
  ready: Record<string, unknown>;
  /** Every log line (parsed JSON where possible) seen so far. */
  logs: Record<string, unknown>[];
  stderr: string[];
  /** SIGTERM and wait for exit; returns the exit code. */
  stop(): Promise<number | null>;
  /** SIGKILL and wait for exit. */
  kill(): Promise<void>;
  exited: Promise<number | null>;
}

export async function startChild(opts: {
  config: string;
  dataDir: string;
  mqttPort?: number;
  httpPort?: number;
  env?: Record<string, string>;
  timeoutMs?: number;
}): Promise<PlantPulseChild> {
  const args = [
    CLI,
    'start',
    '--config',
    opts.config,
    '--data-dir',
    opts.dataDir,
    '--mqtt-port',
    String(opts.mqttPort ?? 0),
    '--http-port',
    String(opts.httpPort ?? 0),
  ];
  const child = spawn(process.execPath, args, {
    env: { ...process.env, PLANTPULSE_BOOTSTRAP_ADMIN_TOKEN: TEST_ADMIN_TOKEN, ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: Record<string, unknown>[] = [];
  const stderr: string[] = [];
  const exited = new Promise<number | null>((res) => child.once('exit', (code) => res(code)));
  createInterface({ input: child.stderr! }).on('line', (l) => stderr.push(l));
  const ready = new Promise<Record<string, unknown>>((res, rej) => {
    const timer = setTimeout(
      () =>
        rej(
          new Error(
            `PlantPulse did not become ready within ${opts.timeoutMs ?? 20000} ms; stderr: ${stderr.join('\n')}`,
          ),
        ),
      opts.timeoutMs ?? 20_000,
    );
    createInterface({ input: child.stdout! }).on('line', (line) => {
      let entry: Record<string, unknown>;
      try {
        entry = JSON.parse(line) as Record<string, unknown>;
      } catch {
        entry = { raw: line };
      }
      logs.push(entry);
      if (entry.msg === 'PlantPulse ready') {
        clearTimeout(timer);
        res(entry);
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      rej(
        new Error(
          `PlantPulse exited with code ${code} before it was ready; stderr: ${stderr.join('\n')}`,
        ),
      );
    });
  });
  const readyEntry = await ready;
  const mqttPort = readyEntry.mqttPort as number;
  const httpPort = readyEntry.httpPort as number;
  return {
    child,
    ready: readyEntry,
    mqttPort,
    httpPort,
    mqttUrl: `mqtt://127.0.0.1:${mqttPort}`,
    httpUrl: `http://127.0.0.1:${httpPort}`,
    logs,
    stderr,
    exited,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      return exited;
    },
    async kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}

/** Runs `plantpulse devices add` and returns the secret (the last line of its output). */
export function addDevice(config: string, dataDir: string, device: string): string {
  const r = spawnSync(
    process.execPath,
    [CLI, 'devices', 'add', '--config', config, '--data-dir', dataDir, '--device', device],
    { encoding: 'utf8' },
  );
  if (r.status !== 0) throw new Error(`devices add failed (${r.status}): ${r.stderr}`);
  return r.stdout.trim().split('\n').pop()!;
}

/** Runs the CLI to completion and returns its exit code and output. */
export function runCli(
  args: string[],
  env?: Record<string, string>,
): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], {
    encoding: 'utf8',
    env: { ...process.env, ...env },
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

export async function getJson<T = Record<string, unknown>>(
  url: string,
  token?: string,
): Promise<T> {
  const res = await apiFetch(url, {}, token);
  if (!res.ok) throw new Error(`GET ${url} → ${res.status}: ${await res.text()}`);
  return (await res.json()) as T;
}
