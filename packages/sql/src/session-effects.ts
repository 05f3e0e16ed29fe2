import { NUM, PUNCT, QIDENT, STR, Token, WORD, asciiLower, stringValue } from './lexer';
import { getStandardStrings } from './settings';
import { TxModes, parseModes } from './tx';
import type { SessionEffect } from './types';

/**
 * What a statement does to session state, in the form a new backend needs to become the
 * same session. Shared rules first (used by both the lexer and the libpg-query path),
 * then the token-level readers for the lexer.
 */

export function quoteLiteral(s: string): string {
  const q = "'" + s.replace(/'/g, "''") + "'";
  // E'' reads the same whatever standard_conforming_strings the replaying backend has
  return s.includes('\\') ? 'E' + q.replace(/\\/g, '\\\\') : q;
}

function unquote(v: string): string {
  const s = v.trim();
  return asciiLower(s.length >= 2 && s.startsWith("'") && s.endsWith("'") ? s.slice(1, -1) : s);
}

const FALSE_WORDS = new Set(['off', 'false', 'f', 'no', 'n', '0', 'of']);

/**
 * pgpool-II sends these SETs to the primary only: they make the transaction able to write
 * or SERIALIZABLE, and a standby cannot honour either.
 */
export function setWrites(name: string, value: string): boolean {
  if (name === 'transaction_read_only' || name === 'default_transaction_read_only') return FALSE_WORDS.has(unquote(value));
  if (name === 'transaction_isolation' || name === 'default_transaction_isolation') return unquote(value) === 'serializable';
  return false;
}

export function modesWrite(m: TxModes): boolean {
  return m.readOnly === false || m.isolation === 'serializable';
}

/** A SET of `name` to `value` (SQL text, or 'DEFAULT'), with ROLE and SESSION AUTHORIZATION in their own kinds. */
export function setEffect(name: string, value: string, local: boolean): SessionEffect {
  if (!local) {
    if (name === 'role') {
      // `SET ROLE DEFAULT` is not valid syntax; RESET ROLE is what `SET role TO DEFAULT` means
      return value === 'DEFAULT' ? { kind: 'reset', name: 'role' } : { kind: 'set_role', value };
    }
    if (name === 'session_authorization') return { kind: 'set_session_authorization', value };
  }
  return { kind: 'set', name, value, local };
}

/**
 * SET SESSION CHARACTERISTICS AS TRANSACTION (scope 'session') and SET TRANSACTION
 * (scope 'transaction') as settings of the GUCs they stand for.
 */
export function characteristicsEffect(m: TxModes, scope: 'session' | 'transaction'): SessionEffect | undefined {
  const prefix = scope === 'session' ? 'default_transaction_' : 'transaction_';
  const local = scope === 'transaction';
  if (m.count > 1 && !local) {
    // one SessionEffect carries one setting; rare enough not to widen the type for it
    return { kind: 'unrebuildable', reason: 'other', detail: 'SET SESSION CHARACTERISTICS with several transaction modes' };
  }
  if (m.isolation !== undefined) return { kind: 'set', name: prefix + 'isolation', value: quoteLiteral(m.isolation), local };
  if (m.readOnly !== undefined) return { kind: 'set', name: prefix + 'read_only', value: m.readOnly ? 'on' : 'off', local };
  if (m.deferrable !== undefined) return { kind: 'set', name: prefix + 'deferrable', value: m.deferrable ? 'on' : 'off', local };
  return undefined;
}

// GUCs whose SET argument list is quoted element by element (GUC_LIST_QUOTE)
const LIST_QUOTE_GUCS = new Set([
  'search_path', 'temp_tablespaces', 'session_preload_libraries', 'local_preload_libraries', 'shared_preload_libraries',
]);

/** set_config(name, value, is_local) with literal arguments; null arguments mean "not literals". */
export function setConfigEffect(name: string | null, value: string | null, isLocal: boolean | null): SessionEffect {
  if (name === null || value === null || isLocal === null) {
    return { kind: 'unrebuildable', reason: 'other', detail: 'set_config() with arguments that are not literals' };
  }
  const lname = asciiLower(name);
  let replay: string;
  if (LIST_QUOTE_GUCS.has(lname)) {
    // set_config's string is the list itself; SET would quote a literal as one element
    if (!/^[\sA-Za-z0-9_$",.]+$/.test(value)) {
      return { kind: 'unrebuildable', reason: 'other', detail: `set_config('${lname}', …) with a value SET cannot express` };
    }
    replay = value.trim();
  } else replay = quoteLiteral(value);
  return setEffect(lname, replay, isLocal);
}

export function booleanLiteral(s: string): boolean | null {
  const v = asciiLower(s.trim());
  if (v === 'true' || v === 't' || v === 'on' || v === 'yes' || v === 'y' || v === '1') return true;
  if (FALSE_WORDS.has(v)) return false;
  return null;
}

// ---------------------------------------------------------------------------------------
// Token readers for the lexer. Each returns null for any shape it is not sure about.

export interface Effect {
  command: string;
  write: boolean;
  session?: SessionEffect;
}

const wd = (t: readonly Token[], i: number): string | undefined => (t[i]?.k === WORD ? t[i]!.w : undefined);
const isP = (t: readonly Token[], i: number, p: string): boolean => t[i]?.k === PUNCT && t[i]!.w === p;

/** An identifier as PostgreSQL would name it: folded when unquoted, as written when quoted. */
export function nameAt(t: readonly Token[], i: number): string | null {
  const x = t[i];
  if (x === undefined) return null;
  if (x.k === WORD || x.k === QIDENT) return x.w;
  return null;
}

/** `a.b.c` from `i`; returns the name and the index after it. */
function dottedName(t: readonly Token[], i: number): { name: string; next: number } | null {
  const first = nameAt(t, i);
  if (first === null) return null;
  let name = first;
  i++;
  while (isP(t, i, '.') && nameAt(t, i + 1) !== null) {
    name += '.' + nameAt(t, i + 1)!;
    i += 2;
  }
  return { name, next: i };
}

/** SET value tokens from `i` to the end; raw text as written, 'DEFAULT', or null if odd. */
function setValue(sql: string, t: readonly Token[], i: number, allowAny = false): string | null {
  if (i >= t.length) return null;
  if (i + 1 === t.length && wd(t, i) === 'default') return 'DEFAULT';
  if (!allowAny) {
    for (let j = i; j < t.length; j++) {
      const x = t[j]!;
      if (x.k === WORD || x.k === QIDENT || x.k === STR || x.k === NUM) continue;
      if (x.k === PUNCT && (x.w === ',' || x.w === '-' || x.w === '+' || x.w === '.')) continue;
      return null;
    }
  }
  return sql.slice(t[i]!.s, t[t.length - 1]!.e);
}

export function parseSet(sql: string, t: readonly Token[]): Effect | null {
  let i = 1;
  let local = false;
  const w1 = wd(t, 1);
  const w2 = wd(t, 2);
  if ((w1 === 'local' || w1 === 'session') && !(w1 === 'session' && (w2 === 'authorization' || w2 === 'characteristics'))) {
    local = w1 === 'local';
    i = 2;
  }
  const a = wd(t, i);
  const b = wd(t, i + 1);
  const plain = (name: string, value: string | null): Effect | null =>
    value === null ? null : { command: 'SET', write: setWrites(name, value), session: setEffect(name, value, local) };

  if (a === 'time' && b === 'zone') {
    const x = wd(t, i + 2);
    if (i + 3 === t.length && (x === 'local' || x === 'default')) return plain('timezone', 'DEFAULT');
    // SET TIME ZONE INTERVAL '…' HOUR TO MINUTE is kept as written
    return plain('timezone', setValue(sql, t, i + 2, wd(t, i + 2) === 'interval'));
  }
  if (a === 'names') return plain('client_encoding', setValue(sql, t, i + 1));
  if (a === 'schema') return t.length === i + 2 && t[i + 1]!.k === STR ? plain('search_path', setValue(sql, t, i + 1)) : null;
  if (a === 'xml' && b === 'option') return t.length === i + 3 ? plain('xmloption', setValue(sql, t, i + 2)) : null;
  // SET ROLE x / SET SESSION AUTHORIZATION x; `SET role TO x` is the generic form below
  if (a === 'session' && b === 'authorization') {
    return t.length === i + 3 ? plain('session_authorization', setValue(sql, t, i + 2)) : null;
  }
  if (a === 'role' && t.length === i + 2) return plain('role', setValue(sql, t, i + 1));
  if (a === 'session' && b === 'characteristics') {
    if (local || wd(t, i + 2) !== 'as' || wd(t, i + 3) !== 'transaction') return null;
    const m = parseModes(t, i + 4);
    if (!m || m.count === 0) return null;
    const session = characteristicsEffect(m, 'session');
    return { command: 'SET', write: modesWrite(m), ...(session ? { session } : {}) };
  }
  if (a === 'transaction') {
    if (b === 'snapshot') {
      // a snapshot exported on one node means nothing on another
      return t.length === i + 3 && t[i + 2]!.k === STR ? { command: 'SET', write: true } : null;
    }
    const m = parseModes(t, i + 1);
    if (!m || m.count === 0) return null;
    const session = characteristicsEffect(m, 'transaction');
    return { command: 'SET', write: modesWrite(m), ...(session ? { session } : {}) };
  }
  if (a === 'constraints') {
    const last = wd(t, t.length - 1);
    return last === 'deferred' || last === 'immediate' ? { command: 'SET CONSTRAINTS', write: false } : null;
  }
  const n = dottedName(t, i);
  if (n === null) return null;
  const name = asciiLower(n.name);
  if (wd(t, n.next) === 'from' && wd(t, n.next + 1) === 'current' && n.next + 2 === t.length) {
    return { command: 'SET', write: false };
  }
  if (wd(t, n.next) !== 'to' && !isP(t, n.next, '=')) return null;
  return plain(name, setValue(sql, t, n.next + 1));
}

export function parseReset(t: readonly Token[]): Effect | null {
  const a = wd(t, 1);
  const b = wd(t, 2);
  const reset = (name: string): Effect => ({ command: 'RESET', write: false, session: { kind: 'reset', name } });
  if (a === 'all' && t.length === 2) return reset('all');
  if (a === 'time' && b === 'zone' && t.length === 3) return reset('timezone');
  if (a === 'session' && b === 'authorization' && t.length === 3) return reset('session_authorization');
  if (a === 'transaction' && b === 'isolation' && wd(t, 3) === 'level' && t.length === 4) return reset('transaction_isolation');
  const n = dottedName(t, 1);
  if (n === null || n.next !== t.length) return null;
  return reset(asciiLower(n.name));
}

export function parseDiscard(t: readonly Token[]): Effect | null {
  if (t.length !== 2) return null;
  const a = wd(t, 1);
  const what = a === 'temporary' ? 'temp' : a;
  if (what !== 'all' && what !== 'plans' && what !== 'sequences' && what !== 'temp') return null;
  return { command: 'DISCARD', write: false, session: { kind: 'discard', what } };
}

export function parseListen(t: readonly Token[]): Effect | null {
  const ch = nameAt(t, 1);
  if (ch === null || t.length !== 2) return null;
  return { command: 'LISTEN', write: true, session: { kind: 'listen', channel: ch } };
}

export function parseUnlisten(t: readonly Token[]): Effect | null {
  if (t.length !== 2) return null;
  if (isP(t, 1, '*')) return { command: 'UNLISTEN', write: true, session: { kind: 'unlisten', channel: null } };
  const ch = nameAt(t, 1);
  return ch === null ? null : { command: 'UNLISTEN', write: true, session: { kind: 'unlisten', channel: ch } };
}

export function parseNotify(t: readonly Token[]): Effect | null {
  if (nameAt(t, 1) === null) return null;
  if (t.length === 2 || (t.length === 4 && isP(t, 2, ',') && t[3]!.k === STR)) return { command: 'NOTIFY', write: true };
  return null;
}

export function parseDeallocate(t: readonly Token[]): Effect | null {
  let i = 1;
  if (wd(t, 1) === 'prepare' && t.length === 3) i = 2;
  if (i + 1 !== t.length) return null;
  if (wd(t, i) === 'all') return { command: 'DEALLOCATE', write: false, session: { kind: 'deallocate', name: null } };
  const name = nameAt(t, i);
  return name === null ? null : { command: 'DEALLOCATE', write: false, session: { kind: 'deallocate', name } };
}

/** DECLARE name … CURSOR [WITH|WITHOUT HOLD] FOR query: the index of the query, and WITH HOLD. */
export function parseDeclare(t: readonly Token[]): { name: string; hold: boolean; query: number } | null {
  const name = nameAt(t, 1);
  if (name === null) return null;
  let i = 2;
  while (i < t.length && wd(t, i) !== 'cursor') {
    const x = wd(t, i);
    if (x !== 'binary' && x !== 'asensitive' && x !== 'insensitive' && x !== 'no' && x !== 'scroll') return null;
    i++;
  }
  i++;
  let hold = false;
  if ((wd(t, i) === 'with' || wd(t, i) === 'without') && wd(t, i + 1) === 'hold') {
    hold = wd(t, i) === 'with';
    i += 2;
  }
  if (wd(t, i) !== 'for' || i + 1 >= t.length) return null;
  return { name, hold, query: i + 1 };
}

/** set_config(…) at token `i` (the name): its effect when all three arguments are literals. */
export function setConfigAt(sql: string, t: readonly Token[], i: number): SessionEffect {
  // i: set_config  i+1: (  i+2: name  i+3: ,  i+4: value  i+5: ,  i+6: is_local  i+7: )
  const lit = (k: number): string | null => (t[k]?.k === STR ? stringValue(sql, t[k]!, getStandardStrings()) : null);
  const shapeOk = isP(t, i + 1, '(') && isP(t, i + 3, ',') && isP(t, i + 5, ',') && isP(t, i + 7, ')');
  if (!shapeOk) return setConfigEffect(null, null, null);
  const b = t[i + 6]!;
  const isLocal = b.k === WORD ? booleanLiteral(b.w) : b.k === STR ? booleanLiteral(lit(i + 6) ?? '') : null;
  return setConfigEffect(lit(i + 2), lit(i + 4), isLocal);
}
