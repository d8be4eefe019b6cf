/**
 * Progress for long runs: a cli-progress bar on a terminal (stderr, so stdout stays clean for
 * the summary), a line every few seconds otherwise (CI logs), nothing when disabled.
 */
import cliProgress from 'cli-progress';

export interface Progress {
  update(done: number, info: string): void;
  stop(): void;
}

export function createProgress(total: number, label: string, mode: 'auto' | 'off'): Progress {
  if (mode === 'off') return { update: () => undefined, stop: () => undefined };
  if (process.stderr.isTTY) {
    const bar = new cliProgress.SingleBar(
      {
        format: `${label} [{bar}] {percentage}% | {info} | ETA {eta_formatted}`,
        stream: process.stderr,
        hideCursor: true,
        etaBuffer: 50,
      },
      cliProgress.Presets.shades_classic,
    );
    bar.start(total, 0, { info: '' });
    return {
      update: (done, info) => bar.update(Math.min(done, total), { info }),
      stop: () => bar.stop(),
    };
  }
  let last = 0;
  return {
    update(done, info) {
      const now = Date.now();
      if (now - last < 5_000) return;
      last = now;
      process.stderr.write(
        `${label}: ${Math.floor((100 * Math.min(done, total)) / total)}% ${info}\n`,
      );
    },
    stop: () => undefined,
  };
}

export function fmtRate(n: number, ms: number): string {
  return `${Math.round(n / Math.max(ms / 1000, 1e-3)).toLocaleString('en-US')}/s`;
}
