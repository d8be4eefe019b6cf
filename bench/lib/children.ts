/**
 * Broker processes the bench started. Whatever way the bench ends (an error, Ctrl-C), they are
 * killed with it, so no Mosquitto or PlantPulse is left running on the machine.
 */
import type { ChildProcess } from 'node:child_process';

const running = new Set<ChildProcess>();
let installed = false;

function killAll(): void {
  for (const c of running) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
}

export function track(child: ChildProcess): void {
  running.add(child);
  child.once('exit', () => running.delete(child));
  if (installed) return;
  installed = true;
  process.on('exit', killAll);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      killAll();
      process.exit(130);
    });
  }
}
