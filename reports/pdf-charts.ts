/**
 * Vector charts drawn with pdfkit's path operators (no raster images, so they print sharp and
 * their labels stay text that `pdftotext` reads): a stacked column chart (daily energy, batch
 * vs idle) and a horizontal bar chart (energy per line or product).
 */
import type PDFDocument from 'pdfkit';

type Doc = InstanceType<typeof PDFDocument>;

export interface Box {
  x: number;
  y: number;
  w: number;
  h: number;
}

export const COLORS = { batch: '#2f5d62', idle: '#e0a458', axis: '#555555', grid: '#dddddd' };

/** A round axis maximum ≥ v with 4–5 ticks: 1, 2, 2.5 or 5 × 10^k per tick. */
export function niceScale(v: number): { max: number; step: number } {
  if (!(v > 0)) return { max: 1, step: 0.25 };
  const raw = v / 4;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((f) => f * mag).find((s) => s >= raw)!;
  return { max: Math.ceil(v / step) * step, step };
}

export const shortNumber = (v: number) =>
  v >= 1e6
    ? `${+(v / 1e6).toFixed(1)}M`
    : v >= 1e4
      ? `${+(v / 1e3).toFixed(1)}k`
      : `${+v.toFixed(1)}`;

function title(doc: Doc, box: Box, text: string): void {
  doc.fillColor('#000000').font('Helvetica-Bold').fontSize(11).text(text, box.x, box.y, {
    width: box.w,
    lineBreak: false,
  });
}

/** Columns stacked from `series` (bottom first), one per label. */
export function stackedColumns(
  doc: Doc,
  box: Box,
  heading: string,
  labels: string[],
  series: { name: string; color: string; values: number[] }[],
  unit: string,
): void {
  title(doc, box, heading);
  const plot = { x: box.x + 44, y: box.y + 30, w: box.w - 54, h: box.h - 62 };
  const totals = labels.map((_, i) =>
    series.reduce((s, x) => s + Math.max(0, x.values[i] ?? 0), 0),
  );
  const { max, step } = niceScale(Math.max(0, ...totals));
  const yOf = (v: number) => plot.y + plot.h - (v / max) * plot.h;
  doc.font('Helvetica').fontSize(7);
  for (let v = 0; v <= max + step / 2; v += step) {
    const y = yOf(v);
    doc
      .moveTo(plot.x, y)
      .lineTo(plot.x + plot.w, y)
      .lineWidth(0.5)
      .strokeColor(COLORS.grid)
      .stroke();
    doc
      .fillColor(COLORS.axis)
      .text(shortNumber(v), box.x, y - 3, { width: 40, align: 'right', lineBreak: false });
  }
  doc.text(unit, box.x, plot.y - 12, { width: 40, align: 'right', lineBreak: false });
  const slot = plot.w / Math.max(1, labels.length);
  const bw = Math.max(1, slot * 0.7);
  labels.forEach((label, i) => {
    let base = 0;
    const x = plot.x + i * slot + (slot - bw) / 2;
    for (const s of series) {
      const v = Math.max(0, s.values[i] ?? 0);
      if (v > 0) doc.rect(x, yOf(base + v), bw, yOf(base) - yOf(base + v)).fill(s.color);
      base += v;
    }
    // Every label when they fit, else every few (a month has up to 31 days).
    const every = Math.ceil(labels.length / Math.max(1, Math.floor(plot.w / 18)));
    if (i % every === 0)
      doc.fillColor(COLORS.axis).text(label, plot.x + i * slot - 4, plot.y + plot.h + 3, {
        width: slot + 8,
        align: 'center',
        lineBreak: false,
      });
  });
  doc
    .moveTo(plot.x, plot.y + plot.h)
    .lineTo(plot.x + plot.w, plot.y + plot.h)
    .lineWidth(0.8)
    .strokeColor(COLORS.axis)
    .stroke();
  let lx = plot.x;
  for (const s of series) {
    doc.rect(lx, box.y + box.h - 12, 8, 8).fill(s.color);
    doc.fillColor('#000000').text(s.name, lx + 11, box.y + box.h - 11, { lineBreak: false });
    lx += 20 + doc.widthOfString(s.name);
  }
}

/** One horizontal bar per item, largest first as given, value printed at the bar's end. */
export function horizontalBars(
  doc: Doc,
  box: Box,
  heading: string,
  items: { label: string; value: number }[],
  unit: string,
): void {
  title(doc, box, heading);
  const labelW = Math.min(150, box.w * 0.35);
  const plot = { x: box.x + labelW + 6, y: box.y + 22, w: box.w - labelW - 60, h: box.h - 26 };
  const n = Math.max(1, items.length);
  const slot = Math.min(22, plot.h / n);
  const { max } = niceScale(Math.max(0, ...items.map((i) => i.value)));
  doc.font('Helvetica').fontSize(8);
  items.forEach((it, i) => {
    const y = plot.y + i * slot;
    const w = (Math.max(0, it.value) / max) * plot.w;
    doc.fillColor('#000000').text(it.label, box.x, y + slot / 2 - 4, {
      width: labelW,
      align: 'right',
      lineBreak: false,
      ellipsis: true,
    });
    if (w > 0) doc.rect(plot.x, y + slot * 0.15, w, slot * 0.7).fill(COLORS.batch);
    doc
      .fillColor(COLORS.axis)
      .text(`${shortNumber(it.value)} ${unit}`, plot.x + w + 4, y + slot / 2 - 4, {
        lineBreak: false,
      });
  });
  doc
    .moveTo(plot.x, plot.y)
    .lineTo(plot.x, plot.y + n * slot)
    .lineWidth(0.8)
    .strokeColor(COLORS.axis)
    .stroke();
}
