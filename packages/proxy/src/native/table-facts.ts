/**
 * What the main node said about a table (has it a sequence default, what are its columns),
 * kept per worker, database and table; a database's answers are dropped when this worker
 * runs DDL there, since a table may have changed.
 */
import type { InsertTarget } from '@pgrelay/sql';

export class TableFacts<V> {
  private readonly known = new Map<string, Map<string, V>>();

  get(database: string, table: InsertTarget): V | undefined {
    return this.known.get(database)?.get(table.sql);
  }

  set(database: string, table: InsertTarget, value: V): void {
    let m = this.known.get(database);
    if (m === undefined) this.known.set(database, (m = new Map()));
    m.set(table.sql, value);
  }

  forget(database: string): void {
    this.known.delete(database);
  }
}
