/**
 * The figures of a benchmark run: one row per case, checked against the targets of the issue,
 * as a Markdown table (printed and written to bench/results/ingest.md) and as JSON.
 */
import type { ProfileSummary } from './cpuprofile.js';

export type CaseKind = 'single' | 'batch' | 'latency';
export type TargetName = 'mosquitto' | 'plantpulse';

export interface CaseResult {
  kind: CaseKind;
  target: TargetName;
  label: string;
  status: 'ok' | 'failed';
  error?: string;
  readingsPerMessage: number;
  messagesPerS?: number;
  readingsPerS?: number;
  latencyMs?: { p50: number; p99: number; max: number; mean: number; samples: number };
  /** Open loop only: scheduled send time → PUBACK. */
  lagMs?: { p50: number; p99: number; max: number };
  /** Open loop only: the rate asked for. */
  requestedRate?: number;
  rssPeakMiB?: number;
  rssHwmMiB?: number;
  serverCpuPct?: number;
  generatorCpuPct?: number;
  subscriberCpuPct?: number;
  /** CPU used on the machine by anything but the broker and the bench process (noise). */
  otherCpuPct?: number;
  payloadBytes?: number;
  frameBytes?: number;
  measuredS?: number;
  delivered?: { measured: number; total: number };
  acked?: {
    messages: number;
    readings: number;
    sentMessages: number;
    unacked: number;
    protocolErrors: number;
    connectionsLost: number;
    backlogDropped: number;
  };
  durability?: {
    ackedReadings: number;
    /** Rows of the bench sensors in the log file after PlantPulse stopped. */
    storedReadings: number;
    /** All log rows per /api/v1/stats (raw readings and analytics' derived rows). */
    logRows: number;
    exitCode: number | null;
    deadLetters: number;
    rejectsByCode: Record<string, number>;
    ok: boolean;
    note: string;
  };
  /**
   * PlantPulse group commits over the whole run (warm-up, window, drain), from its /metrics;
   * busyPct is the share of the run's wall time spent committing (fsync included).
   */
  commits?: {
    commits: number;
    rowsPerCommit: number;
    msPerCommit: number;
    commitsPerS: number;
    busyPct: number;
    metricsScrapeMs: number;
    statsMs: number;
  };
  problems?: string[];
  /** Filled by `evaluate`. */
  ratio?: number;
  ratioText?: string;
  targets?: { text: string; met: boolean }[];
  profile?: ProfileSummary;
  profileFile?: string;
}

export const TARGETS = {
  singleReadingsPerS: 40_000,
  ratioToMosquitto: 0.8,
  batchReadingsPerS: 300_000,
  p99Ms: 30,
};

/** Ratios to the Mosquitto row of the same case, and the issue's targets for PlantPulse rows. */
export function evaluate(results: CaseResult[]): void {
  for (const r of results) {
    if (r.target !== 'plantpulse' || r.status !== 'ok') continue;
    const base = results.find(
      (b) => b.kind === r.kind && b.target === 'mosquitto' && b.status === 'ok',
    );
    if (r.kind === 'latency') {
      if (base?.latencyMs && r.latencyMs) {
        r.ratio = r.latencyMs.p99 / base.latencyMs.p99;
        r.ratioText = `p99 ${r.ratio.toFixed(1)}×`;
      }
      const rateOk =
        r.requestedRate === undefined || (r.messagesPerS ?? 0) >= 0.98 * r.requestedRate;
      r.targets = [
        { text: `p99 ≤ ${TARGETS.p99Ms} ms`, met: (r.latencyMs?.p99 ?? Infinity) <= TARGETS.p99Ms },
        { text: `sustains ${fmtInt(r.requestedRate ?? 0)} msg/s`, met: rateOk },
      ];
      continue;
    }
    if (base?.messagesPerS && r.messagesPerS !== undefined) {
      r.ratio = r.messagesPerS / base.messagesPerS;
      r.ratioText = `${r.ratio.toFixed(2)}×`;
    }
    if (r.kind === 'single') {
      r.targets = [
        {
          text: `≥ ${fmtInt(TARGETS.singleReadingsPerS)} readings/s`,
          met: (r.readingsPerS ?? 0) >= TARGETS.singleReadingsPerS,
        },
      ];
      if (r.ratio !== undefined)
        r.targets.push({
          text: `≥ ${TARGETS.ratioToMosquitto}× Mosquitto`,
          met: r.ratio >= TARGETS.ratioToMosquitto,
        });
    } else {
      r.targets = [
        {
          text: `≥ ${fmtInt(TARGETS.batchReadingsPerS)} readings/s`,
          met: (r.readingsPerS ?? 0) >= TARGETS.batchReadingsPerS,
        },
      ];
    }
  }
}

export function fmtInt(n: number | undefined): string {
  return n === undefined || !Number.isFinite(n) ? '—' : Math.round(n).toLocaleString('en-US');
}

export function fmtMs(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms)) return '—';
  return ms < 10 ? `${ms.toFixed(2)} ms` : ms < 100 ? `${ms.toFixed(1)} ms` : `${ms.toFixed(0)} ms`;
}

