import type Database from 'better-sqlite3';

export interface SeriesRow {
  id: number;
  key: string;
  kind: string;
  unit: string;
}

/**
 * Maps series keys (sensor paths, batch event streams, derived series) to the small integer ids
 * the log stores. Ids are stable for the life of a data directory.
 */
export class SeriesRegistry {
  private readonly byKey = new Map<string, SeriesRow>();
  private readonly byId = new Map<number, SeriesRow>();
  private readonly insert: Database.Statement<[string, string, string]>;
  private readonly update: Database.Statement<[string, string, number]>;

  constructor(private readonly db: Database.Database) {
    for (const row of db.prepare('SELECT id, key, kind, unit FROM series').all() as SeriesRow[]) {
      this.remember(row);
    }
    this.insert = db.prepare('INSERT INTO series(key, kind, unit) VALUES (?, ?, ?)');
    this.update = db.prepare('UPDATE series SET kind = ?, unit = ? WHERE id = ?');
  }

  /** Returns the id of `key`, creating the series on first use. */
  ensure(key: string, kind: string, unit: string): number {
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
    const id = Number(this.insert.run(key, kind, unit).lastInsertRowid);
    this.remember({ id, key, kind, unit });
    return id;
  }

  get(key: string): SeriesRow | undefined {
    return this.byKey.get(key);
  }

  byIdOf(id: number): SeriesRow | undefined {
    return this.byId.get(id);
  }

  all(): SeriesRow[] {
    return [...this.byId.values()];
  }

  private remember(row: SeriesRow): void {
    this.byKey.set(row.key, row);
    this.byId.set(row.id, row);
  }
}
