/**
 * The baseline: Debian's Mosquitto 2 on a free loopback port with a temporary configuration. It
 * keeps nothing on disk (persistence off) and only routes: PUBACK to the publisher as soon as
 * the PUBLISH is read, delivery to the subscriber with its own QoS 1 handshake. In-flight and
 * queue limits are lifted so that the baseline never drops or throttles what it routes.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { track } from './children.js';
import { freePort, waitForPort } from './net.js';

export interface RunningMosquitto {
  pid: number;
  port: number;
  stderr: string[];
  stop(): Promise<void>;
}

export function findMosquitto(): string | null {
  for (const p of ['/usr/sbin/mosquitto', '/usr/bin/mosquitto', '/usr/local/sbin/mosquitto'])
    if (existsSync(p)) return p;
  return null;
}

/** "2.0.11", from `mosquitto -h` (which prints its version and exits 3). */
export function mosquittoVersion(): string {
  const bin = findMosquitto();
  if (!bin) return 'not installed';
  const r = spawnSync(bin, ['-h'], { encoding: 'utf8' });
  return /mosquitto version (\S+)/.exec(r.stdout ?? '')?.[1] ?? 'unknown';
}

export async function startMosquitto(): Promise<RunningMosquitto> {
  const bin = findMosquitto();
  if (!bin)
    throw new Error(
      "mosquitto is not installed; install Debian's: apt-get install -y mosquitto mosquitto-clients",
    );
  const dir = mkdtempSync(join(tmpdir(), 'pp-bench-mosquitto-'));
  const port = await freePort();
  const conf = join(dir, 'mosquitto.conf');
  writeFileSync(
    conf,
    [
      `listener ${port} 127.0.0.1`,
      'allow_anonymous true',
      'persistence false',
      // Outgoing QoS 1 to the subscriber: no in-flight limit, so that nothing ever waits in the
      // per-client queue. Debian's 2.0.11 leaks that queue's message count when queued messages
      // move to in flight: after max_queued_messages messages in total it silently drops every
      // further message for the subscriber ("Outgoing messages are being dropped").
      'max_inflight_messages 0',
      'max_queued_messages 1000000',
      'max_connections -1',
      'set_tcp_nodelay true',
      'log_dest stderr',
      'log_type error',
      'log_type warning',
      'log_type notice',
      '',
    ].join('\n'),
  );
  const child: ChildProcess = spawn(bin, ['-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
  track(child);
  const stderr: string[] = [];
  child
    .stderr!.setEncoding('utf8')
    .on('data', (d: string) => stderr.push(...d.split('\n').filter(Boolean)));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  try {
    await Promise.race([
      waitForPort('127.0.0.1', port, 10_000),
      exited.then(() => {
        throw new Error(`mosquitto exited at start: ${stderr.join(' | ')}`);
      }),
    ]);
  } catch (err) {
    child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  return {
    pid: child.pid!,
    port,
    stderr,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(t);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
