/**
 * What routing needs to know about one statement, derived once from the classifier's
 * StatementInfo and kept with it (classify() caches and freezes those, so a WeakMap keyed
 * by them makes the second look at a statement a map lookup).
 */
import type { StatementInfo } from '@pgrelay/sql';

/** pgpool-compat.md §10, rules 2–5. */
export const enum Kind {
  /** Rule 2: the primary only. */
  Primary,
  /** Rule 3: the primary and every other node the session holds. */
  All,
  /** Rule 5: may go to the load-balance node. */
  Read,
  /** Rule 4: EXECUTE / DEALLOCATE name — wherever that statement was prepared. */
  Prepared,
}

export interface StatementFacts {
  kind: Kind;
  info: StatementInfo;
  /** [info], for counters that take a statement list, made once. */
  one: readonly StatementInfo[];
  /** Kind.Read for SELECT-like statements, which also pass pgpool's first-character test. */
  selectLike: boolean;
  /** Mentions a relation of pg_catalog (all are named pg_*), or pg_temp. */
  catalog: boolean;
  /** SET TRANSACTION READ ONLY and friends: they never make a transaction a writing one. */
  setsReadOnly: boolean;
  /** Lower-cased identifiers not followed by '(' (relation-ish words), computed on demand. */
  words?: ReadonlySet<string>;
}

const cache = new WeakMap<StatementInfo, StatementFacts>();

/** The facts of one classified statement. */
export function factsOf(info: StatementInfo): StatementFacts {
  let f = cache.get(info);
  if (f === undefined) {
    f = derive(info);
    cache.set(info, f);
  }
  return f;
}



const BOTH_COMMANDS = new Set(['SET', 'RESET', 'DISCARD', 'SET CONSTRAINTS']);

function kindOf(s: StatementInfo): Kind {
  if (s.command === 'EMPTY') return Kind.Read;
  if (s.executeName !== undefined) return Kind.Prepared;
  if (s.tx) {
    const k = s.tx.kind;
    if (k === 'prepare_transaction' || k === 'commit_prepared' || k === 'rollback_prepared') return Kind.Primary;
    // pgpool-II 4.3.5 sends BEGIN READ WRITE / ISOLATION LEVEL SERIALIZABLE to the primary
    // alone (a standby could not run them); its reads then go where they would outside one
    return k === 'begin' && (s.tx.readOnly === false || s.tx.isolation === 'serializable') ? Kind.Primary : Kind.All;
  }
  const e = s.session;
  if (e?.kind === 'deallocate') return e.name === null ? Kind.All : Kind.Prepared;
  if (e?.kind === 'listen' || e?.kind === 'unlisten') return Kind.Primary;
  if (s.command === 'LOCK TABLE') return s.lockMode !== undefined && s.lockMode < 3 ? Kind.All : Kind.Primary;
  // a SET that needs the primary (READ WRITE, SERIALIZABLE…) says so through `write`
  if (BOTH_COMMANDS.has(s.command) || e?.kind === 'set' || e?.kind === 'reset' || e?.kind === 'set_role' || e?.kind === 'set_session_authorization') {
    return s.write ? Kind.Primary : Kind.All;
  }
  const readsItself = !s.write || s.writeByFunction;
  switch (s.command) {
    case 'SELECT':
    case 'SHOW':
      return readsItself && !s.selectInto && !s.locksRows && !s.modifyingWith ? Kind.Read : Kind.Primary;
    case 'COPY':
      return s.copy?.direction === 'to' && s.copy.stdio && readsItself ? Kind.Read : Kind.Primary;
    // EXPLAIN and PREPARE … AS SELECT: measured on pgpool-II 4.3.5, both go to the primary
  }
  return Kind.Primary;
}

// pg_catalog relations are all named pg_*; a call (pg_foo(…)) is a function, not a relation
const CATALOG = /(?<![\w$"])pg_[a-z0-9_$]*(?![\w$])(?!\s*\()/i;

function derive(s: StatementInfo): StatementFacts {
  const kind = kindOf(s);
  const e = s.session;
  return {
    kind,
    info: s,
    one: Object.freeze([s]),
    selectLike: s.command === 'SELECT' || s.command === 'EMPTY',
    catalog: kind === Kind.Read && CATALOG.test(s.text),
    // pgpool's pool_is_transaction_read_only: SET transaction_read_only, SET TRANSACTION and
    // SET SESSION CHARACTERISTICS … READ ONLY
    setsReadOnly:
      e?.kind === 'set' &&
      /^'?(on|t|true|1|yes)'?$/i.test(e.value) &&
      (e.name === 'transaction_read_only' || (e.name === 'default_transaction_read_only' && /\bcharacteristics\b/i.test(s.text))),
  };
}

const WORD = /"((?:[^"]|"")+)"|([A-Za-z_\u0080-\uffff][\w$\u0080-\uffff]*)/g;

/**
 * The identifiers of a statement that could name a relation (lower-cased; quoted ones as
 * written): good enough to ask "does it mention t?" — a column named like a table only
 * sends a read to the primary, which is always safe.
 */
export function wordsOf(f: StatementFacts): ReadonlySet<string> {
  if (f.words) return f.words;
  const out = new Set<string>();
  const text = f.info.text;
  for (const m of text.matchAll(WORD)) {
    const after = text.slice(m.index! + m[0].length).match(/^\s*(.)/)?.[1];
    if (after === '(') continue;
    out.add(m[1] !== undefined ? m[1].replace(/""/g, '"') : m[2]!.toLowerCase());
  }
  f.words = out;
  return out;
}

/** pgpool's test for SELECTs with allow_sql_comments off: the text must start like a query. */
export function startsLikeQuery(text: string, skipBlanks: boolean): boolean {
  let i = 0;
  if (skipBlanks) while (i < text.length && isBlank(text.charCodeAt(i))) i++;
  if (i >= text.length) return true;
  switch (text.charCodeAt(i)) {
    case 0x73: case 0x53: // s S
    case 0x28: // (
    case 0x77: case 0x57: // w W
    case 0x74: case 0x54: // t T
    case 0x3b: // ;
      return true;
  }
  return false;
}

const isBlank = (c: number): boolean => c === 32 || (c >= 9 && c <= 13);

const NO_LOAD_BALANCE = '/*NO LOAD BALANCE*/';

// The query starts with the NO LOAD BALANCE comment of pgpool (exactly there, any case).
export function hasNoLoadBalanceComment(text: string): boolean {
  return text.charCodeAt(0) === 0x2f && text.length >= NO_LOAD_BALANCE.length && text.slice(0, NO_LOAD_BALANCE.length).toUpperCase() === NO_LOAD_BALANCE;
}

const EMPTY = Object.freeze({
  text: '',
  command: 'EMPTY',
  write: false,
  functions: Object.freeze([]) as unknown as string[],
  locksRows: false,
  selectInto: false,
  modifyingWith: false,
  usesSequence: false,
  tempTable: false,
  writeByFunction: false,
  parsedBy: 'lexer',
}) as StatementInfo;

/** An empty query is a read pgpool may balance (JBoss pings with ''). */
export const EMPTY_FACTS: StatementFacts = derive(EMPTY);
