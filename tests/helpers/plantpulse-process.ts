/**
 * Runs the real `plantpulse` CLI as a child process, as an operator would, and waits for its
 * "PlantPulse ready" log line to learn the ephemeral ports.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { resolve } from 'node:path';

export const CLI = resolve('dist/cli/main.js');

export interface PlantPulseChild {
  child: ChildProcess;
  mqttPort: number;
  httpPort: number;
  mqttUrl: string;
  httpUrl: string;
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
    env: { ...process.env, ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: Record<string, unknown>[] = [];
  const stderr: string[] = [];
  const exited = new Promise<number | null>((res) => child.once('exit', (code) => res(code)));
  createInterface({ input: child.stderr! }).on('line', (l) => stderr.push(l));
  const ready = new Promise<{ mqttPort: number; httpPort: number }>((res, rej) => {
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
        res({ mqttPort: entry.mqttPort as number, httpPort: entry.httpPort as number });
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
  const { mqttPort, httpPort } = await ready;
  return {
    child,
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

export async function getJson<T = Record<string, unknown>>(url: string): Promise<T> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`GET ${url} → ${res.status}: ${await res.text()}`);
  return (await res.json()) as T;
}
