import { ADVISORY, NOT_FUNCTION_WORDS, SEQUENCE, SET_CONFIG, WRITES, functionTraits } from './functions';
import { PUNCT, QIDENT, Token, WORD } from './lexer';
import { setConfigAt } from './session-effects';
import type { SessionEffect } from './types';

/**
 * One pass over a statement's tokens collecting everything that can make a read a write:
 * DML keywords, locking clauses, INTO, and function calls (an identifier followed by '(').
 * It errs towards seeing too much — a column named `update` reads as DML — never too little.
 */
export interface Features {
  functions: string[];
  writeFunction: boolean;
  usesSequence: boolean;
  /** INSERT/UPDATE/DELETE/MERGE anywhere (not counting FOR UPDATE) */
  dml: boolean;
  /** the same inside parentheses: in a WITH statement, a data-modifying CTE */
  dmlNested: boolean;
  locksRows: boolean;
  /** token index of an INTO that is not INSERT INTO / MERGE INTO, or -1 */
  into: number;
  /** first session-level effect a function call has (advisory lock, set_config) */
  effect: SessionEffect | null;
}

const LOCK_AFTER_FOR = new Set(['update', 'share', 'no', 'key']);
// after these, `name(` declares or names something (a relation's columns, an alias, a
// routine's signature, a prepared statement's arguments) rather than calling a function
const NOT_CALL_AFTER = new Set([
  'as', 'into', 'references', 'with', 'recursive', 'table', 'view', 'exists', 'execute', 'function', 'procedure',
  'routine', 'aggregate',
]);

export function scanFeatures(sql: string, t: readonly Token[], from = 0, to = t.length): Features {
  const f: Features = {
    functions: [],
    writeFunction: false,
    usesSequence: false,
    dml: false,
    dmlNested: false,
    locksRows: false,
    into: -1,
    effect: null,
  };
  for (let i = from; i < to; i++) {
    const x = t[i]!;
    if (x.k === WORD) {
      // a switch compares lengths before contents; Set.has would hash every word
      switch (x.w) {
        case 'update': {
          const prev = i > from ? t[i - 1]! : null;
          // FOR UPDATE / FOR NO KEY UPDATE are locking clauses, not statements
          if (!(prev !== null && prev.k === WORD && (prev.w === 'for' || prev.w === 'key'))) {
            f.dml = true;
            if (x.d > 0) f.dmlNested = true;
          }
          break;
        }
        case 'insert':
        case 'delete':
        case 'merge':
          f.dml = true;
          if (x.d > 0) f.dmlNested = true;
          break;
        case 'for': {
          const nx = t[i + 1];
          if (nx !== undefined && nx.k === WORD && LOCK_AFTER_FOR.has(nx.w)) f.locksRows = true;
          break;
        }
        case 'into': {
          const prev = i > from ? t[i - 1]! : null;
          if (f.into < 0 && !(prev !== null && prev.k === WORD && (prev.w === 'insert' || prev.w === 'merge'))) f.into = i;
          break;
        }
      }
    }
    if ((x.k === WORD || x.k === QIDENT) && i + 1 < to) {
      const nx = t[i + 1]!;
      if (nx.k === PUNCT && nx.w === '(') call(f, sql, t, i, from);
    }
  }
  return f;
}

function call(f: Features, sql: string, t: readonly Token[], i: number, from: number): void {
  let name = t[i]!.w;
  let j = i;
  while (j - 2 >= from && t[j - 1]!.k === PUNCT && t[j - 1]!.w === '.' && (t[j - 2]!.k === WORD || t[j - 2]!.k === QIDENT)) {
    name = t[j - 2]!.w + '.' + name;
    j -= 2;
  }
  // a statement's first word is its command (`COPY (`, `VALUES (`), never a call
  if (j === from) return;
  if (j === i && t[i]!.k === WORD && NOT_FUNCTION_WORDS.has(name)) return;
  const before = j > from ? t[j - 1]! : null;
  if (before !== null && before.k === WORD && NOT_CALL_AFTER.has(before.w)) return;
  if (!f.functions.includes(name)) f.functions.push(name);
  const traits = functionTraits(name);
  if (traits === 0) return;
  if (traits & WRITES) f.writeFunction = true;
  if (traits & SEQUENCE) f.usesSequence = true;
  if (f.effect === null) {
    if (traits & ADVISORY) f.effect = { kind: 'unrebuildable', reason: 'advisory_lock', detail: name };
    else if (traits & SET_CONFIG) {
      const e = setConfigAt(sql, t, i);
      if (!(e.kind === 'set' && e.local)) f.effect = e;
    }
  }
}
