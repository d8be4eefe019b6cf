/**
 * Builds and renders a report in a worker thread, on its own read-only connection to the log
 * (WAL: readers never block the writer), so a big month's PDF does not stall the event loop
 * that acknowledges readings. The caller records the audit entry; errors come back coded.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { buildPlantIndex } from '../config/plant-index.js';
import type { PlantModel } from '../config/schema.js';
import { CodedError } from '../runtime/errors.js';
import { openDatabase } from '../store/db.js';
import { buildEnergyReport } from './energy-report.js';
import type { ReportFormat } from './render.js';
import { renderReport } from './render.js';

export interface WorkerJob {
  dataDir: string;
  model: PlantModel;
  month: string;
  format: ReportFormat;
  now?: number;
}

export type WorkerMessage =
  | { type: 'progress'; step: string }
  | { type: 'done'; report: unknown; body: Uint8Array }
  | { type: 'error'; code?: string; message: string; details?: Record<string, unknown> };

const job = workerData as WorkerJob;
const post = (m: WorkerMessage, transfer: ArrayBuffer[] = []) =>
  parentPort!.postMessage(m, transfer);

try {
  const db = openDatabase(job.dataDir, { durability: 'normal', readonly: true });
  try {
    const report = buildEnergyReport({
      db,
      index: buildPlantIndex(job.model),
      month: job.month,
      now: job.now,
      onProgress: (step) => post({ type: 'progress', step }),
    });
    post({ type: 'progress', step: `rendering ${job.format.toUpperCase()}` });
    const rendered = await renderReport(report, job.format);
    // A copy that owns its memory, so it can be transferred instead of cloned.
    const body = new Uint8Array(rendered);
    post({ type: 'done', report, body }, [body.buffer as ArrayBuffer]);
  } finally {
    db.close();
  }
} catch (err) {
  const e = err as Error;
  post(
    err instanceof CodedError
      ? { type: 'error', code: err.code, message: err.message, details: err.details }
      : { type: 'error', message: e.stack ?? String(e) },
  );
}
