/**
 * insert_lock (pgpool-compat.md §11): an INSERT into a table whose columns take values from a
 * sequence (SERIAL, nextval() defaults, identity columns) runs under a table lock taken on
 * every node, main node first, so concurrent inserts reach the sequences of all nodes in the
 * same order and get the same ids. pgrelay takes `LOCK TABLE … IN SHARE ROW EXCLUSIVE MODE`
 * (pgpool 4.3's fallback when pgpool_catalog.insert_lock does not exist): it conflicts with
 * itself and with every writer, but not with readers.
 *
 * Whether a table has such a column is asked once per worker, database and table on the main
 * node (sequenceTables).
 */
import type { InsertTarget } from '@pgrelay/sql';
import { TableFacts } from './table-facts';

export const sequenceTables = new TableFacts<boolean>();

/**
 * One row, 't' or 'f'. to_regclass: a table missing on the main node answers 'f' instead of
 * an error that would abort the client's transaction.
 */
export function sequenceQuery(table: InsertTarget): string {
  return (
    `SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_attrdef d WHERE d.adrelid = pg_catalog.to_regclass(${table.literal}) ` +
    `AND pg_catalog.pg_get_expr(d.adbin, d.adrelid) LIKE '%nextval(%') OR EXISTS (SELECT 1 FROM pg_catalog.pg_attribute a ` +
    `WHERE a.attrelid = pg_catalog.to_regclass(${table.literal}) AND a.attidentity <> '' AND NOT a.attisdropped)`
  );
}

export const lockStatement = (table: InsertTarget): string => `LOCK TABLE ${table.sql} IN SHARE ROW EXCLUSIVE MODE`;
