import { PUNCT, QIDENT, STR, Token, WORD } from './lexer';
import type { IsolationLevel, TxInfo } from './types';

/** Transaction control read from tokens: BEGIN, START, COMMIT/END, ROLLBACK/ABORT, SAVEPOINT, RELEASE, 2PC. */

export interface TxModes {
  isolation?: IsolationLevel;
  readOnly?: boolean;
  deferrable?: boolean;
  count: number;
}

const w = (t: readonly Token[], i: number): string | undefined => (t[i]?.k === WORD ? t[i]!.w : undefined);

/** transaction_mode_list starting at `i`, to the end of the tokens; null if anything else is there. */
export function parseModes(t: readonly Token[], i: number): TxModes | null {
  const m: TxModes = { count: 0 };
  while (i < t.length) {
    const a = w(t, i);
    const b = w(t, i + 1);
    if (t[i]!.k === PUNCT && t[i]!.w === ',' && m.count > 0) {
      i++;
      continue;
    }
    if (a === 'isolation' && b === 'level') {
      const c = w(t, i + 2);
      const d = w(t, i + 3);
      if (c === 'serializable') {
        m.isolation = 'serializable';
        i += 3;
      } else if (c === 'repeatable' && d === 'read') {
        m.isolation = 'repeatable read';
        i += 4;
      } else if (c === 'read' && (d === 'committed' || d === 'uncommitted')) {
        m.isolation = d === 'committed' ? 'read committed' : 'read uncommitted';
        i += 4;
      } else return null;
    } else if (a === 'read' && (b === 'only' || b === 'write')) {
      m.readOnly = b === 'only';
      i += 2;
    } else if (a === 'deferrable') {
      m.deferrable = true;
      i += 1;
    } else if (a === 'not' && b === 'deferrable') {
      m.deferrable = false;
      i += 2;
    } else return null;
    m.count++;
  }
  return m;
}

export interface TxResult {
  command: string;
  write: boolean;
  tx: TxInfo;
}

function withModes(kind: 'begin', m: TxModes): TxInfo {
  const tx: TxInfo = { kind };
  if (m.isolation !== undefined) tx.isolation = m.isolation;
  if (m.readOnly !== undefined) tx.readOnly = m.readOnly;
  if (m.deferrable !== undefined) tx.deferrable = m.deferrable;
  return tx;
}

/** [AND [NO] CHAIN] at `i`, which must end the statement. */
function chainAt(t: readonly Token[], i: number): { ok: boolean; chain?: boolean } {
  if (i === t.length) return { ok: true };
  if (w(t, i) === 'and' && w(t, i + 1) === 'chain' && i + 2 === t.length) return { ok: true, chain: true };
  if (w(t, i) === 'and' && w(t, i + 1) === 'no' && w(t, i + 2) === 'chain' && i + 3 === t.length) return { ok: true, chain: false };
  return { ok: false };
}

const isName = (t: readonly Token[], i: number): boolean => t[i]?.k === WORD || t[i]?.k === QIDENT;

/** Returns null when the statement is not a form the lexer is sure about. */
export function parseTx(t: readonly Token[]): TxResult | null {
  const w0 = w(t, 0);
  let i = 1;
  const skipWork = (): void => {
    const x = w(t, i);
    if (x === 'work' || x === 'transaction') i++;
  };
  switch (w0) {
    case 'begin': {
      skipWork();
      const m = parseModes(t, i);
      return m && { command: 'BEGIN', write: false, tx: withModes('begin', m) };
    }
    case 'start': {
      if (w(t, 1) !== 'transaction') return null;
      const m = parseModes(t, 2);
      return m && { command: 'START TRANSACTION', write: false, tx: withModes('begin', m) };
    }
    case 'commit':
    case 'end':
    case 'rollback':
    case 'abort': {
      const commit = w0 === 'commit' || w0 === 'end';
      if ((w0 === 'commit' || w0 === 'rollback') && w(t, 1) === 'prepared') {
        if (t.length !== 3 || t[2]!.k !== STR) return null;
        return {
          command: commit ? 'COMMIT PREPARED' : 'ROLLBACK PREPARED',
          write: true,
          tx: { kind: commit ? 'commit_prepared' : 'rollback_prepared' },
        };
      }
      skipWork();
      if (!commit && w(t, i) === 'to') {
        i++;
        if (w(t, i) === 'savepoint' && i + 2 === t.length) i++;
        if (!isName(t, i) || i + 1 !== t.length) return null;
        return { command: 'ROLLBACK', write: false, tx: { kind: 'rollback_to' } };
      }
      const c = chainAt(t, i);
      if (!c.ok) return null;
      const tx: TxInfo = { kind: commit ? 'commit' : 'rollback' };
      if (c.chain) tx.chain = true;
      return { command: commit ? 'COMMIT' : 'ROLLBACK', write: false, tx };
    }
    case 'savepoint':
      if (t.length !== 2 || !isName(t, 1)) return null;
      return { command: 'SAVEPOINT', write: false, tx: { kind: 'savepoint' } };
    case 'release':
      if (w(t, 1) === 'savepoint' && t.length === 3) i = 2;
      if (i + 1 !== t.length || !isName(t, i)) return null;
      return { command: 'RELEASE', write: false, tx: { kind: 'release' } };
    case 'prepare':
      if (w(t, 1) !== 'transaction' || t.length !== 3 || t[2]!.k !== STR) return null;
      return { command: 'PREPARE TRANSACTION', write: true, tx: { kind: 'prepare_transaction' } };
  }
  return null;
}
