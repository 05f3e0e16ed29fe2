import type * as PgQuery from 'libpg-query';
import { POOL_SHOW_COMMANDS } from './admin';
import { commandTag } from './command-tag';
import { ADVISORY, SEQUENCE, SET_CONFIG, WRITES, functionTraits } from './functions';
import { lex } from './lexer';
import {
  booleanLiteral,
  characteristicsEffect,
  modesWrite,
  quoteLiteral,
  setConfigEffect,
  setEffect,
  setWrites,
} from './session-effects';
import { getStandardStrings } from './settings';
import type { TxModes } from './tx';
import { IsolationLevel, SessionEffect, StatementInfo, TxInfo, blankInfo, copyRoutingFacts } from './types';

/**
 * The slow, certain path: PostgreSQL's own parser (libpg-query, WASM) and a walk over its
 * AST. Used when the lexer is unsure, and as the reference the lexer is tested against.
 */

let ready = false;
let loading: Promise<void> | null = null;
/**
 * Loaded by initPgParser(), not at import: requiring libpg-query instantiates its WASM at
 * once (11 MB here), and the supervisor, which imports this package but parses nothing,
 * should not carry it.
 */
let lib: typeof PgQuery | null = null;

/** The parser's functions; only once isPgParserReady(). */
export function pgQuery(): typeof PgQuery {
  if (lib === null || !ready) throw new Error('the SQL parser is not loaded');
  return lib;
}

export function initPgParser(): Promise<void> {
  if (loading === null) {
    lib ??= require('libpg-query') as typeof PgQuery;
    loading = lib.loadModule().then(
      () => {
        ready = true;
      },
      (err: unknown) => {
        loading = null; // let a later call retry
        throw err;
      },
    );
  }
  return loading;
}

export function isPgParserReady(): boolean {
  return ready;
}

// The AST is plain JSON; these accessors keep the walk readable without typing every node.
type Node = Record<string, any>;

interface ParsedStatement {
  node: Node;
  /** The statement's own text, trimmed, without its semicolon. */
  text: string;
  /** Where it ends in `sql` (UTF-16 index). */
  end: number;
}

/** PostgreSQL's split of `sql` into statements; null when the parser is not loaded or `sql` does not parse. */
function parseStatements(sql: string): { statements: ParsedStatement[]; pos: Positions } | null {
  if (!ready) return null;
  let result: { stmts?: Node[] };
  try {
    result = pgQuery().parseSync(sql) as { stmts?: Node[] };
  } catch {
    return null;
  }
  const pos = positions(sql);
  const statements = (result.stmts ?? []).map((raw) => {
    const from = pos.toChar(raw.stmt_location ?? 0);
    const end = raw.stmt_len ? pos.toChar((raw.stmt_location ?? 0) + raw.stmt_len) : sql.length;
    return { node: raw.stmt as Node, text: stripSemicolon(sql.slice(from, end).trim()), end };
  });
  return { statements, pos };
}

/** Classifies every statement in `sql`; null when the parser is not loaded or `sql` does not parse. */
export function classifyWithPg(sql: string): StatementInfo[] | null {
  const parsed = parseStatements(sql);
  if (parsed === null) return null;
  try {
    return parsed.statements.map((st) => classifyNode(st.node, st.text, { sql, pos: parsed.pos, end: st.end }));
  } catch {
    // an AST deeper than the JavaScript stack, or a node shape this walk did not expect
    return null;
  }
}

/** Statement texts as PostgreSQL splits them; null when the parser is not loaded or `sql` does not parse. */
export function splitWithPg(sql: string): string[] | null {
  return parseStatements(sql)?.statements.map((st) => st.text) ?? null;
}

function stripSemicolon(s: string): string {
  return s.endsWith(';') ? s.slice(0, -1).trimEnd() : s;
}

/** libpg-query reports UTF-8 byte offsets; JavaScript strings index UTF-16 units. */
interface Positions {
  toChar(byte: number): number;
}

