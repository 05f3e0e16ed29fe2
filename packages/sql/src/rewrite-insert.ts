/**
 * What native replication's insert_lock needs to know about an INSERT: the table it targets
 * (so the same LOCK can be taken on every node, main node first, and sequences hand out the
 * same values everywhere) and pgpool's comment overrides.
 */
import { isPgParserReady, pgQuery } from './pg-parser';

export interface InsertTarget {
  /** Quoted, schema-qualified when the statement qualified it: ready to put in SQL. */
  sql: string;
  /** As a string literal for to_regclass(). */
  literal: string;
}

type Node = Record<string, any>;

const quoteIdent = (s: string): string => `"${s.replace(/"/g, '""')}"`;

/** `/*INSERT LOCK*\/` forces the lock, `/*NO INSERT LOCK*\/` suppresses it (pgpool: at the query's start). */
export function insertLockComment(sql: string): 'force' | 'never' | null {
  if (sql.charCodeAt(0) !== 0x2f) return null;
  const head = sql.slice(0, 20).toUpperCase();
  if (head.startsWith('/*NO INSERT LOCK*/')) return 'never';
  if (head.startsWith('/*INSERT LOCK*/')) return 'force';
  return null;
}

/** The table of a single INSERT statement; null for anything else. */
export function insertTarget(sql: string): InsertTarget | null {
  if (!isPgParserReady()) return null;
  let ast: Node;
  try {
    ast = pgQuery().parseSync(sql) as Node;
  } catch {
    return null;
  }
  const stmts = (ast.stmts ?? []) as Node[];
  if (stmts.length !== 1) return null;
  const rel = stmts[0]!.stmt?.InsertStmt?.relation as Node | undefined;
  if (!rel?.relname) return null;
  // a CTE or a temp table is this session's business; the lock is about shared sequences
  if (rel.relpersistence === 't' || rel.schemaname === 'pg_temp') return null;
  const name = (rel.schemaname ? `${quoteIdent(String(rel.schemaname))}.` : '') + quoteIdent(String(rel.relname));
  return { sql: name, literal: `'${name.replace(/'/g, "''")}'` };
}
