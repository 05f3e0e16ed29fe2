/**
 * The columns of INSERT targets, for writing clock-reading DEFAULTs into the statement
 * (withClockDefaults in @pgrelay/sql). Asked once per worker, database and table on the main
 * node (tableColumns).
 */
import type { InsertTarget, TableColumn } from '@pgrelay/sql';
import { TableFacts } from './table-facts';

export const tableColumns = new TableFacts<TableColumn[]>();

// unit and record separators: no column name, type or expression holds them
const FIELD = '\x1f';
const ROW = '\x1e';

/**
 * One value: every column in attnum order as name, type, default expression, generated flag.
 * '' for a table the main node does not have (to_regclass: no error to abort a transaction).
 */
export function columnsQuery(table: InsertTarget): string {
  return (
    `SELECT coalesce(pg_catalog.string_agg(pg_catalog.quote_ident(a.attname) || E'\\x1f' || pg_catalog.format_type(a.atttypid, a.atttypmod) || E'\\x1f' || ` +
    `coalesce(pg_catalog.pg_get_expr(d.adbin, d.adrelid), '') || E'\\x1f' || (a.attgenerated <> '')::text, E'\\x1e' ORDER BY a.attnum), '') ` +
    `FROM pg_catalog.pg_attribute a LEFT JOIN pg_catalog.pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum ` +
    `WHERE a.attrelid = pg_catalog.to_regclass(${table.literal}) AND a.attnum > 0 AND NOT a.attisdropped`
  );
}

/** The answer to columnsQuery(), remembered unless the table was missing (it may appear). */
export function noteTableColumns(database: string, table: InsertTarget, value: string | null): TableColumn[] {
  if (!value) return [];
  const columns = value.split(ROW).map((row) => {
    const [name = '', type = '', def = '', generated = ''] = row.split(FIELD);
    return { name, type, default: def, generated: generated === 'true' };
  });
  tableColumns.set(database, table, columns);
  return columns;
}