function positions(sql: string): Positions {
  // eslint-disable-next-line no-control-regex
  if (!/[^\x00-\x7f]/.test(sql)) return { toChar: (b) => b };
  const buf = Buffer.from(sql, 'utf8');
  return { toChar: (b) => buf.subarray(0, b).toString('utf8').length };
}

interface Ctx {
  sql: string;
  pos: Positions;
  end: number; // char offset where the statement ends
}

interface AstFeatures {
  functions: string[];
  writeFunction: boolean;
  usesSequence: boolean;
  dml: boolean;
  locksRows: boolean;
  into: Node | null;
  effect: SessionEffect | null;
}

const DML_NODES = new Set(['InsertStmt', 'UpdateStmt', 'DeleteStmt', 'MergeStmt']);

function features(node: unknown): AstFeatures {
  const f: AstFeatures = {
    functions: [],
    writeFunction: false,
    usesSequence: false,
    dml: false,
    locksRows: false,
    into: null,
    effect: null,
  };
  walk(node, f);
  return f;
}

function walk(node: unknown, f: AstFeatures): void {
  if (Array.isArray(node)) {
    for (const x of node) walk(x, f);
    return;
  }
  if (node === null || typeof node !== 'object') return;
  const obj = node as Node;
  // for…in rather than Object.entries: the AST of a 1 KB query has thousands of keys
  for (const k in obj) {
    const v = obj[k];
    if (k === 'location' || k === 'stmt_location' || k === 'stmt_len') continue;
    if (k === 'FuncCall') funcCall(v as Node, f);
    else if (DML_NODES.has(k)) f.dml = true;
    else if (k === 'SelectStmt') {
      if (Array.isArray(v.lockingClause) && v.lockingClause.length > 0) f.locksRows = true;
      if (v.intoClause && f.into === null) f.into = v.intoClause as Node;
    }
    if (v !== null && typeof v === 'object') walk(v, f);
  }
}

function funcName(fc: Node): string {
  return ((fc.funcname ?? []) as Node[]).map((p) => p.String?.sval ?? '').join('.');
}

function funcCall(fc: Node, f: AstFeatures): void {
  const name = funcName(fc);
  if (!f.functions.includes(name)) f.functions.push(name);
  const traits = functionTraits(name);
  if (traits & WRITES) f.writeFunction = true;
  if (traits & SEQUENCE) f.usesSequence = true;
  if (f.effect !== null) return;
  if (traits & ADVISORY) f.effect = { kind: 'unrebuildable', reason: 'advisory_lock', detail: name };
  else if (traits & SET_CONFIG) {
    const args = (fc.args ?? []) as Node[];
    const e =
      args.length === 3
        ? setConfigEffect(constString(args[0]), constString(args[1]), constBool(args[2]))
        : setConfigEffect(null, null, null);
    if (!(e.kind === 'set' && e.local)) f.effect = e;
  }
}

function constString(n: Node | undefined): string | null {
  const c = n?.A_Const;
  if (!c || !c.sval) return null;
  return c.sval.sval ?? '';
}

function constBool(n: Node | undefined): boolean | null {
  const c = n?.A_Const;
  if (!c) return null;
  if (c.boolval) return c.boolval.boolval === true;
  if (c.sval) return booleanLiteral(c.sval.sval ?? '');
  if (c.ival) return (c.ival.ival ?? 0) !== 0;
  return null;
}

function isTempRel(rel: Node | undefined): boolean {
  return rel !== undefined && (rel.relpersistence === 't' || rel.schemaname === 'pg_temp');
}

function relName(rel: Node | undefined): string {
  if (!rel) return '?';
  return rel.schemaname ? `${rel.schemaname}.${rel.relname}` : String(rel.relname);
}

function ctesWrite(withClause: Node | undefined): boolean {
  if (!withClause) return false;
  for (const c of (withClause.ctes ?? []) as Node[]) {
    // the walk sees the CTE's own top node too, so a DELETE CTE counts
    if (features(c.CommonTableExpr?.ctequery).dml) return true;
  }
  return false;
}

function tagFromText(text: string): string {
  return commandTag(lex(text, getStandardStrings())[0]?.tokens ?? []);
}

