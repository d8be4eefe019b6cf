/**
 * Summarises a V8 .cpuprofile (written by `node --cpu-prof`): self time and total (inclusive)
 * time per function, and self time per area (a PlantPulse folder, a package under
 * node_modules, Node internals, GC, idle). Times come from the sample time deltas.
 *
 * Standalone: node dist/bench/lib/cpuprofile.js FILE.cpuprofile [TOP]
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileEntry {
  name: string;
  ms: number;
  pct: number;
}

export interface ProfileSummary {
  file: string;
  /** Whether only the measured window was summarised. */
  window: boolean;
  totalMs: number;
  /** Non-idle time: what the process spent on CPU (or in a blocking syscall such as fsync). */
  busyMs: number;
  selfByFunction: ProfileEntry[];
  totalByFunction: ProfileEntry[];
  selfByArea: ProfileEntry[];
}

function shortUrl(url: string): string {
  const nm = url.lastIndexOf('node_modules/');
  if (nm >= 0) return url.slice(nm + 'node_modules/'.length);
  const dist = url.lastIndexOf('/dist/');
  if (dist >= 0) return url.slice(dist + 1);
  return url.replace(/^file:\/\//, '');
}

/** Which part of the system a frame belongs to. */
export function areaOf(f: CallFrame): string {
  if (!f.url) {
    if (f.functionName === '(idle)') return '(idle)';
    if (f.functionName === '(garbage collector)') return '(garbage collector)';
    if (f.functionName === '(program)') return '(program: native, not attributed)';
    return `native: ${f.functionName || '(anonymous)'}`;
  }
  const nm = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(f.url);
  if (nm) return nm[1]!;
  const dist = /\/dist\/([^/]+)\//.exec(f.url);
  if (dist) return `plantpulse ${dist[1]}/`;
  if (f.url.startsWith('node:')) return 'node internals';
  return shortUrl(f.url);
}

function fnKey(f: CallFrame): string {
  const where = f.url ? ` ${shortUrl(f.url)}:${f.lineNumber + 1}` : '';
  return `${f.functionName || '(anonymous)'}${where}`;
}

/**
 * `window` restricts the summary to samples taken between two CLOCK_MONOTONIC instants in µs
 * (`process.hrtime.bigint() / 1000n` in any process on the machine: V8 stamps its samples with
 * the same clock), e.g. the measured window of a benchmark, leaving start-up and shutdown out.
 */
export function summariseProfile(
  file: string,
  top = 25,
  window?: { fromUs: number; toUs: number },
): ProfileSummary {
  const p = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map<number, ProfileNode>();
  const parent = new Map<number, number>();
  for (const n of p.nodes) byId.set(n.id, n);
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);

  const self = new Map<string, number>();
  const total = new Map<string, number>();
  const area = new Map<string, number>();
  let totalUs = 0;
  let idleUs = 0;
  let t = p.startTime;
  for (let i = 0; i < p.samples.length; i++) {
    t += p.timeDeltas[i] ?? 0;
    const dt = p.timeDeltas[i + 1] ?? 0; // delta to the next sample = time attributed to this one
    if (dt <= 0) continue;
    if (window && (t < window.fromUs || t > window.toUs)) continue;
    const node = byId.get(p.samples[i]!);
    if (!node) continue;
    totalUs += dt;
    const f = node.callFrame;
    if (f.functionName === '(idle)') idleUs += dt;
    self.set(fnKey(f), (self.get(fnKey(f)) ?? 0) + dt);
    const a = areaOf(f);
    area.set(a, (area.get(a) ?? 0) + dt);
    const seen = new Set<string>();
    for (let id: number | undefined = node.id; id !== undefined; id = parent.get(id)) {
      const k = fnKey(byId.get(id)!.callFrame);
      if (k === '(root)' || seen.has(k)) continue;
      seen.add(k);
      total.set(k, (total.get(k) ?? 0) + dt);
    }
  }
  const busyUs = totalUs - idleUs;
  const entries = (m: Map<string, number>, n: number, skipIdle: boolean): ProfileEntry[] =>
    [...m.entries()]
      .filter(([k]) => !(skipIdle && k.startsWith('(idle)')))
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([name, us]) => ({ name, ms: us / 1000, pct: busyUs > 0 ? (us / busyUs) * 100 : 0 }));
  return {
    file,
    window: window !== undefined,
    totalMs: totalUs / 1000,
    busyMs: busyUs / 1000,
    selfByFunction: entries(self, top, true),
    totalByFunction: entries(total, top, true).filter(
      (e) => !e.name.startsWith('(program)') && !e.name.startsWith('(garbage'),
    ),
    selfByArea: entries(area, 30, true),
  };
}

export function formatProfile(s: ProfileSummary): string {
  const table = (title: string, rows: ProfileEntry[]) =>
    [
      `| ${title} | ms | % of busy |`,
      '| --- | ---: | ---: |',
      ...rows.map(
        (r) => `| \`${r.name.replace(/\|/g, '\\|')}\` | ${r.ms.toFixed(0)} | ${r.pct.toFixed(1)} |`,
      ),
    ].join('\n');
  return [
    `Profile \`${s.file}\`${s.window ? ', measured window only' : ''}: ${(s.totalMs / 1000).toFixed(1)} s sampled, ${(s.busyMs / 1000).toFixed(1)} s busy (${((s.busyMs / s.totalMs) * 100).toFixed(0)} %).`,
    '',
    table('self time by area', s.selfByArea),
    '',
    table('self time by function', s.selfByFunction),
    '',
    table('total (inclusive) time by function', s.totalByFunction),
  ].join('\n');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const file = process.argv[2];
  if (!file) {
    process.stderr.write('usage: node dist/bench/lib/cpuprofile.js FILE.cpuprofile [TOP]\n');
    process.exit(2);
  }
  process.stdout.write(formatProfile(summariseProfile(file, Number(process.argv[3] ?? 25))) + '\n');
}
