import { pgpoolCommand, poolShow } from './admin';
import { commandTag } from './command-tag';
import { Features, scanFeatures } from './features';
import { NUM, PUNCT, QIDENT, RawStatement, STR, Token, WORD } from './lexer';
import {
  Effect,
  nameAt,
  parseDeallocate,
  parseDeclare,
  parseDiscard,
  parseListen,
  parseNotify,
  parseReset,
  parseSet,
  parseUnlisten,
} from './session-effects';
import { parseTx } from './tx';
import { StatementInfo, blankInfo, copyRoutingFacts } from './types';

/**
 * The lexer's classifier: decides from tokens alone, and returns null whenever the
 * statement is not one it can vouch for (the caller then asks libpg-query).
 * Its one rule: it may call a read a write, never a write a read.
 */

const SELECT_LIKE = new Set(['select', 'values', 'table', 'with']);
const DML_FIRST = new Set(['insert', 'update', 'delete', 'merge']);
const MAIN_AFTER_WITH = new Set(['select', 'values', 'table', 'insert', 'update', 'delete', 'merge']);

// statements that always go to the primary and whose insides the classifier only scans
// for function calls and temp objects
const ALWAYS_WRITE = new Set([
  'alter', 'analyse', 'analyze', 'call', 'checkpoint', 'close', 'cluster', 'comment', 'create', 'do', 'drop',
  'fetch', 'grant', 'import', 'load', 'lock', 'move', 'reassign', 'refresh', 'reindex', 'revoke', 'security',
  'truncate', 'vacuum',
]);

// what PostgreSQL's grammar accepts inside PREPARE / COPY (…) and inside EXPLAIN
const QUERY = /^(SELECT|INSERT|UPDATE|DELETE|MERGE)$/;
const EXPLAINABLE = /^(SELECT|INSERT|UPDATE|DELETE|MERGE|EXECUTE|DECLARE CURSOR|CREATE TABLE AS|CREATE MATERIALIZED VIEW|REFRESH MATERIALIZED VIEW)$/;

const wd = (t: readonly Token[], i: number): string | undefined => (t[i]?.k === WORD ? t[i]!.w : undefined);
const isP = (t: readonly Token[], i: number, p: string): boolean => t[i]?.k === PUNCT && t[i]!.w === p;

export function statementText(sql: string, st: RawStatement): string {
  return sql.slice(st.start, st.end).trim();
}

/** Classifies one lexed statement; null when the lexer is not sure. */
export function classifyTokens(sql: string, st: RawStatement): StatementInfo | null {
  if (st.problem !== null) return null;
  return classifyRange(sql, st.tokens, statementText(sql, st));
}

function classifyRange(sql: string, t: readonly Token[], text: string): StatementInfo | null {
  if (t.length === 0) return null;
  const first = t[0]!;
  if (first.k === PUNCT && first.w === '(') {
    let i = 0;
    while (isP(t, i, '(')) i++;
    const w = wd(t, i);
    return w !== undefined && SELECT_LIKE.has(w) ? selectLike(sql, t, text) : null;
  }
  if (first.k !== WORD) return null;
  const w0 = first.w;
  if (SELECT_LIKE.has(w0)) return selectLike(sql, t, text);
  if (DML_FIRST.has(w0)) return withFeatures(sql, t, text, w0.toUpperCase(), true);
  switch (w0) {
    case 'show':
      return show(t, text);
    case 'explain':
      return explain(sql, t, text);
    case 'set':
      return effect(text, parseSet(sql, t));
    case 'reset':
      return effect(text, parseReset(t));
    case 'discard':
      return effect(text, parseDiscard(t));
    case 'listen':
      return effect(text, parseListen(t));
    case 'unlisten':
      return effect(text, parseUnlisten(t));
    case 'notify':
      return effect(text, parseNotify(t));
    case 'deallocate':
      return effect(text, parseDeallocate(t));
    case 'begin': case 'start': case 'commit': case 'end': case 'rollback': case 'abort': case 'savepoint': case 'release': {
      const r = parseTx(t);
      if (r === null) return null;
      const info = blankInfo(text, r.command, 'lexer');
      info.write = r.write;
      info.tx = r.tx;
      return info;
    }
    case 'prepare':
      return prepare(sql, t, text);
    case 'execute':
      return execute(sql, t, text);
    case 'copy':
      return copy(sql, t, text);
    case 'declare':
      return declare(sql, t, text);
    case 'pgpool': {
      const admin = pgpoolCommand(sql, t);
      if (admin === null) return null;
      const info = blankInfo(text, 'PGPOOL', 'lexer');
      info.write = false;
      info.admin = admin;
      return info;
    }
  }
  if (ALWAYS_WRITE.has(w0)) return ddl(sql, t, text);
  return null;
}

