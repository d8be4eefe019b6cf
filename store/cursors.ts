import type Database from 'better-sqlite3';

/**
 * Saved positions of log consumers (DESIGN C3). A consumer saves its cursor in the same
 * transaction as the effects of the rows it consumed, which makes its processing exactly-once.
 */
export class Cursors {
  private readonly getStmt: Database.Statement<[string], { pos: number }>;
  private readonly setStmt: Database.Statement<[string, number, number]>;

  constructor(private readonly db: Database.Database) {
    this.getStmt = db.prepare('SELECT pos FROM cursors WHERE name = ?');
    this.setStmt = db.prepare(
      'INSERT INTO cursors(name, pos, updated) VALUES (?, ?, ?) ON CONFLICT(name) DO UPDATE SET pos = excluded.pos, updated = excluded.updated',
    );
  }

  get(name: string): number {
    return this.getStmt.get(name)?.pos ?? 0;
  }

  set(name: string, pos: number): void {
    this.setStmt.run(name, pos, Date.now());
  }

  /** The lowest saved position: retention may not delete rows at or after it. */
  minimum(): number | undefined {
    const row = this.db.prepare('SELECT MIN(pos) AS pos FROM cursors').get() as {
      pos: number | null;
    };
    return row.pos ?? undefined;
  }

  list(): { name: string; pos: number; updated: number }[] {
    return this.db.prepare('SELECT name, pos, updated FROM cursors ORDER BY name').all() as {
      name: string;
      pos: number;
      updated: number;
    }[];
  }
}
