/**
 * Memory and CPU of a process (or one thread) from Linux /proc: VmRSS (resident now) and VmHWM
 * (peak resident) from /proc/PID/status, user+system CPU time from /proc/PID[/task/TID]/stat.
 */
import { readFileSync, readlinkSync } from 'node:fs';

/** Clock ticks per second of /proc/PID/stat times (USER_HZ, 100 on Linux x86-64 and arm64). */
const CLK_TCK = 100;

export interface Memory {
  rssMiB: number;
  hwmMiB: number;
}

export function readMemory(pid: number): Memory | null {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kib = (key: string) =>
      Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
    return { rssMiB: kib('VmRSS') / 1024, hwmMiB: kib('VmHWM') / 1024 };
  } catch {
    return null;
  }
}

/** CPU seconds (user + system) used so far by a process, or by one of its threads. */
export function readCpuSeconds(pid: number, tid?: number): number {
  try {
    const stat = readFileSync(tid ? `/proc/${pid}/task/${tid}/stat` : `/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' '); // fields[0] is field 3 (state)
    return (Number(fields[11]) + Number(fields[12])) / CLK_TCK; // utime (14), stime (15)
  } catch {
    return NaN;
  }
}

/** Busy CPU seconds of the whole machine, all cores together (/proc/stat). */
export function readMachineBusySeconds(): number {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!;
    const [user, nice, system, , , irq, softirq, steal] = line
      .trim()
      .split(/\s+/)
      .slice(1)
      .map(Number);
    return (
      ((user ?? 0) + (nice ?? 0) + (system ?? 0) + (irq ?? 0) + (softirq ?? 0) + (steal ?? 0)) /
      CLK_TCK
    );
  } catch {
    return NaN;
  }
}

/** This thread's Linux task id (a worker thread reports it so the main thread can read its CPU). */
export function threadTid(): number {
  try {
    return Number(readlinkSync('/proc/thread-self').split('/').pop());
  } catch {
    return 0;
  }
}

/** Samples a process's resident memory every `everyMs` and keeps the peak. */
export class MemorySampler {
  peakRssMiB = 0;
  lastHwmMiB = 0;
  private timer: NodeJS.Timeout;

  constructor(
    private readonly pid: number,
    everyMs = 200,
  ) {
    this.sample();
    this.timer = setInterval(() => this.sample(), everyMs);
    this.timer.unref();
  }

  sample(): void {
    const m = readMemory(this.pid);
    if (!m) return;
    if (m.rssMiB > this.peakRssMiB) this.peakRssMiB = m.rssMiB;
    if (m.hwmMiB > this.lastHwmMiB) this.lastHwmMiB = m.hwmMiB;
  }

  stop(): { peakRssMiB: number; hwmMiB: number } {
    this.sample();
    clearInterval(this.timer);
    return { peakRssMiB: this.peakRssMiB, hwmMiB: this.lastHwmMiB };
  }
}

/**
 * Waits until the machine has been idle (less than `maxBusyCores` of CPU used by anyone) for
 * two consecutive seconds, or `maxWaitS` have passed. Returns the busy cores last seen.
 */
export async function waitForIdle(maxWaitS: number, maxBusyCores = 0.15): Promise<number> {
  const deadline = performance.now() + maxWaitS * 1000;
  let quiet = 0;
  let busy = NaN;
  while (performance.now() < deadline) {
    const b0 = readMachineBusySeconds();
    await new Promise((r) => setTimeout(r, 1000));
    busy = readMachineBusySeconds() - b0;
    quiet = busy < maxBusyCores ? quiet + 1 : 0;
    if (quiet >= 2) break;
  }
  return busy;
}