const fmtMiB = (m: number | undefined) =>
  m === undefined || !Number.isFinite(m) ? '—' : `${m.toFixed(0)} MiB`;
const fmtPct = (p: number | undefined) =>
  p === undefined || !Number.isFinite(p) ? '—' : `${p.toFixed(0)} %`;
const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

export function markdownTable(results: CaseResult[]): string {
  const head = [
    'case',
    'msgs/s',
    'readings/s',
    'p50',
    'p99',
    'max',
    'RSS (peak)',
    'ratio to Mosquitto',
    'target',
    'met/short',
    'server CPU',
    'generator CPU',
  ];
  const rows = results.map((r) => {
    if (r.status === 'failed')
      return [
        r.label,
        '—',
        '—',
        '—',
        '—',
        '—',
        '—',
        '—',
        targetText(r),
        `not run: ${r.error ?? 'failed'}`,
        '—',
        '—',
      ];
    return [
      r.label,
      fmtInt(r.messagesPerS),
      fmtInt(r.readingsPerS),
      fmtMs(r.latencyMs?.p50),
      fmtMs(r.latencyMs?.p99),
      fmtMs(r.latencyMs?.max),
      fmtMiB(r.rssPeakMiB),
      r.target === 'mosquitto' ? '1 (baseline)' : (r.ratioText ?? '—'),
      targetText(r),
      r.targets ? r.targets.map((t) => (t.met ? 'met' : 'short')).join(' · ') : '—',
      fmtPct(r.serverCpuPct),
      fmtPct(
        r.generatorCpuPct === undefined ? undefined : r.generatorCpuPct + (r.subscriberCpuPct ?? 0),
      ),
    ];
  });
  return [
    `| ${head.join(' | ')} |`,
    `| ${head.map((_, i) => (i === 0 || (i >= 7 && i <= 9) ? '---' : '---:')).join(' | ')} |`,
    ...rows.map((c) => `| ${c.map(cell).join(' | ')} |`),
  ].join('\n');
}

function targetText(r: CaseResult): string {
  if (r.target === 'mosquitto') return 'baseline';
  if (r.targets) return r.targets.map((t) => t.text).join(' · ');
  if (r.kind === 'single')
    return `≥ ${fmtInt(TARGETS.singleReadingsPerS)} readings/s · ≥ ${TARGETS.ratioToMosquitto}× Mosquitto`;
  if (r.kind === 'batch') return `≥ ${fmtInt(TARGETS.batchReadingsPerS)} readings/s`;
  return `p99 ≤ ${TARGETS.p99Ms} ms`;
}

export function durabilityTable(results: CaseResult[]): string {
  const rows = results.filter((r) => r.durability);
  if (rows.length === 0) return '';
  return [
    '| PlantPulse case | readings acknowledged | readings stored (bench sensors) | log rows (/api/v1/stats) | dead letters | check | group commits/s | rows/commit | ms/commit | time in commits |',
    '| --- | ---: | ---: | ---: | ---: | --- | ---: | ---: | ---: | ---: |',
    ...rows.map((r) => {
      const d = r.durability!;
      const c = r.commits;
      const commits = c
        ? `${fmtInt(c.commitsPerS)} | ${fmtInt(c.rowsPerCommit)} | ${c.msPerCommit.toFixed(2)} | ${fmtPct(c.busyPct)}`
        : '— | — | — | —';
      return `| ${r.label} | ${fmtInt(d.ackedReadings)} | ${fmtInt(d.storedReadings)} | ${fmtInt(d.logRows)} | ${fmtInt(d.deadLetters)} | ${d.ok ? 'ok' : '**MISMATCH**'}: ${cell(d.note)} | ${commits} |`;
    }),
  ].join('\n');
}

export function detailsTable(results: CaseResult[]): string {
  return [
    '| case | payload (frame) bytes/msg | measured | latency samples | open-loop lag p99 | subscriber got (measured / total) | publishes sent / acked | server RSS HWM | msgs/s per server core | CPU of other processes |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...results
      .filter((r) => r.status === 'ok')
      .map((r) => {
        const a = r.acked;
        return `| ${r.label} | ${fmtInt(r.payloadBytes)} (${fmtInt(r.frameBytes)}) | ${r.measuredS?.toFixed(1)} s | ${fmtInt(r.latencyMs?.samples)} | ${r.lagMs ? fmtMs(r.lagMs.p99) : '—'} | ${r.delivered ? `${fmtInt(r.delivered.measured)} / ${fmtInt(r.delivered.total)}` : '—'} | ${a ? `${fmtInt(a.sentMessages)} / ${fmtInt(a.messages)}` : '—'} | ${fmtMiB(r.rssHwmMiB)} | ${r.serverCpuPct ? fmtInt((r.messagesPerS ?? 0) / (r.serverCpuPct / 100)) : '—'} | ${fmtPct(r.otherCpuPct)} |`;
      }),
  ].join('\n');
}
