/**
 * Native replication's timestamp rewriting (pgpool-compat.md §11): a write that reads the
 * clock would store a different value on every node, so the clock calls are replaced by a
 * literal the main node produced (`SELECT now()::text` there). Rendered in the session's
 * TimeZone and DateStyle, which every node's session shares (the same startup packet and the
 * same SETs go to all of them), the literal casts to the same value everywhere — also for
 * `timestamp`/`date`/`time`, which take its local part and ignore the offset, exactly what
 * the original call would have given on the main node.
 *
 * Rewritten: now(), pg_catalog.now(), transaction_timestamp(), CURRENT_DATE,
 * CURRENT_TIME[(n)], CURRENT_TIMESTAMP[(n)], LOCALTIME[(n)], LOCALTIMESTAMP[(n)] and the
 * 'now' literal cast to date/time/timetz/timestamp/timestamptz. Not rewritten (as in pgpool):
 * clock_timestamp(), statement_timestamp(), timeofday(), random(), other volatile functions,
 * and column DEFAULTs that call the clock.
 */
import { isPgParserReady, pgQuery } from './pg-parser';

type Node = Record<string, any>;

/** Cheap pre-test: a statement without any of these words needs no parse. */
const MAYBE = /now|current_(?:date|time)|localtime|transaction_timestamp/i;

const NOW_FUNCS = new Set(['now', 'pg_catalog.now', 'transaction_timestamp', 'pg_catalog.transaction_timestamp']);
const NOW_TYPES = new Set(['date', 'time', 'timetz', 'timestamp', 'timestamptz']);

/** SQLValueFunction op → the type the literal is cast to (n = the typmod, when given). */
const SVF_TYPES: Record<string, string> = {
  SVFOP_CURRENT_DATE: 'date',
  SVFOP_CURRENT_TIME: 'timetz',
  SVFOP_CURRENT_TIME_N: 'timetz',
  SVFOP_CURRENT_TIMESTAMP: 'timestamptz',
  SVFOP_CURRENT_TIMESTAMP_N: 'timestamptz',
  SVFOP_LOCALTIME: 'time',
  SVFOP_LOCALTIME_N: 'time',
  SVFOP_LOCALTIMESTAMP: 'timestamp',
  SVFOP_LOCALTIMESTAMP_N: 'timestamp',
};

interface Edit {
  /** Character offsets into the statement text. */
  from: number;
  to: number;
  /** `$` stands for the quoted literal. */
  with: string;
}

const FUNC_CALL = /^(?:(?:pg_catalog|"pg_catalog")\s*\.\s*)?(?:now|"now"|transaction_timestamp|"transaction_timestamp")\s*\(\s*\)/i;
const SVF = /^(?:current_date|current_timestamp|current_time|localtimestamp|localtime)\b(?:\s*\(\s*\d+\s*\))?/i;
const NOW_LITERAL = /^'now'/i;

/**
 * Statements whose clock reads are evaluated now, once (pgpool: INSERT/UPDATE/DELETE/COPY/
 * CREATE TABLE AS/SELECT INTO/EXECUTE, and SELECTs sent to every node). Not definitions that
 * keep the expression for later — a column DEFAULT, a view, a materialized view, a function —
 * where a literal would freeze the time forever.
 */
const REWRITABLE = new Set(['InsertStmt', 'UpdateStmt', 'DeleteStmt', 'MergeStmt', 'SelectStmt', 'CopyStmt', 'ExecuteStmt']);

function rewritable(stmt: Node): boolean {
  const type = Object.keys(stmt)[0] ?? '';
  if (REWRITABLE.has(type)) return true;
  if (type === 'CreateTableAsStmt') return stmt[type].objtype !== 'OBJECT_MATVIEW';
  if (type === 'ExplainStmt') return rewritable(stmt[type].query ?? {});
  return false;
}

interface Found {
  edits: Edit[];
  /** Highest $n the statement uses. */
  maxParam: number;
  /** A typed literal (`timestamp 'now'`): only a literal can take its place. */
  typedLiteral: boolean;
}

/** Where the clock is read in `sql`; null when nowhere (or the parser cannot read it). */
function findEdits(sql: string): Edit[] | null {
  return find(sql)?.edits ?? null;
}