function applyFeatures(info: StatementInfo, f: Features): void {
  info.functions = f.functions;
  info.usesSequence = f.usesSequence;
  if (f.effect !== null && info.session === undefined) info.session = f.effect;
}

function withFeatures(sql: string, t: readonly Token[], text: string, command: string, write: boolean): StatementInfo {
  const f = scanFeatures(sql, t);
  const info = blankInfo(text, command, 'lexer');
  info.write = write || f.writeFunction || f.dml || f.locksRows;
  applyFeatures(info, f);
  info.locksRows = f.locksRows;
  return info;
}

/** SELECT, VALUES, TABLE, WITH …, and parenthesised queries. */
function selectLike(sql: string, t: readonly Token[], text: string): StatementInfo | null {
  let command = 'SELECT';
  let dmlMain = false;
  if (t[0]!.w === 'with') {
    // the main statement is the first of these words outside the CTE bodies
    let main: string | undefined;
    for (const x of t) {
      if (x.d === 0 && x.k === WORD && MAIN_AFTER_WITH.has(x.w)) {
        main = x.w;
        break;
      }
    }
    if (main === undefined) return null;
    if (DML_FIRST.has(main)) {
      command = main.toUpperCase();
      dmlMain = true;
    }
  }
  const f = scanFeatures(sql, t);
  const info = blankInfo(text, command, 'lexer');
  applyFeatures(info, f);
  info.locksRows = f.locksRows;
  if (t[0]!.w === 'with') info.modifyingWith = dmlMain ? f.dmlNested : f.dml;
  if (f.into >= 0 && !dmlMain) {
    info.selectInto = true;
    const temp = intoTemp(t, f.into + 1);
    if (temp !== null) {
      info.tempTable = true;
      info.session = { kind: 'unrebuildable', reason: 'temp_table', detail: temp };
    }
  }
  const writesItself = dmlMain || f.dml || f.locksRows || info.selectInto;
  info.write = writesItself || f.writeFunction;
  info.writeByFunction = f.writeFunction && !writesItself;
  return info;
}

/** `INTO [TEMP|TEMPORARY|LOCAL TEMP|GLOBAL TEMP] [TABLE] name`: the name if temporary. */
function intoTemp(t: readonly Token[], i: number): string | null {
  let temp = false;
  if (wd(t, i) === 'local' || wd(t, i) === 'global') i++;
  if (wd(t, i) === 'temp' || wd(t, i) === 'temporary') {
    temp = true;
    i++;
  }
  if (wd(t, i) === 'unlogged') i++;
  if (wd(t, i) === 'table') i++;
  const n = relationName(t, i);
  if (n === null) return temp ? '?' : null;
  return temp || n.schema === 'pg_temp' ? n.name : null;
}

function relationName(t: readonly Token[], i: number): { name: string; schema: string | null } | null {
  const a = nameAt(t, i);
  if (a === null) return null;
  if (isP(t, i + 1, '.') && nameAt(t, i + 2) !== null) return { name: a + '.' + nameAt(t, i + 2)!, schema: a };
  return { name: a, schema: null };
}

function show(t: readonly Token[], text: string): StatementInfo | null {
  // SHOW takes names only; anything else is not a SHOW the lexer should vouch for
  for (let i = 1; i < t.length; i++) {
    const x = t[i]!;
    if (!(x.k === WORD || x.k === QIDENT || (x.k === PUNCT && x.w === '.'))) return null;
  }
  if (t.length < 2) return null;
  const info = blankInfo(text, 'SHOW', 'lexer');
  info.write = false;
  const admin = poolShow(t);
  if (admin !== null) info.admin = admin;
  return info;
}

function effect(text: string, e: Effect | null): StatementInfo | null {
  if (e === null) return null;
  const info = blankInfo(text, e.command, 'lexer');
  info.write = e.write;
  if (e.session !== undefined) info.session = e.session;
  if (e.session?.kind === 'discard' && e.session.what === 'temp') info.tempTable = true;
  return info;
}

