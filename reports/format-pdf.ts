/**
 * PDF through pdfkit, A4 landscape: page 1 the summary (key figures against the previous
 * month, lines, products with their baseline), page 2 the charts (daily energy stacked batch
 * vs idle, energy per line, per product), then the batch table, BATCH_ROWS_PER_PAGE rows a page.
 * Text stays text (standard Helvetica), so the PDF is searchable and `pdftotext` reads it.
 */
import PDFDocument from 'pdfkit';
import type { EnergyReport } from './energy-types.js';
import { COLORS, horizontalBars, stackedColumns } from './pdf-charts.js';
import { reportSheets, type Cell, type ColumnKind, type Sheet } from './sheets.js';

type Doc = InstanceType<typeof PDFDocument>;

export const BATCH_ROWS_PER_PAGE = 30;
const SIDE_ROWS = 10;
const M = 36;
const ROW = 14;
const HEAD = 24;

const nf = (digits: number) =>
  new Intl.NumberFormat('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
const F = { 0: nf(0), 1: nf(1), 2: nf(2), 3: nf(3) };

/** How a value reads in the PDF (tests look for these strings in `pdftotext` output). */
export function formatCell(v: Cell, kind: ColumnKind): string {
  if (v === null) return '–';
  if (typeof v === 'string') return v;
  switch (kind) {
    case 'share':
      return `${F[1].format(v * 100)} %`;
    case 'money':
      return F[2].format(v);
    case 'int':
      return F[0].format(v);
    case 'number':
      return F[3].format(v);
    case 'text':
      return String(v);
    default:
      return F[1].format(v);
  }
}

/** Pages the PDF of `r` has: summary, charts, and the batch table. */
export function pdfPageCount(r: EnergyReport): number {
  return 2 + Math.max(1, Math.ceil(r.batches.length / BATCH_ROWS_PER_PAGE));
}

function table(
  doc: Doc,
  x: number,
  y: number,
  w: number,
  sheet: Pick<Sheet, 'columns' | 'rows' | 'rowKinds'>,
  from = 0,
  count = sheet.rows.length,
): number {
  const weights = sheet.columns.map((c) => (c.kind === 'text' ? (c.width ?? 12) : 10));
  const sum = weights.reduce((a, b) => a + b, 0);
  const widths = weights.map((k) => (k / sum) * w);
  doc.rect(x, y, w, HEAD).fill(COLORS.batch);
  doc.font('Helvetica-Bold').fontSize(7).fillColor('#ffffff');
  let cx = x;
  sheet.columns.forEach((c, j) => {
    // Two lines at most; `height` makes pdfkit cut with an ellipsis instead of overflowing.
    doc.text(c.header, cx + 2, y + 3, {
      width: widths[j]! - 4,
      height: HEAD - 4,
      align: c.kind === 'text' ? 'left' : 'right',
      ellipsis: true,
    });
    cx += widths[j]!;
  });
  y += HEAD;
  doc.font('Helvetica').fillColor('#000000');
  for (let i = from; i < Math.min(sheet.rows.length, from + count); i++) {
    if ((i - from) % 2 === 1) doc.rect(x, y, w, ROW).fill('#f2f5f5').fillColor('#000000');
    cx = x;
    sheet.rows[i]!.forEach((v, j) => {
      const col = sheet.columns[j]!;
      const kind = col.kind === 'number' && sheet.rowKinds ? sheet.rowKinds[i]! : col.kind;
      doc.text(formatCell(v, kind), cx + 2, y + 3.5, {
        width: widths[j]! - 4,
        height: ROW - 4,
        align: col.kind === 'text' ? 'left' : 'right',
        ellipsis: true,
      });
      cx += widths[j]!;
    });
    y += ROW;
  }
  return y;
}

function heading(doc: Doc, text: string, x: number, y: number): void {
  doc
    .font('Helvetica-Bold')
    .fontSize(11)
    .fillColor('#000000')
    .text(text, x, y, { lineBreak: false });
}

function more(doc: Doc, n: number, x: number, y: number): void {
  if (n > 0)
    doc
      .font('Helvetica-Oblique')
      .fontSize(7.5)
      .fillColor(COLORS.axis)
      .text(`… ${n} more in the XLSX/CSV export`, x, y + 2, { lineBreak: false });
}

const yieldToLoop = () => new Promise<void>((ok) => setImmediate(ok));

export async function reportPdf(r: EnergyReport): Promise<Buffer> {
  const doc = new PDFDocument({
    size: 'A4',
    layout: 'landscape',
    margin: M,
    bufferPages: true,
    info: {
      Title: `Energy report ${r.month}`,
      Author: 'PlantPulse',
      Subject: `${r.plant}: energy ${r.month}`,
      CreationDate: new Date(r.generatedAt),
    },
  });
  const chunks: Buffer[] = [];
  doc.on('data', (c: Buffer) => chunks.push(c));
  const done = new Promise<void>((ok, fail) => {
    doc.on('end', ok);
    doc.on('error', fail);
  });
  const sheets = new Map(reportSheets(r).map((s) => [s.name, s]));
  const W = doc.page.width - 2 * M;

  // Page 1: summary.
  doc
    .font('Helvetica-Bold')
    .fontSize(18)
    .text(`Energy report ${r.month}`, M, M, { lineBreak: false });
  doc
    .font('Helvetica')
    .fontSize(9)
    .fillColor(COLORS.axis)
    .text(
      `${r.plant} · ${r.sites.map((s) => `${s.id} (${s.timezone})`).join(', ')} · ` +
        `${r.provisional ? `provisional: ${r.daysWithData} of ${r.daysInMonth} days with data` : 'final'} · generated ${r.generatedAt}`,
      M,
      M + 24,
      { width: W, lineBreak: false },
    );
  doc
    .font('Helvetica-Bold')
    .fontSize(13)
    .fillColor('#000000')
    .text(
      `Total energy ${formatCell(r.totalKWh, 'kwh')} kWh · cost ${formatCell(r.totals.cost, 'money')} ${r.currency} · CO2 ${formatCell(r.totals.co2Kg, 'co2')} kg · idle ${formatCell(r.totals.idleShare, 'share')}`,
      M,
      M + 42,
      { width: W, lineBreak: false },
    );
  const half = (W - 20) / 2;
  heading(doc, `Key figures against ${r.previous.month}`, M, M + 66);
  table(doc, M, M + 82, half, sheets.get('Summary')!);
  const enpi = sheets.get('EnPI')!;
  heading(doc, 'EnPI per product', M + half + 20, M + 66);
  doc
    .font('Helvetica')
    .fontSize(7.5)
    .fillColor(COLORS.axis)
    .text(enpi.title, M + half + 20, M + 80, { width: half, lineBreak: false });
  const ey = table(
    doc,
    M + half + 20,
    M + 92,
    half,
    {
      ...enpi,
      columns: enpi.columns.filter((_, j) => j !== 1),
      rows: enpi.rows.map((row) => row.filter((_, j) => j !== 1)),
    },
    0,
    SIDE_ROWS,
  );
  more(doc, enpi.rows.length - SIDE_ROWS, M + half + 20, ey);
  const y2 = M + 82 + HEAD + ROW * 11 + 16;
  for (const [k, name, x] of [
    ['Lines', 'Energy per line', M],
    ['Products', 'Energy per product', M + half + 20],
  ] as const) {
    const s = sheets.get(k)!;
    heading(doc, name, x, y2);
    const end = table(doc, x, y2 + 16, half, s, 0, SIDE_ROWS);
    more(doc, s.rows.length - SIDE_ROWS, x, end);
  }

  // Page 2: charts.
  doc.addPage();
  stackedColumns(
    doc,
    { x: M, y: M, w: W, h: 250 },
    'Daily energy (site local days)',
    r.daily.map((d) => d.day.slice(8)),
    [
      { name: 'in batches', color: COLORS.batch, values: r.daily.map((d) => d.batchKWh) },
      { name: 'idle', color: COLORS.idle, values: r.daily.map((d) => d.idleKWh) },
    ],
    'kWh',
  );
  horizontalBars(
    doc,
    { x: M, y: M + 270, w: half, h: 215 },
    'Energy per line',
    r.lines.slice(0, SIDE_ROWS).map((l) => ({ label: l.line, value: l.kwh })),
    'kWh',
  );
  horizontalBars(
    doc,
    { x: M + half + 20, y: M + 270, w: half, h: 215 },
    'Energy per product',
    r.products.slice(0, SIDE_ROWS).map((p) => ({ label: p.product, value: p.kwh })),
    'kWh',
  );

  if (r.notes.length)
    doc
      .font('Helvetica')
      .fontSize(8)
      .fillColor('#000000')
      .text(r.notes.map((n) => `• ${n}`).join('\n'), M, M + 515, {
        width: W,
        height: 40,
        ellipsis: true,
      });

  // Pages 3…: batches.
  const batches = sheets.get('Batches')!;
  const pages = Math.max(1, Math.ceil(batches.rows.length / BATCH_ROWS_PER_PAGE));
  for (let p = 0; p < pages; p++) {
    // In the API the report renders on the event loop ingest also runs on: one page at a time.
    await yieldToLoop();
    doc.addPage();
    heading(
      doc,
      `Batches started in ${r.month} (${batches.rows.length}; local time)${pages > 1 ? ` · ${p + 1}/${pages}` : ''}`,
      M,
      M,
    );
    if (batches.rows.length === 0)
      doc
        .font('Helvetica')
        .fontSize(9)
        .text('No batch started in this month.', M, M + 20, { lineBreak: false });
    else table(doc, M, M + 18, W, batches, p * BATCH_ROWS_PER_PAGE, BATCH_ROWS_PER_PAGE);
  }

  const range = doc.bufferedPageRange();
  for (let i = 0; i < range.count; i++) {
    doc.switchToPage(range.start + i);
    // Writing into the bottom margin would make pdfkit open a new page.
    const bottom = doc.page.margins.bottom;
    doc.page.margins.bottom = 0;
    doc
      .font('Helvetica')
      .fontSize(7)
      .fillColor(COLORS.axis)
      .text(
        `PlantPulse · Energy report ${r.month} · page ${i + 1} of ${range.count}`,
        M,
        doc.page.height - 22,
        { width: W, align: 'right', lineBreak: false },
      );
    doc.page.margins.bottom = bottom;
  }
  doc.end();
  await done;
  return Buffer.concat(chunks);
}