function base(text: string, command: string, f: AstFeatures): StatementInfo {
  const info = blankInfo(text, command, 'pg');
  info.functions = f.functions;
  info.usesSequence = f.usesSequence;
  if (f.effect !== null) info.session = f.effect;
  return info;
}

function classifyNode(wrapper: Node, text: string, ctx: Ctx): StatementInfo {
  const type = Object.keys(wrapper)[0] ?? '';
  const n = (wrapper[type] ?? {}) as Node;
  const f = features(wrapper);
  switch (type) {
    case 'SelectStmt': {
      const info = base(text, 'SELECT', f);
      info.locksRows = f.locksRows;
      info.modifyingWith = ctesWrite(n.withClause);
      if (f.into !== null) {
        info.selectInto = true;
        if (isTempRel(f.into.rel)) {
          info.tempTable = true;
          info.session = { kind: 'unrebuildable', reason: 'temp_table', detail: relName(f.into.rel) };
        }
      }
      const writesItself = f.dml || f.locksRows || info.selectInto;
      info.write = writesItself || f.writeFunction;
      info.writeByFunction = f.writeFunction && !writesItself;
      return info;
    }
    case 'InsertStmt':
    case 'UpdateStmt':
    case 'DeleteStmt':
    case 'MergeStmt': {
      const info = base(text, type.slice(0, -4).toUpperCase(), f);
      info.locksRows = f.locksRows;
      info.modifyingWith = ctesWrite(n.withClause);
      return info;
    }
    case 'ExplainStmt': {
      const inner = classifyNode(n.query as Node, text, ctx);
      let analyze = false;
      for (const o of (n.options ?? []) as Node[]) {
        const d = o.DefElem as Node | undefined;
        if (d && (d.defname === 'analyze' || d.defname === 'analyse')) analyze = defBool(d.arg);
      }
      const info = blankInfo(text, 'EXPLAIN', 'pg');
      copyRoutingFacts(info, inner);
      info.explain = { analyze, select: inner.command === 'SELECT' };
      if (analyze && inner.session !== undefined) info.session = inner.session;
      return info;
    }
    case 'PrepareStmt': {
      const inner = classifyNode(n.query as Node, text, ctx);
      const info = blankInfo(text, 'PREPARE', 'pg');
      copyRoutingFacts(info, inner);
      info.session = { kind: 'prepare', name: String(n.name), text };
      return info;
    }
    case 'ExecuteStmt': {
      const info = base(text, 'EXECUTE', f);
      info.executeName = String(n.name);
      return info;
    }
    case 'DeallocateStmt': {
      const info = base(text, 'DEALLOCATE', f);
      info.write = false;
      info.session = { kind: 'deallocate', name: n.isall || n.name === undefined ? null : String(n.name) };
      return info;
    }
    case 'VariableSetStmt':
      return variableSet(n, text, ctx, f);
    case 'VariableShowStmt': {
      const info = base(text, 'SHOW', f);
      info.write = false;
      const what = String(n.name ?? '');
      if (POOL_SHOW_COMMANDS.has(what)) info.admin = { kind: 'show', what };
      return info;
    }
    case 'ConstraintsSetStmt': {
      const info = base(text, 'SET CONSTRAINTS', f);
      info.write = false;
      return info;
    }
    case 'TransactionStmt':
      return transaction(n, text, f);
    case 'DiscardStmt': {
      const targets: Record<string, 'all' | 'plans' | 'sequences' | 'temp'> = {
        DISCARD_ALL: 'all',
        DISCARD_PLANS: 'plans',
        DISCARD_SEQUENCES: 'sequences',
        DISCARD_TEMP: 'temp',
      };
      const what = targets[String(n.target)];
      const info = base(text, 'DISCARD', f);
      info.write = false;
      if (what) info.session = { kind: 'discard', what };
      info.tempTable = what === 'temp';
      return info;
    }
    case 'ListenStmt': {
      const info = base(text, 'LISTEN', f);
      info.session = { kind: 'listen', channel: String(n.conditionname) };
      return info;
    }
    case 'UnlistenStmt': {
      const info = base(text, 'UNLISTEN', f);
      info.session = { kind: 'unlisten', channel: n.conditionname === undefined ? null : String(n.conditionname) };
      return info;
    }
    case 'NotifyStmt':
      return base(text, 'NOTIFY', f);
    case 'CopyStmt': {
      const info = base(text, 'COPY', f);
      const stdio = n.filename === undefined && !n.is_program;
      const direction = n.is_from ? 'from' : 'to';
      info.copy = { direction, stdio };
      let innerWrites = false;
      let innerByFunction = false;
      if (n.query) {
        const inner = classifyNode(n.query as Node, text, ctx);
        innerWrites = inner.write;
        innerByFunction = inner.writeByFunction;
        info.locksRows = inner.locksRows;
        info.modifyingWith = inner.modifyingWith;
      }
      info.write = !(direction === 'to' && stdio && !innerWrites);
      info.writeByFunction = direction === 'to' && stdio && innerByFunction;
      return info;
    }
    case 'LockStmt': {
      const info = base(text, 'LOCK TABLE', f);
      info.lockMode = Number(n.mode ?? 8);
      return info;
    }
    case 'DeclareCursorStmt': {
      const info = base(text, 'DECLARE CURSOR', f);
      info.locksRows = f.locksRows;
      // CURSOR_OPT_HOLD
      if ((Number(n.options ?? 0) & 0x20) !== 0) {
        info.session = { kind: 'unrebuildable', reason: 'with_hold_cursor', detail: String(n.portalname) };
      }
      return info;
    }
    case 'CreateStmt': {
      const info = base(text, tagFromText(text), f);
      if (isTempRel(n.relation) || (n.oncommit !== undefined && n.oncommit !== 'ONCOMMIT_NOOP')) {
        info.tempTable = true;
        info.session = { kind: 'unrebuildable', reason: 'temp_table', detail: relName(n.relation) };
      }
      return info;
    }
    case 'CreateTableAsStmt': {
      const info = base(text, tagFromText(text), f);
      const into = n.into as Node | undefined;
      if (isTempRel(into?.rel) || (into?.onCommit !== undefined && into.onCommit !== 'ONCOMMIT_NOOP')) {
        if (n.objtype !== 'OBJECT_MATVIEW') info.tempTable = true;
        info.session = { kind: 'unrebuildable', reason: 'temp_table', detail: relName(into?.rel) };
      }
      return info;
    }
    case 'ViewStmt':
    case 'CreateSeqStmt': {
      const info = base(text, tagFromText(text), f);
      const rel = (type === 'ViewStmt' ? n.view : n.sequence) as Node | undefined;
      if (isTempRel(rel)) info.session = { kind: 'unrebuildable', reason: 'temp_table', detail: relName(rel) };
      return info;
    }
  }
  return base(text, tagFromText(text), f);
}


