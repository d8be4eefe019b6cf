/**
 * A small filesystem for the disk-full fault test: a tmpfs of a given size mounted on a fresh
 * directory (needs root, as in CI), and a filler file that takes every free byte of it.
 */
import { execFileSync } from 'node:child_process';
import { closeSync, mkdirSync, openSync, rmSync, statfsSync, writeSync } from 'node:fs';
import { join } from 'node:path';

/** Why the test cannot run here, or undefined when it can. */
export function smallDiskUnavailable(): string | undefined {
  if (process.getuid?.() !== 0)
    return `the disk-full test mounts a tmpfs (mount -t tmpfs), which needs root; this process runs as uid ${process.getuid?.()}. Run the integration tests as root (CI does).`;
  return undefined;
}

export interface SmallDisk {
  dir: string;
  freeBytes(): number;
  /** Writes a filler file until the filesystem has no free byte left; returns its size. */
  fill(): number;
  /** Deletes the filler: space returns. */
  free(): void;
  unmount(): void;
}

export function mountSmallDisk(dir: string, sizeMiB: number): SmallDisk {
  mkdirSync(dir, { recursive: true });
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${sizeMiB}m,mode=0755`, 'tmpfs', dir], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
  } catch (err) {
    const stderr = (err as { stderr?: Buffer }).stderr?.toString().trim();
    throw new Error(`mount -t tmpfs -o size=${sizeMiB}m tmpfs ${dir} failed: ${stderr ?? err}`);
  }
  const filler = join(dir, 'filler');
  let mounted = true;
  return {
    dir,
    freeBytes() {
      const s = statfsSync(dir);
      return s.bavail * s.bsize;
    },
    fill() {
      const fd = openSync(filler, 'a');
      let written = 0;
      try {
        // Big chunks first, then page-sized ones to take the last bytes too.
        for (const chunk of [Buffer.alloc(1 << 20, 0xaa), Buffer.alloc(4096, 0xaa)]) {
          for (;;) {
            try {
              written += writeSync(fd, chunk);
            } catch (err) {
              if ((err as NodeJS.ErrnoException).code === 'ENOSPC') break;
              throw err;
            }
          }
        }
      } finally {
        closeSync(fd);
      }
      return written;
    },
    free() {
      rmSync(filler, { force: true });
    },
    unmount() {
      if (!mounted) return;
      mounted = false;
      execFileSync('umount', [dir]);
    },
  };
}
