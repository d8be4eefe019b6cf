import type Database from 'better-sqlite3';

export interface SeriesRow {
  id: number;
  key: string;
  kind: string;
  unit: string;
  /** Written by an analytics operator rather than sent by a device. */
  derived: boolean;
}

type DbRow = Omit<SeriesRow, 'derived'> & { derived: number };

/**
 * Maps series keys (sensor paths, batch event streams, derived series) to the small integer ids
 * the log stores. Ids are stable for the life of a data directory.
 */
export class SeriesRegistry {
  private readonly byKey = new Map<string, SeriesRow>();
  private readonly byId = new Map<number, SeriesRow>();
  private readonly insert: Database.Statement<[string, string, string, number]>;
  private readonly update: Database.Statement<[string, string, number]>;
  private readonly selectId: Database.Statement<[number], DbRow>;
  private readonly selectKey: Database.Statement<[string], DbRow>;

  constructor(private readonly db: Database.Database) {
    for (const row of db
      .prepare('SELECT id, key, kind, unit, derived FROM series')
      .all() as DbRow[]) {
      this.remember({ ...row, derived: row.derived === 1 });
    }
    // Ingest (main thread) and analytics (worker) each keep a registry on their own connection:
    // a key the other one created first is found, not inserted twice.
    this.insert = db.prepare(
      'INSERT INTO series(key, kind, unit, derived) VALUES (?, ?, ?, ?) ON CONFLICT(key) DO NOTHING',
    );
    const cols = 'SELECT id, key, kind, unit, derived FROM series';
    this.selectId = db.prepare(`${cols} WHERE id = ?`);
    this.selectKey = db.prepare(`${cols} WHERE key = ?`);
    this.update = db.prepare('UPDATE series SET kind = ?, unit = ? WHERE id = ?');
  }

  /** Returns the id of `key`, creating the series on first use. */
  ensure(key: string, kind: string, unit: string, derived = false): number {
    const known = this.get(key);
    if (known) {
      if (known.kind !== kind || known.unit !== unit) {
        // A sensor re-declared with another kind keeps its history; the new kind applies from now on.
        this.update.run(kind, unit, known.id);
        known.kind = kind;
        known.unit = unit;
      }
      return known.id;
    }
    const result = this.insert.run(key, kind, unit, derived ? 1 : 0);
    if (result.changes === 0) return this.ensure(key, kind, unit, derived); // created meanwhile by the other connection
    const id = Number(result.lastInsertRowid);
    this.remember({ id, key, kind, unit, derived });
    return id;
  }

  /** The series of `key`; looked up in the database when another connection created it. */
  get(key: string): SeriesRow | undefined {
    return this.byKey.get(key) ?? this.load(this.selectKey.get(key));
  }

  byIdOf(id: number): SeriesRow | undefined {
    return this.byId.get(id) ?? this.load(this.selectId.get(id));
  }

  /** Ids of the series analytics operators write. */
  derivedIds(): number[] {
    return [...this.byId.values()].filter((s) => s.derived).map((s) => s.id);
  }

  all(): SeriesRow[] {
    return [...this.byId.values()];
  }

  private load(row: DbRow | undefined): SeriesRow | undefined {
    if (!row) return undefined;
    const series = { ...row, derived: row.derived === 1 };
    this.remember(series);
    return series;
  }

  private remember(row: SeriesRow): void {
    this.byKey.set(row.key, row);
    this.byId.set(row.id, row);
  }
}
