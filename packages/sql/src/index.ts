/**
 * @pgrelay/sql — statement classification for routing and session replay.
 * Knows SQL, not nodes: what a statement is, whether it may write, and what it does to the
 * session. Results are cached by text and shared, so they are frozen.
 */
import { Lru } from './cache';
import { classifyUncached, split } from './pipeline';
import { isPgParserReady } from './pg-parser';
import { getStandardStrings, setStandardStrings } from './settings';
import { StatementInfo, blankInfo } from './types';

export type { AdminCommand, IsolationLevel, SessionEffect, StatementInfo, TxInfo } from './types';
export { initPgParser, isPgParserReady } from './pg-parser';
export { isWriteFunction, writeFunctionNames, WRITE_FUNCTION_PREFIXES } from './functions';
export { POOL_SHOW_COMMANDS } from './admin';

interface Entry {
  list: StatementInfo[];
  one?: StatementInfo;
}

const DEFAULT_CACHE_SIZE = 10_000;
// statements with huge inline literals are rarely repeated; caching them only costs memory
const MAX_CACHED_LENGTH = 32 * 1024;

const cache = new Lru<Entry>(DEFAULT_CACHE_SIZE);

function entry(sql: string): Entry {
  const hit = cache.get(sql);
  if (hit !== undefined) return hit;
  const list = classifyUncached(sql);
  for (const info of list) freezeInfo(info);
  const e: Entry = { list: Object.freeze(list) as StatementInfo[] };
  // a fallback computed before libpg-query was loaded may have a better answer later
  if (sql.length <= MAX_CACHED_LENGTH && (isPgParserReady() || !list.some((i) => i.parsedBy === 'fallback'))) {
    cache.set(sql, e);
  }
  return e;
}

// by field rather than by reflection: a generic deep freeze doubles the cost of a cache miss
function freezeInfo(i: StatementInfo): void {
  Object.freeze(i.functions);
  if (i.tx) Object.freeze(i.tx);
  if (i.session) Object.freeze(i.session);
  if (i.admin) Object.freeze(i.admin);
  if (i.copy) Object.freeze(i.copy);
  if (i.explain) Object.freeze(i.explain);
  Object.freeze(i);
}

/** One entry per statement of a (multi-statement) string, in order; [] for an empty one. */
export function classify(sql: string): StatementInfo[] {
  return entry(sql).list;
}

/**
 * One view of the whole string: what a Parse'd statement needs. For several statements
 * the flags are OR-ed, the command is the commands joined by ';', and tx/session/admin/
 * copy are left out (use classify() to see each statement's).
 */
export function classifyOne(sql: string): StatementInfo {
  const e = entry(sql);
  if (e.one === undefined) {
    e.one = combine(sql, e.list);
    freezeInfo(e.one);
  }
  return e.one;
}

function combine(sql: string, list: readonly StatementInfo[]): StatementInfo {
  if (list.length === 1) return list[0]!;
  if (list.length === 0) {
    // an empty query: PostgreSQL answers EmptyQueryResponse, any node can do that
    const info = blankInfo('', 'EMPTY', 'lexer');
    info.write = false;
    return info;
  }
  const rank = { lexer: 0, pg: 1, fallback: 2 } as const;
  const text = sql.trim();
  const info = blankInfo(text.endsWith(';') ? text.slice(0, -1).trimEnd() : text, list.map((i) => i.command).join(';'), 'lexer');
  info.write = false;
  const functions = new Set<string>();
  for (const i of list) {
    info.write ||= i.write;
    info.locksRows ||= i.locksRows;
    info.selectInto ||= i.selectInto;
    info.modifyingWith ||= i.modifyingWith;
    info.usesSequence ||= i.usesSequence;
    info.tempTable ||= i.tempTable;
    for (const f of i.functions) functions.add(f);
    if (rank[i.parsedBy] > rank[info.parsedBy]) info.parsedBy = i.parsedBy;
  }
  info.functions = [...functions];
  info.writeByFunction = info.write && list.every((i) => !i.write || i.writeByFunction);
  return info;
}

/** Statement texts (trimmed, without the ';'), split where PostgreSQL would split them. */
export function splitStatements(sql: string): string[] {
  return split(sql);
}

/** LRU size in entries; 0 disables caching. */
export function setCacheSize(n: number): void {
  cache.resize(n);
}

/**
 * Follows the backend's standard_conforming_strings (ParameterStatus): when off,
 * backslashes escape quotes in '' strings, which moves statement boundaries.
 */
export function standardConformingStrings(on: boolean): void {
  if (on === getStandardStrings()) return;
  setStandardStrings(on);
  cache.clear();
}
export { readsClock, rewriteTime, rewriteTimeAsParam } from './rewrite-time';
export { insertLockComment, insertTarget, type InsertTarget } from './rewrite-insert';
export { withClockDefaults, type TableColumn } from './rewrite-defaults';