/** defGetBoolean: no argument means true. */
function defBool(arg: Node | undefined): boolean {
  if (!arg) return true;
  if (arg.String) return booleanLiteral(arg.String.sval ?? '') ?? true;
  if (arg.Boolean) return arg.Boolean.boolval === true;
  if (arg.Integer) return (arg.Integer.ival ?? 0) !== 0;
  if (arg.A_Const) return constBool(arg) ?? true;
  return true;
}

function modesFrom(args: Node[] | undefined): TxModes {
  const m: TxModes = { count: 0 };
  for (const o of args ?? []) {
    const d = o.DefElem as Node | undefined;
    if (!d) continue;
    const c = d.arg?.A_Const as Node | undefined;
    if (d.defname === 'transaction_isolation') m.isolation = String(c?.sval?.sval ?? '') as IsolationLevel;
    else if (d.defname === 'transaction_read_only') m.readOnly = (c?.ival?.ival ?? 0) !== 0;
    else if (d.defname === 'transaction_deferrable') m.deferrable = (c?.ival?.ival ?? 0) !== 0;
    else continue;
    m.count++;
  }
  return m;
}

function transaction(n: Node, text: string, f: AstFeatures): StatementInfo {
  const kinds: Record<string, [string, TxInfo['kind'], boolean]> = {
    TRANS_STMT_BEGIN: ['BEGIN', 'begin', false],
    TRANS_STMT_START: ['START TRANSACTION', 'begin', false],
    TRANS_STMT_COMMIT: ['COMMIT', 'commit', false],
    TRANS_STMT_ROLLBACK: ['ROLLBACK', 'rollback', false],
    TRANS_STMT_SAVEPOINT: ['SAVEPOINT', 'savepoint', false],
    TRANS_STMT_RELEASE: ['RELEASE', 'release', false],
    TRANS_STMT_ROLLBACK_TO: ['ROLLBACK', 'rollback_to', false],
    TRANS_STMT_PREPARE: ['PREPARE TRANSACTION', 'prepare_transaction', true],
    TRANS_STMT_COMMIT_PREPARED: ['COMMIT PREPARED', 'commit_prepared', true],
    TRANS_STMT_ROLLBACK_PREPARED: ['ROLLBACK PREPARED', 'rollback_prepared', true],
  };
  const k = kinds[String(n.kind)];
  if (!k) return base(text, tagFromText(text), f);
  const info = base(text, k[0], f);
  info.write = k[2];
  const tx: TxInfo = { kind: k[1] };
  if (tx.kind === 'begin') {
    const m = modesFrom(n.options);
    if (m.isolation !== undefined) tx.isolation = m.isolation;
    if (m.readOnly !== undefined) tx.readOnly = m.readOnly;
    if (m.deferrable !== undefined) tx.deferrable = m.deferrable;
  }
  if (n.chain === true) tx.chain = true;
  info.tx = tx;
  return info;
}

