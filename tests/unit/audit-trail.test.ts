import { afterEach, describe, expect, it } from 'vitest';
import { AuditTrail, GENESIS_HASH } from '../../audit/trail.js';
import { openDatabase } from '../../store/db.js';
import { tempDir } from '../helpers/tmp.js';

const opened: (() => void)[] = [];
afterEach(() => opened.splice(0).forEach((close) => close()));

function trailWith(n: number) {
  const { dir, cleanup } = tempDir();
  const db = openDatabase(dir, { durability: 'normal' });
  opened.push(() => {
    db.close();
    cleanup();
  });
  const trail = new AuditTrail(db);
  for (let i = 1; i <= n; i++) {
    trail.append({
      actor: 'cli:ops',
      action: 'device.add',
      subject: `gw-${i}`,
      detail: { b: i, a: 'x' },
      at: 1_700_000_000_000 + i,
    });
  }
  return { db, trail };
}

describe('audit trail', () => {
  it('chains each entry to the one before and verifies an untouched trail', () => {
    const { trail } = trailWith(5);
    const entries = trail.list({ limit: 10 }).reverse();
    expect(entries.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5]);
    expect(entries[0]!.prevHash).toBe(GENESIS_HASH);
    for (let i = 1; i < entries.length; i++)
      expect(entries[i]!.prevHash).toBe(entries[i - 1]!.hash);
    expect(entries[2]!.detail).toEqual({ a: 'x', b: 3 });
    expect(trail.verify()).toEqual({ ok: true, entries: 5, headHash: entries[4]!.hash });
  });

  it('detects an edited field', () => {
    const { db, trail } = trailWith(5);
    db.prepare("UPDATE audit_log SET actor = 'someone-else' WHERE seq = 3").run();
    expect(trail.verify()).toMatchObject({
      ok: false,
      brokenAt: 3,
      reason: expect.stringContaining('altered'),
    });
  });

  it('detects a deleted middle entry', () => {
    const { db, trail } = trailWith(5);
    db.prepare('DELETE FROM audit_log WHERE seq = 2').run();
    expect(trail.verify()).toMatchObject({
      ok: false,
      brokenAt: 2,
      reason: expect.stringContaining('missing'),
    });
  });

  it('detects entries cut off the end', () => {
    const { db, trail } = trailWith(5);
    db.prepare('DELETE FROM audit_log WHERE seq >= 4').run();
    expect(trail.verify()).toMatchObject({
      ok: false,
      brokenAt: 4,
      reason: expect.stringContaining('removed from the end'),
    });
  });

  it('an entry appended inside a rolled-back transaction leaves no trace', () => {
    const { db, trail } = trailWith(1);
    expect(() =>
      db.transaction(() => {
        trail.append({ actor: 'system', action: 'token.add', subject: 'ci' });
        throw new Error('the change failed');
      })(),
    ).toThrow('the change failed');
    expect(trail.verify()).toMatchObject({ ok: true, entries: 1 });
  });

  it('filters by action prefix', () => {
    const { trail } = trailWith(2);
    trail.append({
      actor: 'token:ops',
      action: 'alert.ack',
      subject: '17',
      detail: { note: 'on it' },
    });
    expect(trail.list({ actionPrefix: 'alert.' }).map((e) => e.subject)).toEqual(['17']);
  });
});
