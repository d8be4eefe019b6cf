/**
 * One entry for every consumer (CLI, API, benchmark): build the month's report, render it in
 * the asked format, and record the export in the audit trail (who exported which month, in
 * which format, with which totals), so a figure handed to management can be traced back.
 */
import { createHash } from 'node:crypto';
import type Database from 'better-sqlite3';
import type { AuditTrail } from '../audit/trail.js';
import type { PlantIndex } from '../config/plant-index.js';
import { CodedError } from '../runtime/errors.js';
import { buildEnergyReport } from './energy-report.js';
import type { EnergyReport } from './energy-types.js';
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
}

export interface ExportResult {
  report: EnergyReport;
  body: Buffer;
  contentType: string;
  fileName: string;
}

/** Builds, renders, and appends `report.export` to the audit trail. */
export async function exportEnergyReport(input: ExportInput): Promise<ExportResult> {
  const report = buildEnergyReport(input);
  input.onProgress?.(`rendering ${input.format.toUpperCase()}`);
  const body = await renderReport(report, input.format);
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
