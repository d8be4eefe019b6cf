/**
 * The child-process lifecycle the test-server launchers share (VictoriaMetrics, influxd): spawn,
 * keep the last lines of output for error messages, wait until a health URL answers, stop.
 */
import { spawn, type ChildProcess } from 'node:child_process';

export interface ServerCommand {
  binary: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
  /** The Debian package to name when the binary cannot be run. */
  aptPackage: string;
  /** Path on the server that answers when it is ready, and how to tell. */
  health: { path: string; ok: (r: Response) => boolean };
  startTimeoutMs: number;
}

export abstract class ServerProcess {
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();
  readonly output: string[] = [];

  protected constructor(readonly port: number) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Spawns the server and resolves once its health URL answers. */
  protected async spawnAndWait(cmd: ServerCommand): Promise<void> {
    const child = spawn(cmd.binary, cmd.args, {
      stdio: ['ignore', 'pipe', 'pipe'],
      ...(cmd.env ? { env: cmd.env } : {}),
    });
    this.child = child;
    const keep = (b: Buffer) => {
      this.output.push(b.toString());
      if (this.output.length > 200) this.output.shift();
    };
    child.stdout!.on('data', keep);
    child.stderr!.on('data', keep);
    this.exited = new Promise((res) => child.once('exit', () => res()));
    const failed = new Promise<never>((_, rej) =>
      child.once('error', (err) =>
        rej(
          new Error(`cannot run ${cmd.binary}: ${err.message} (apt-get install ${cmd.aptPackage})`),
        ),
      ),
    );
    const deadline = Date.now() + cmd.startTimeoutMs;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`${cmd.binary} exited: ${this.output.join('')}`);
      const ok = await Promise.race([
        fetch(`${this.url}${cmd.health.path}`).then(cmd.health.ok, () => false),
        failed,
      ]);
      if (ok) return;
      if (Date.now() > deadline) {
        throw new Error(`${cmd.binary} did not start: ${this.output.join('')}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** Graceful stop (SIGTERM), or SIGKILL; resolves when the process has exited. */
  async stop(signal: 'SIGTERM' | 'SIGKILL' = 'SIGTERM'): Promise<void> {
    const c = this.child;
    if (c && c.exitCode === null && c.signalCode === null) c.kill(signal);
    await this.exited;
  }
}