function argText(a: Node, ctx: Ctx): string | null {
  const c = a.A_Const as Node | undefined;
  if (c) {
    if (c.sval) return quoteLiteral(c.sval.sval ?? '');
    if (c.ival) return String(c.ival.ival ?? 0);
    if (c.fval) return String(c.fval.fval);
    if (c.boolval) return c.boolval.boolval ? 'true' : 'false';
    return null;
  }
  // SET TIME ZONE INTERVAL '…' HOUR TO MINUTE: keep the source text from the type name on
  const loc = a.TypeCast?.typeName?.location;
  if (typeof loc === 'number' && loc >= 0) return ctx.sql.slice(ctx.pos.toChar(loc), ctx.end).trim();
  return null;
}

function variableSet(n: Node, text: string, ctx: Ctx, f: AstFeatures): StatementInfo {
  const kind = String(n.kind);
  const name = String(n.name ?? '').toLowerCase();
  const local = n.is_local === true;
  if (kind === 'VAR_RESET' || kind === 'VAR_RESET_ALL') {
    const info = base(text, 'RESET', f);
    info.write = false;
    info.session = { kind: 'reset', name: kind === 'VAR_RESET_ALL' ? 'all' : name };
    return info;
  }
  const info = base(text, 'SET', f);
  info.write = false;
  if (kind === 'VAR_SET_MULTI') {
    if (name === 'transaction snapshot') {
      info.write = true;
      return info;
    }
    const m = modesFrom(n.args);
    info.write = modesWrite(m);
    const e = characteristicsEffect(m, name === 'session characteristics' ? 'session' : 'transaction');
    if (e) info.session = e;
    return info;
  }
  if (kind === 'VAR_SET_CURRENT') return info;
  let value: string | null = 'DEFAULT';
  if (kind === 'VAR_SET_VALUE') {
    const parts = ((n.args ?? []) as Node[]).map((a) => argText(a, ctx));
    value = parts.length > 0 && parts.every((p) => p !== null) ? parts.join(', ') : null;
  }
  if (value === null) {
    info.write = true;
    info.session = { kind: 'unrebuildable', reason: 'other', detail: `SET ${name} with a value the classifier cannot replay` };
    return info;
  }
  info.write = setWrites(name, value);
  info.session = setEffect(name, value, local);
  return info;
}