function find(sql: string): Found | null {
  if (!MAYBE.test(sql) || !isPgParserReady()) return null;
  let ast: Node;
  try {
    ast = pgQuery().parseSync(sql) as Node;
  } catch {
    return null;
  }
  // libpg-query reports UTF-8 byte offsets
  const ascii = !/[^\x00-\x7f]/.test(sql);
  const bytes = ascii ? null : Buffer.from(sql, 'utf8');
  const at = (b: number): number => (bytes === null ? b : bytes.subarray(0, b).toString('utf8').length);
  const edits: Edit[] = [];
  let maxParam = 0;
  let typedLiteral = false;
  const add = (loc: unknown, re: RegExp, replacement: string): void => {
    if (typeof loc !== 'number' || loc < 0) return;
    const from = at(loc);
    const m = re.exec(sql.slice(from));
    if (m) edits.push({ from, to: from + m[0].length, with: replacement });
  };
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) {
      for (const x of node) walk(x);
      return;
    }
    if (node === null || typeof node !== 'object') return;
    const obj = node as Node;
    for (const k in obj) {
      const v = obj[k];
      if (k === 'ParamRef') maxParam = Math.max(maxParam, Number(v.number ?? 0));
      else if (k === 'FuncCall') {
        const name = ((v.funcname ?? []) as Node[]).map((p) => p.String?.sval ?? '').join('.');
        if (NOW_FUNCS.has(name) && (v.args ?? []).length === 0) add(v.location, FUNC_CALL, '$::timestamptz');
      } else if (k === 'SQLValueFunction') {
        const type = SVF_TYPES[String(v.op)];
        if (type !== undefined) {
          const typmod = Number(v.typmod ?? -1);
          add(v.location, SVF, typmod >= 0 ? `$::${type}(${typmod})` : `$::${type}`);
        }
      } else if (k === 'TypeCast') {
        const names = ((v.typeName?.names ?? []) as Node[]).map((p) => p.String?.sval ?? '');
        const type = names[names.length - 1] ?? '';
        if (v.arg?.A_Const?.sval?.sval?.toLowerCase() === 'now' && NOW_TYPES.has(type)) {
          // only the literal changes: `timestamp 'now'` and `'now'::date` keep their own cast
          add(v.arg.A_Const.location, NOW_LITERAL, '$');
          if (typeof v.location !== 'number' || v.location < 0) typedLiteral = true;
        }
      }
      if (v !== null && typeof v === 'object') walk(v);
    }
  };
  for (const raw of (ast.stmts ?? []) as Node[]) {
    const stmt = raw.stmt as Node | undefined;
    if (stmt && rewritable(stmt)) walk(stmt);
  }
  return { edits, maxParam, typedLiteral };
}

/** True when `sql` reads the clock in a way rewriteTime() would replace. */
export function readsClock(sql: string): boolean {
  const e = findEdits(sql);
  return e !== null && e.length > 0;
}

/**
 * `sql` with every clock read replaced by `now` (the main node's `now()::text`); null when
 * there was nothing to replace.
 */
export function rewriteTime(sql: string, now: string): string | null {
  const edits = findEdits(sql);
  if (edits === null || edits.length === 0) return null;
  return applyEdits(sql, edits, `'${now.replace(/'/g, "''")}'`);
}

/**
 * A prepared statement runs many times, so the clock becomes one more parameter (pgpool adds
 * bind parameters too): every clock read is replaced by `$n::text` cast as the original would
 * be, n being one past the statement's parameters (`declared` types in the Parse, or the
 * highest $k it uses). Each Bind then passes the main node's `now()::text` as parameter n.
 * Null when there is nothing to replace, or when a typed literal (`timestamp 'now'`) leaves
 * no place for a parameter.
 */
export function rewriteTimeAsParam(sql: string, declared: number): { text: string; param: number } | null {
  const f = find(sql);
  if (f === null || f.edits.length === 0 || f.typedLiteral) return null;
  const param = Math.max(declared, f.maxParam) + 1;
  return { text: applyEdits(sql, f.edits, `$${param}::text`), param };
}

function applyEdits(sql: string, edits: Edit[], value: string): string {
  edits.sort((a, b) => a.from - b.from);
  const literal = value;
  let out = '';
  let pos = 0;
  for (const e of edits) {
    if (e.from < pos) continue; // nested (cannot happen for these nodes, but never corrupt the text)
    out += sql.slice(pos, e.from) + e.with.replace('$', () => literal);
    pos = e.to;
  }
  return out + sql.slice(pos);
}
