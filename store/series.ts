import type Database from 'better-sqlite3';

export interface SeriesRow {
  id: number;
  key: string;
  kind: string;
  unit: string;
  /** Written by an analytics operator rather than sent by a device. */
  derived: boolean;
}

/**
 * Maps series keys (sensor paths, batch event streams, derived series) to the small integer ids
 * the log stores. Ids are stable for the life of a data directory.
 */
export class SeriesRegistry {
  private readonly byKey = new Map<string, SeriesRow>();
  private readonly byId = new Map<number, SeriesRow>();
  private readonly insert: Database.Statement<[string, string, string, number]>;
  private readonly update: Database.Statement<[string, string, number]>;

  constructor(private readonly db: Database.Database) {
    for (const row of db.prepare('SELECT id, key, kind, unit, derived FROM series').all() as (Omit<
      SeriesRow,
      'derived'
    > & { derived: number })[]) {
      this.remember({ ...row, derived: row.derived === 1 });
    }
    this.insert = db.prepare('INSERT INTO series(key, kind, unit, derived) VALUES (?, ?, ?, ?)');
    this.update = db.prepare('UPDATE series SET kind = ?, unit = ? WHERE id = ?');
  }

  /** Returns the id of `key`, creating the series on first use. */
  ensure(key: string, kind: string, unit: string, derived = false): number {
    const known = this.byKey.get(key);
    if (known) {
      if (known.kind !== kind || known.unit !== unit) {
        // A sensor re-declared with another kind keeps its history; the new kind applies from now on.
        this.update.run(kind, unit, known.id);
        known.kind = kind;
        known.unit = unit;
      }
      return known.id;
    }
    const id = Number(this.insert.run(key, kind, unit, derived ? 1 : 0).lastInsertRowid);
    this.remember({ id, key, kind, unit, derived });
    return id;
  }

  get(key: string): SeriesRow | undefined {
    return this.byKey.get(key);
  }

  byIdOf(id: number): SeriesRow | undefined {
    return this.byId.get(id);
  }

  /** Ids of the series analytics operators write. */
  derivedIds(): number[] {
    return [...this.byId.values()].filter((s) => s.derived).map((s) => s.id);
  }

  all(): SeriesRow[] {
    return [...this.byId.values()];
  }

  private remember(row: SeriesRow): void {
    this.byKey.set(row.key, row);
    this.byId.set(row.id, row);
  }
}
