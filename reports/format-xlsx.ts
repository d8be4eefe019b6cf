/**
 * XLSX through exceljs: one worksheet per sheet, bold filled header row frozen at the top,
 * auto-filter, number formats per column kind (Summary per row), full-precision values.
 */
import ExcelJS from 'exceljs';
import type { EnergyReport } from './energy-types.js';
import { reportSheets, type ColumnKind } from './sheets.js';

export const NUMBER_FORMATS: Record<ColumnKind, string | undefined> = {
  text: undefined,
  kwh: '#,##0.0',
  kw: '#,##0.0',
  share: '0.0%',
  money: '#,##0.00',
  co2: '#,##0.0',
  int: '0',
  number: '#,##0.000',
};

export async function reportXlsx(r: EnergyReport): Promise<Buffer> {
  const wb = new ExcelJS.Workbook();
  wb.creator = 'PlantPulse';
  wb.title = `Energy report ${r.month}`;
  wb.subject = `${r.plant}: energy ${r.month}`;
  wb.created = new Date(r.generatedAt);
  for (const s of reportSheets(r)) {
    // In the API this runs on the event loop ingest also runs on: one sheet at a time.
    await new Promise<void>((ok) => setImmediate(ok));
    const ws = wb.addWorksheet(s.name, {
      views: [{ state: 'frozen', ySplit: 1 }],
      headerFooter: { oddHeader: `&L${s.title}&R${r.plant} · ${r.month}` },
    });
    ws.columns = s.columns.map((c) => ({
      header: c.header,
      width: c.width ?? Math.max(12, c.header.length + 2),
      style: NUMBER_FORMATS[c.kind] ? { numFmt: NUMBER_FORMATS[c.kind] } : {},
    }));
    s.rows.forEach((row, i) => {
      const added = ws.addRow(row);
      const kind = s.rowKinds?.[i];
      if (kind === undefined) return;
      // Summary: the value columns take the row's kind (kWh, currency, share …).
      row.forEach((v, j) => {
        if (typeof v === 'number' && s.columns[j]!.kind === 'number')
          added.getCell(j + 1).numFmt = NUMBER_FORMATS[kind] ?? '';
      });
    });
    const header = ws.getRow(1);
    header.font = { bold: true, color: { argb: 'FFFFFFFF' } };
    header.fill = { type: 'pattern', pattern: 'solid', fgColor: { argb: 'FF2F5D62' } };
    header.alignment = { vertical: 'middle', wrapText: true };
    if (s.rows.length > 0)
      ws.autoFilter = { from: { row: 1, column: 1 }, to: { row: 1, column: s.columns.length } };
  }
  const about = wb.addWorksheet('About');
  about.columns = [
    { header: 'Field', width: 22 },
    { header: 'Value', width: 60 },
  ];
  about.getRow(1).font = { bold: true };
  about.addRows([
    ['Report', `Energy report ${r.month}`],
    ['Plant', r.plant],
    ['Sites', r.sites.map((x) => `${x.id} (${x.timezone})`).join('; ')],
    ['Generated', r.generatedAt],
    ['Status', r.provisional ? 'provisional (month not closed)' : 'final'],
    ['Days with data', `${r.daysWithData} of ${r.daysInMonth}`],
    ['Days and months', 'site local time'],
    ['Batches', 'batches that started in the month; their whole energy'],
    ...r.notes.map((n) => ['Note', n]),
  ]);
  return Buffer.from(await wb.xlsx.writeBuffer());
}
