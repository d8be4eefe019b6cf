/**
 * One entry for every consumer (CLI, API, benchmark): build the month's report, render it in
 * the asked format, and record the export in the audit trail (who exported which month, in
 * which format, with which totals), so a figure handed to management can be traced back.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type Database from 'better-sqlite3';
import type { AuditTrail } from '../audit/trail.js';
import type { PlantIndex } from '../config/plant-index.js';
import { CodedError, type ErrorCode } from '../runtime/errors.js';
import { buildEnergyReport } from './energy-report.js';
import type { EnergyReport } from './energy-types.js';
import type { WorkerJob, WorkerMessage } from './export-worker.js';
import { reportCsv } from './format-csv.js';

export const REPORT_FORMATS = ['json', 'csv', 'xlsx', 'pdf'] as const;
export type ReportFormat = (typeof REPORT_FORMATS)[number];

export const CONTENT_TYPES: Record<ReportFormat, string> = {
  json: 'application/json; charset=utf-8',
  csv: 'text/csv; charset=utf-8',
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  pdf: 'application/pdf',
};

export function parseFormat(value: unknown, param = 'format'): ReportFormat {
  if ((REPORT_FORMATS as readonly unknown[]).includes(value)) return value as ReportFormat;
  throw new CodedError(
    'PP_ERR_BAD_REQUEST',
    `${param} must be one of ${REPORT_FORMATS.join(', ')}, got ${JSON.stringify(value)}`,
    { param },
  );
}

export async function renderReport(r: EnergyReport, format: ReportFormat): Promise<Buffer> {
  switch (format) {
    case 'json':
      return Buffer.from(JSON.stringify(r, null, 2));
    case 'csv':
      return Buffer.from(reportCsv(r));
    // exceljs and pdfkit load on first use: every `plantpulse` command imports this module.
    case 'xlsx':
      return (await import('./format-xlsx.js')).reportXlsx(r);
    case 'pdf':
      return (await import('./format-pdf.js')).reportPdf(r);
  }
}

export interface ExportInput {
  db: Database.Database;
  index: PlantIndex;
  month: string;
  format: ReportFormat;
  audit: AuditTrail;
  /** Who exports: token name, `cli:<user>`, … */
  actor: string;
  now?: number;
  onProgress?: (step: string) => void;
  /**
   * Build and render in a worker thread on a read-only connection to this data directory (the
   * live API: the event loop keeps acknowledging readings). Inline when the worker is not built
   * (running from TypeScript sources, as the unit tests do).
   */
  worker?: { dataDir: string };
}

export interface ExportResult {
  report: EnergyReport;
  body: Buffer;
  contentType: string;
  fileName: string;
}

const WORKER = fileURLToPath(new URL('./export-worker.js', import.meta.url));

async function inline(input: ExportInput): Promise<{ report: EnergyReport; body: Buffer }> {
  const report = buildEnergyReport(input);
  input.onProgress?.(`rendering ${input.format.toUpperCase()}`);
  return { report, body: await renderReport(report, input.format) };
}

/** Workers at a time: a 200-meter month takes a few hundred MB and seconds; more queue. */
const MAX_WORKERS = 2;
let running = 0;
const queue: (() => void)[] = [];

async function inWorker(
  input: ExportInput,
  dataDir: string,
): Promise<{ report: EnergyReport; body: Buffer }> {
  // A finishing export hands its slot straight to the next in line, so no newcomer slips in.
  if (running >= MAX_WORKERS) await new Promise<void>((go) => queue.push(go));
  else running++;
  try {
    return await runWorker(input, dataDir);
  } finally {
    const next = queue.shift();
    if (next) next();
    else running--;
  }
}

function runWorker(
  input: ExportInput,
  dataDir: string,
): Promise<{ report: EnergyReport; body: Buffer }> {
  const job: WorkerJob = {
    dataDir,
    model: input.index.model,
    month: input.month,
    format: input.format,
    now: input.now,
  };
  return new Promise((resolve, reject) => {
    const w = new Worker(WORKER, { workerData: job });
    let settled = false;
    w.on('message', (m: WorkerMessage) => {
      if (m.type === 'progress') input.onProgress?.(m.step);
      else if (m.type === 'done') {
        settled = true;
        resolve({ report: m.report as EnergyReport, body: Buffer.from(m.body) });
      } else {
        settled = true;
        reject(
          m.code
            ? new CodedError(m.code as ErrorCode, m.message, m.details)
            : new Error(`report worker failed: ${m.message}`),
        );
      }
    });
    w.on('error', (err) => {
      settled = true;
      reject(err);
    });
    w.on('exit', (code) => {
      if (!settled) reject(new Error(`report worker exited with code ${code} before finishing`));
    });
  });
}

/** Builds, renders, and appends `report.export` to the audit trail. */
export async function exportEnergyReport(input: ExportInput): Promise<ExportResult> {
  const { report, body } =
    input.worker && existsSync(WORKER)
      ? await inWorker(input, input.worker.dataDir)
      : await inline(input);
  input.onProgress?.('recording the export');
  input.audit.append({
    actor: input.actor,
    action: 'report.export',
    subject: `energy/${report.month}`,
    detail: {
      format: input.format,
      bytes: body.length,
      sha256: createHash('sha256').update(body).digest('hex'),
      totalKWh: report.totalKWh,
      cost: report.totals.cost,
      co2Kg: report.totals.co2Kg,
      batches: report.batches.length,
      provisional: report.provisional,
    },
  });
  return {
    report,
    body,
    contentType: CONTENT_TYPES[input.format],
    fileName: `energy-report-${report.month}.${input.format}`,
  };
}