/** EXPLAIN [ANALYZE] [VERBOSE] stmt | EXPLAIN ( option [value], … ) stmt */
function explain(sql: string, t: readonly Token[], text: string): StatementInfo | null {
  let i = 1;
  let analyze = false;
  if (isP(t, 1, '(')) {
    i = 2;
    for (;;) {
      const opt = wd(t, i);
      if (opt === undefined) return null;
      i++;
      let on = true;
      // an option's value: a word, string or number before ',' or ')'
      if (!isP(t, i, ',') && !isP(t, i, ')')) {
        const v = t[i];
        if (v === undefined) return null;
        if (v.k === WORD) on = !(v.w === 'false' || v.w === 'off' || v.w === 'no');
        else if (v.k === STR) on = !/^'(false|off|no|0)'$/i.test(sql.slice(v.s, v.e));
        else if (v.k === NUM) on = sql.slice(v.s, v.e) !== '0';
        else return null;
        i++;
      }
      if (opt === 'analyze' || opt === 'analyse') analyze = on;
      if (isP(t, i, ')')) {
        i++;
        break;
      }
      if (!isP(t, i, ',')) return null;
      i++;
    }
  } else {
    if (wd(t, i) === 'analyze' || wd(t, i) === 'analyse') {
      analyze = true;
      i++;
    }
    if (wd(t, i) === 'verbose') i++;
  }
  const innerTokens = t.slice(i);
  if (innerTokens.length === 0) return null;
  const inner = classifyRange(sql, innerTokens, text);
  if (inner === null || !EXPLAINABLE.test(inner.command)) return null;
  const info = blankInfo(text, 'EXPLAIN', 'lexer');
  copyRoutingFacts(info, inner);
  info.explain = { analyze, select: inner.command === 'SELECT' };
  // plain EXPLAIN runs nothing, so only EXPLAIN ANALYZE carries the inner statement's effects
  if (analyze && inner.session !== undefined) info.session = inner.session;
  return info;
}

function prepare(sql: string, t: readonly Token[], text: string): StatementInfo | null {
  if (wd(t, 1) === 'transaction' && t[2]?.k === STR) {
    const r = parseTx(t);
    if (r === null) return null;
    const info = blankInfo(text, r.command, 'lexer');
    info.tx = r.tx;
    return info;
  }
  const name = nameAt(t, 1);
  if (name === null) return null;
  let i = 2;
  if (isP(t, 2, '(')) {
    while (i < t.length && !(isP(t, i, ')') && t[i]!.d === 0)) i++;
    i++;
  }
  if (wd(t, i) !== 'as') return null;
  const inner = classifyRange(sql, t.slice(i + 1), text);
  if (inner === null || !QUERY.test(inner.command)) return null;
  const info = blankInfo(text, 'PREPARE', 'lexer');
  // pgpool-II routes PREPARE like the statement it prepares
  copyRoutingFacts(info, inner);
  info.session = { kind: 'prepare', name, text };
  return info;
}

function execute(sql: string, t: readonly Token[], text: string): StatementInfo | null {
  const name = nameAt(t, 1);
  if (name === null) return null;
  if (t.length > 2 && !(isP(t, 2, '(') && isP(t, t.length - 1, ')'))) return null;
  // the statement's class is the prepared one's, which only the session knows
  const info = withFeatures(sql, t, text, 'EXECUTE', true);
  info.executeName = name;
  return info;
}

function declare(sql: string, t: readonly Token[], text: string): StatementInfo | null {
  const d = parseDeclare(t);
  if (d === null) return null;
  const inner = classifyRange(sql, t.slice(d.query), text);
  if (inner === null || inner.command !== 'SELECT') return null;
  const info = blankInfo(text, 'DECLARE CURSOR', 'lexer');
  // pgpool-II sends DECLARE to the primary: FETCH must find the cursor there
  info.functions = inner.functions;
  info.usesSequence = inner.usesSequence;
  info.locksRows = inner.locksRows;
  if (d.hold) info.session = { kind: 'unrebuildable', reason: 'with_hold_cursor', detail: d.name };
  else if (inner.session !== undefined) info.session = inner.session;
  return info;
}

