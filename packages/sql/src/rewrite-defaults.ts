/**
 * Native replication: column DEFAULTs that read the clock. `INSERT INTO t (id) VALUES (1)`
 * into a table whose `created` column defaults to now() would store each node's own time.
 * pgpool writes such defaults into the INSERT; so does this: the column is added with its
 * default expression, cast to the column's type (`(now())::timestamp with time zone`), and
 * the statement then goes through rewriteTime() like any other clock read.
 *
 * Handled: a column list that leaves the column out, `DEFAULT` in a VALUES row, a VALUES row
 * shorter than the table (no column list), `DEFAULT VALUES`. Not handled (left as written,
 * as README says): INSERT … SELECT that leaves such a column out, UPDATE … SET col = DEFAULT.
 */
import { isPgParserReady, pgQuery } from './pg-parser';
import { readsClock } from './rewrite-time';

type Node = Record<string, any>;

/** One column of the target table, in attnum order. */
export interface TableColumn {
  /** Quoted as an identifier, ready for SQL text. */
  name: string;
  /** format_type() of the column. */
  type: string;
  /** Its DEFAULT expression (pg_get_expr), '' when it has none. */
  default: string;
  generated: boolean;
}

interface Edit {
  at: number;
  to: number;
  text: string;
}

/** `sql` with clock-reading defaults written out; null when there is nothing to add. */
export function withClockDefaults(sql: string, columns: readonly TableColumn[]): string | null {
  const clock = columns.map((c) => !c.generated && c.default !== '' && readsClock(`SELECT ${c.default}`));
  if (!clock.includes(true) || !isPgParserReady()) return null;
  let stmts: Node[];
  try {
    stmts = ((pgQuery().parseSync(sql) as Node).stmts ?? []) as Node[];
  } catch {
    return null;
  }
  const ins = stmts.length === 1 ? (stmts[0]!.stmt?.InsertStmt as Node | undefined) : undefined;
  // a WITH clause may hold a VALUES of its own: left alone
  if (ins === undefined || ins.withClause) return null;
  const bytes = Buffer.from(sql, 'utf8');
  const ascii = bytes.length === sql.length;
  const charAt = (b: number): number => (ascii ? b : bytes.subarray(0, b).toString('utf8').length);
  let tokens: { start: number; end: number; text: string }[];
  try {
    tokens = pgQuery().scanSync(sql).tokens.map((t: Node) => ({ start: charAt(t.start), end: charAt(t.end), text: String(t.text) }));
  } catch {
    return null;
  }
  const value = (i: number): string => `(${columns[i]!.default})::${columns[i]!.type}`;
  const edits: Edit[] = [];
  const listed: string[] = ((ins.cols ?? []) as Node[]).map((c) => String(c.ResTarget?.name ?? ''));
  const rows = (ins.selectStmt?.SelectStmt?.valuesLists ?? null) as Node[] | null;

  if (ins.selectStmt === undefined) {
    // DEFAULT VALUES: becomes an explicit row of the clock columns
    const d = tokens.findIndex((t, i) => /^default$/i.test(t.text) && /^values$/i.test(tokens[i + 1]?.text ?? ''));
    if (d < 0 || listed.length > 0) return null;
    const idx = clock.flatMap((c, i) => (c ? [i] : []));
    edits.push({ at: tokens[d]!.start, to: tokens[d + 1]!.end, text: `(${idx.map((i) => columns[i]!.name).join(', ')}) VALUES (${idx.map(value).join(', ')})` });
    return apply(sql, edits);
  }
  if (rows === null) return null; // INSERT … SELECT

  const closes = rowEnds(tokens);
  if (closes === null || closes.length !== rows.length) return null;
  const rowTokens = rows.map((r, k) => ({ items: (r.List?.items ?? []) as Node[], close: closes[k]! }));

  if (listed.length > 0) {
    const position = new Map(columns.map((c, i) => [unquote(c.name), i]));
    const missing = clock.flatMap((c, i) => (c && !listed.includes(unquote(columns[i]!.name)) ? [i] : []));
    if (missing.length > 0) {
      const lastCol = ((ins.cols ?? []) as Node[]).at(-1)!.ResTarget.location as number;
      const close = tokens.findIndex((t) => t.start > charAt(lastCol) && t.text === ')');
      if (close < 0) return null;
      edits.push({ at: tokens[close]!.start, to: tokens[close]!.start, text: missing.map((i) => `, ${columns[i]!.name}`).join('') });
    }
    for (const r of rowTokens) {
      r!.items.forEach((item, k) => {
        const i = position.get(listed[k]!);
        if (i !== undefined && clock[i] && item.SetToDefault) edits.push(defaultEdit(item, charAt, value(i)));
      });
      if (missing.length > 0) edits.push({ at: tokens[r!.close]!.start, to: tokens[r!.close]!.start, text: missing.map((i) => `, ${value(i)}`).join('') });
    }
    return apply(sql, edits);
  }

  const lastClock = clock.lastIndexOf(true);
  for (const r of rowTokens) {
    r!.items.forEach((item, i) => {
      if (clock[i] && item.SetToDefault) edits.push(defaultEdit(item, charAt, value(i)));
    });
    let tail = '';
    for (let i = r!.items.length; i <= lastClock; i++) tail += `, ${clock[i] ? value(i) : 'DEFAULT'}`;
    if (tail !== '') edits.push({ at: tokens[r!.close]!.start, to: tokens[r!.close]!.start, text: tail });
  }
  return apply(sql, edits);
}

function defaultEdit(item: Node, charAt: (b: number) => number, text: string): Edit {
  const at = charAt(item.SetToDefault.location as number);
  return { at, to: at + 'DEFAULT'.length, text };
}

/** Token index of the ')' ending each VALUES row: `VALUES (…), (…)` at parenthesis depth 0. */
function rowEnds(tokens: { text: string }[]): number[] | null {
  let depth = 0;
  let v = -1;
  for (let i = 0; i < tokens.length && v < 0; i++) {
    const t = tokens[i]!.text;
    if (t === '(') depth++;
    else if (t === ')') depth--;
    else if (depth === 0 && /^values$/i.test(t)) v = i;
  }
  if (v < 0) return null;
  const ends: number[] = [];
  for (let i = v + 1; tokens[i]?.text === '('; i += 2) {
    const close = matching(tokens, i);
    if (close < 0) return null;
    ends.push(close);
    i = close;
    if (tokens[i + 1]?.text !== ',') break;
  }
  return ends;
}

function matching(tokens: { text: string }[], open: number): number {
  let depth = 0;
  for (let i = open; i < tokens.length; i++) {
    const t = tokens[i]!.text;
    if (t === '(' || t === '[') depth++;
    else if (t === ')' || t === ']') depth--;
    if (depth === 0) return i;
  }
  return -1;
}

/** The parser gives column names unquoted; quote_ident gave ours quoted when needed. */
function unquote(name: string): string {
  return name.startsWith('"') ? name.slice(1, -1).replace(/""/g, '"') : name;
}

function apply(sql: string, edits: Edit[]): string | null {
  if (edits.length === 0) return null;
  edits.sort((a, b) => a.at - b.at);
  let out = '';
  let pos = 0;
  for (const e of edits) {
    out += sql.slice(pos, e.at) + e.text;
    pos = e.to;
  }
  return out + sql.slice(pos);
}
