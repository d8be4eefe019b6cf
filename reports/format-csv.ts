/**
 * CSV (RFC 4180): one block per sheet, blank line between blocks. Every row starts with its
 * sheet's name, so `grep ^Batches,` or a spreadsheet filter picks one table out. Numbers are
 * plain (dot decimal, up to 6 decimals, no grouping) so any tool reads them back.
 */
import type { EnergyReport } from './energy-types.js';
import { reportSheets, type Cell } from './sheets.js';

function field(v: Cell): string {
  if (v === null) return '';
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : String(Number(v.toFixed(6)));
  return /[",\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
}

const line = (cells: Cell[]) => cells.map(field).join(',');

export function reportCsv(r: EnergyReport): string {
  const out: string[] = [
    line(['Report', 'Energy report', r.month, r.plant, r.generatedAt]),
    line(['Report', 'Sites', r.sites.map((s) => `${s.id} (${s.timezone})`).join('; ')]),
    line([
      'Report',
      'Status',
      r.provisional ? 'provisional' : 'final',
      `${r.daysWithData}/${r.daysInMonth} days`,
    ]),
    ...r.notes.map((n) => line(['Report', 'Note', n])),
    '',
  ];
  for (const s of reportSheets(r)) {
    out.push(line([s.name, ...s.columns.map((c) => c.header)]));
    for (const row of s.rows) out.push(line([s.name, ...row]));
    out.push('');
  }
  return out.join('\r\n');
}