/** COPY table|(query) [(cols)] FROM|TO STDIN|STDOUT|'file'|PROGRAM 'cmd' … */
function copy(sql: string, t: readonly Token[], text: string): StatementInfo | null {
  let i = 1;
  let inner: StatementInfo | null = null;
  if (isP(t, 1, '(')) {
    let j = 2;
    while (j < t.length && !(isP(t, j, ')') && t[j]!.d === 0)) j++;
    if (j >= t.length) return null;
    // the query's tokens sit one parenthesis deeper than a statement's own would
    inner = classifyRange(sql, t.slice(2, j).map((x) => ({ ...x, d: x.d - 1 })), text);
    if (inner === null || !QUERY.test(inner.command)) return null;
    i = j + 1;
  } else {
    const rel = relationName(t, 1);
    if (rel === null || wd(t, 1) === 'binary') return null;
    i = rel.schema === null ? 2 : 4;
    if (isP(t, i, '(')) {
      while (i < t.length && !(isP(t, i, ')') && t[i]!.d === 0)) i++;
      i++;
    }
  }
  const dir = wd(t, i);
  if (dir !== 'from' && dir !== 'to') return null;
  if (dir === 'from' && inner !== null) return null;
  const target = t[i + 1];
  if (target === undefined) return null;
  const stdio = target.k === WORD && (target.w === 'stdin' || target.w === 'stdout');
  if (!stdio && target.k !== STR && !(target.k === WORD && target.w === 'program')) return null;
  const info = blankInfo(text, 'COPY', 'lexer');
  const f = scanFeatures(sql, t);
  applyFeatures(info, f);
  info.copy = { direction: dir, stdio };
  if (inner !== null) {
    info.locksRows = inner.locksRows;
    info.modifyingWith = inner.modifyingWith;
  }
  // COPY … TO STDOUT only reads, unless its query writes
  const reads = dir === 'to' && stdio;
  info.write = !(reads && (inner === null || !inner.write));
  info.writeByFunction = reads && inner !== null && inner.writeByFunction;
  return info;
}

// LOCK … IN <mode> MODE, numbered as PostgreSQL's lock.h numbers them
const LOCK_MODES: Record<string, number> = {
  'access share': 1, 'row share': 2, 'row exclusive': 3, 'share update exclusive': 4, share: 5,
  'share row exclusive': 6, exclusive: 7, 'access exclusive': 8,
};

/** The mode of `LOCK … [IN mode MODE] [NOWAIT]`; null for words that are not a mode. */
function lockModeOf(t: readonly Token[]): number | null {
  let i = t.findIndex((x) => x.d === 0 && x.k === WORD && x.w === 'in');
  if (i < 0) return 8;
  const words: string[] = [];
  for (i++; i < t.length && wd(t, i) !== 'mode'; i++) {
    const w = wd(t, i);
    if (w === undefined) return null;
    words.push(w);
  }
  return LOCK_MODES[words.join(' ')] ?? null;
}

/** DDL and maintenance: always writes; looks only for temp objects and function calls. */
function ddl(sql: string, t: readonly Token[], text: string): StatementInfo | null {
  const info = withFeatures(sql, t, text, commandTag(t), true);
  if (t[0]!.w === 'lock') {
    const mode = lockModeOf(t);
    if (mode === null) return null;
    info.lockMode = mode;
  }
  if (t[0]!.w === 'create') {
    let i = 1;
    if (wd(t, 1) === 'or' && wd(t, 2) === 'replace') i = 3;
    if (wd(t, i) === 'global' || wd(t, i) === 'local') i++;
    const temp = wd(t, i) === 'temp' || wd(t, i) === 'temporary';
    if (temp) i++;
    if (wd(t, i) === 'unlogged') i++;
    const obj = wd(t, i);
    if (obj === 'table' || obj === 'view' || obj === 'sequence' || (obj === 'recursive' && wd(t, i + 1) === 'view')) {
      let j = obj === 'recursive' ? i + 2 : i + 1;
      if (wd(t, j) === 'if' && wd(t, j + 1) === 'not' && wd(t, j + 2) === 'exists') j += 3;
      const rel = relationName(t, j);
      const onCommit = obj === 'table' && t.some((x, k) => x.d === 0 && x.w === 'on' && x.k === WORD && wd(t, k + 1) === 'commit');
      if (temp || rel?.schema === 'pg_temp' || onCommit) {
        if (obj === 'table') info.tempTable = true;
        info.session = { kind: 'unrebuildable', reason: 'temp_table', detail: rel?.name ?? '?' };
      }
    }
  }
  return info;
}
