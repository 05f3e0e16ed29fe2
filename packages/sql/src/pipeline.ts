import { classifyTokens, statementText } from './classify';
import { commandTag } from './command-tag';
import { scanFeatures } from './features';
import { RawStatement, lex } from './lexer';
import { classifyWithPg, isPgParserReady, splitWithPg } from './pg-parser';
import { getStandardStrings } from './settings';
import { StatementInfo, blankInfo } from './types';

/**
 * Lexer first; libpg-query for what the lexer will not vouch for; "write" for what neither
 * can read. When the lexer doubts where a statement ends (BEGIN ATOMIC, ';' in
 * parentheses) the whole string goes to libpg-query, since every later boundary is in doubt too.
 */
export function classifyUncached(sql: string): StatementInfo[] {
  const stmts = lex(sql, getStandardStrings());
  if (stmts.length === 0) return [];
  const infos: (StatementInfo | null)[] = [];
  let unsure = false;
  let splitUnsure = false;
  for (const st of stmts) {
    const info = safely(() => classifyTokens(sql, st));
    infos.push(info);
    if (info === null) {
      unsure = true;
      if (st.splitUnsure) splitUnsure = true;
    }
  }
  if (!unsure) return infos as StatementInfo[];
  if (isPgParserReady() && (splitUnsure || stmts.length === 1)) {
    const all = classifyWithPg(sql);
    if (all !== null && all.length > 0) return all;
  }
  return stmts.map((st, i) => infos[i] ?? pgOne(sql, st) ?? fallback(sql, st));
}

/** A classifier bug must cost a statement its load balancing, never the session. */
function safely(fn: () => StatementInfo | null): StatementInfo | null {
  try {
    return fn();
  } catch {
    return null;
  }
}

function pgOne(sql: string, st: RawStatement): StatementInfo | null {
  if (!isPgParserReady()) return null;
  const r = classifyWithPg(statementText(sql, st));
  return r !== null && r.length === 1 ? r[0]! : null;
}

/** Neither parser could read it: the primary gets it, and the server will say what is wrong. */
function fallback(sql: string, st: RawStatement): StatementInfo {
  const info = blankInfo(statementText(sql, st), commandTag(st.tokens), 'fallback');
  const f = scanFeatures(sql, st.tokens);
  info.functions = f.functions;
  info.usesSequence = f.usesSequence;
  return info;
}

export function split(sql: string): string[] {
  const stmts = lex(sql, getStandardStrings());
  if (stmts.some((s) => s.splitUnsure)) {
    const pg = splitWithPg(sql);
    if (pg !== null) return pg;
  }
  return stmts.map((st) => statementText(sql, st));
}
