/** Reporting months in the site's time zone, and the errors a bad month gets. */
import { describe, expect, it } from 'vitest';
import { addMonths, daysOf, monthBounds, parseMonth } from '../../reports/month.js';
import { CodedError } from '../../runtime/errors.js';

describe('reporting months', () => {
  it('parses YYYY-MM and rejects anything else with PP_ERR_BAD_REQUEST naming the parameter', () => {
    expect(parseMonth('2026-03')).toEqual({ id: '2026-03', y: 2026, m: 3 });
    for (const bad of ['2026-13', '2026-3', 'March', '', undefined, '2026-03-01']) {
      let err: unknown;
      try {
        parseMonth(bad, 'month');
      } catch (e) {
        err = e;
      }
      expect(err, String(bad)).toBeInstanceOf(CodedError);
      expect((err as CodedError).code).toBe('PP_ERR_BAD_REQUEST');
      expect((err as CodedError).message).toMatch(/^month must be a month written YYYY-MM/);
    }
  });

  it('steps across years and lists the local days (leap February included)', () => {
    expect(addMonths(parseMonth('2026-01'), -1).id).toBe('2025-12');
    expect(addMonths(parseMonth('2026-12'), 1).id).toBe('2027-01');
    expect(daysOf(parseMonth('2028-02'))).toHaveLength(29);
    expect(daysOf(parseMonth('2026-03')).at(-1)).toBe('2026-03-31');
  });

  it('bounds a month at local midnight, across the DST change inside it', () => {
    // Zurich: CET (+1) on 1 March, CEST (+2) from 29 March, so March has 743 hours.
    const b = monthBounds(parseMonth('2026-03'), 'Europe/Zurich');
    expect(new Date(b.start).toISOString()).toBe('2026-02-28T23:00:00.000Z');
    expect(new Date(b.end).toISOString()).toBe('2026-03-31T22:00:00.000Z');
    expect((b.end - b.start) / 3_600_000).toBe(743);
    const ny = monthBounds(parseMonth('2026-11'), 'America/New_York');
    expect(new Date(ny.start).toISOString()).toBe('2026-11-01T04:00:00.000Z');
    expect(new Date(ny.end).toISOString()).toBe('2026-12-01T05:00:00.000Z');
  });
});
