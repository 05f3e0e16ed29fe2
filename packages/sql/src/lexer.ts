/**
 * A PostgreSQL-compatible tokenizer and statement splitter.
 *
 * It follows scan.l closely enough that it never disagrees with the server about where
 * quotes, comments and statements end, and whenever it cannot be sure it says so
 * (`problem`), so the caller can ask the real parser instead of guessing.
 */

export const WORD = 1; // unquoted identifier or keyword; `w` is its ASCII-lower-cased text
export const QIDENT = 2; // "quoted identifier"; `w` is its value
export const STR = 3; // any string constant ('', E'', U&'', B'', X'', N'', $tag$$tag$); `w` is ''
export const NUM = 4;
export const PARAM = 5; // $1
export const PUNCT = 6; // ( ) [ ] , ; . : :: and single operator characters; `w` is the text

export interface Token {
  k: number;
  s: number; // offset in the source string (UTF-16 units)
  e: number;
  w: string;
  d: number; // parenthesis depth the token sits at (a '(' and its ')' share the outer depth)
}

export interface RawStatement {
  start: number; // after the previous ';' (or 0)
  end: number; // before this statement's ';' (or the end of input)
  tokens: Token[];
  /** why the lexer cannot vouch for this statement; null when it can */
  problem: string | null;
  /** the statement's end itself may be wrong (BEGIN ATOMIC bodies, ';' inside parentheses) */
  splitUnsure: boolean;
}

function isIdentStart(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95 || c >= 128;
}
function isIdentCont(c: number): boolean {
  return isIdentStart(c) || (c >= 48 && c <= 57) || c === 36;
}
function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}
// scan.l's {space}: also \v since PostgreSQL 16
function isSpace(c: number): boolean {
  return c === 32 || c === 9 || c === 10 || c === 13 || c === 12 || c === 11;
}
// characters that make up operators in scan.l ({op_chars})
function isOpChar(c: number): boolean {
  switch (c) {
    case 126: case 33: case 64: case 35: case 94: case 38: case 124: case 96: case 63:
    case 43: case 45: case 42: case 47: case 37: case 60: case 62: case 61:
      return true;
  }
  return false;
}

/** Lower-cases ASCII letters only, as PostgreSQL's downcase_identifier does for UTF-8. */
export function asciiLower(s: string): string {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 128) return s.replace(/[A-Z]+/g, (m) => m.toLowerCase());
  }
  return s.toLowerCase();
}

/**
 * After a closing quote, scan.l lets a string continue if only whitespace containing a
 * newline (and `--` comments ending in newlines) separates it from another quote; the
 * continuation keeps the escaping rules of the first part. Returns the index of that
 * quote, or -1.
 */
function continuationQuote(sql: string, i: number): number {
  const n = sql.length;
  while (i < n) {
    const c = sql.charCodeAt(i);
    if (c === 32 || c === 9 || c === 12) i++;
    else break;
  }
  if (i >= n) return -1;
  let c = sql.charCodeAt(i);
  if (c !== 10 && c !== 13) return -1;
  i++;
  while (i < n) {
    c = sql.charCodeAt(i);
    if (isSpace(c)) i++;
    else if (c === 45 && sql.charCodeAt(i + 1) === 45) {
      while (i < n && sql.charCodeAt(i) !== 10 && sql.charCodeAt(i) !== 13) i++;
      if (i >= n) return -1;
    } else break;
  }
  return i < n && sql.charCodeAt(i) === 39 ? i : -1;
}

/** Returns the index after the closing quote of a '…' literal starting at `q` (the quote), or -1. */
function scanQuoted(sql: string, q: number, backslashes: boolean): number {
  const n = sql.length;
  let i = q + 1;
  for (;;) {
    if (i >= n) return -1;
    const c = sql.charCodeAt(i);
    if (c === 39) {
      if (sql.charCodeAt(i + 1) === 39) {
        i += 2;
        continue;
      }
      const next = continuationQuote(sql, i + 1);
      if (next < 0) return i + 1;
      i = next + 1;
      continue;
    }
    if (c === 92 && backslashes) {
      i += 2;
      continue;
    }
    i++;
  }
}

/**
 * Splits `sql` into statements and tokenizes them.
 * `standardStrings`: standard_conforming_strings (off: backslash escapes in '' too).
 */
export function lex(sql: string, standardStrings = true): RawStatement[] {
  const out: RawStatement[] = [];
  const n = sql.length;
  let tokens: Token[] = [];
  let start = 0;
  let depth = 0;
  let problem: string | null = null;
  let splitUnsure = false;
  // psql's heuristic for CREATE FUNCTION/PROCEDURE … BEGIN ATOMIC … END bodies
  let beginDepth = 0;
  let i = 0;

  const finish = (end: number): void => {
    if (depth > 0 && problem === null) {
      problem = 'unbalanced parentheses';
      splitUnsure = true;
    }
    if (tokens.length > 0 || problem !== null) out.push({ start, end, tokens, problem, splitUnsure });
    tokens = [];
    depth = 0;
    problem = null;
    splitUnsure = false;
    beginDepth = 0;
  };
  const fail = (why: string): void => {
    if (problem === null) problem = why;
  };
  const push = (k: number, s: number, e: number, w: string): void => {
    tokens.push({ k, s, e, w, d: depth });
  };

  while (i < n) {
    const c = sql.charCodeAt(i);
    if (isSpace(c)) {
      i++;
      continue;
    }
    // -- comment
    if (c === 45 && sql.charCodeAt(i + 1) === 45) {
      i += 2;
      while (i < n) {
        const d = sql.charCodeAt(i);
        if (d === 10 || d === 13) break;
        i++;
      }
      continue;
    }
    // /* nested comment */
    if (c === 47 && sql.charCodeAt(i + 1) === 42) {
      let nest = 1;
      i += 2;
      while (i < n && nest > 0) {
        const d = sql.charCodeAt(i);
        if (d === 47 && sql.charCodeAt(i + 1) === 42) {
          nest++;
          i += 2;
        } else if (d === 42 && sql.charCodeAt(i + 1) === 47) {
          nest--;
          i += 2;
        } else i++;
      }
      if (nest > 0) {
        fail('unterminated /* comment');
        break;
      }
      continue;
    }
    if (isIdentStart(c)) {
      const s = i;
      const next = sql.charCodeAt(i + 1);
      // one-letter prefixes of string constants: E'' B'' X'' N''; and U&'' / U&""
      if (next === 39) {
        const lc = c | 32;
        if (lc === 101 || lc === 98 || lc === 120 || lc === 110) {
          const e = scanQuoted(sql, i + 1, lc === 101 || (!standardStrings && lc === 110));
          if (e < 0) {
            fail('unterminated quoted string');
            break;
          }
          push(STR, s, e, '');
          i = e;
          continue;
        }
      } else if (next === 38 && (c | 32) === 117) {
        const q = sql.charCodeAt(i + 2);
        if (q === 39) {
          const e = scanQuoted(sql, i + 2, false);
          if (e < 0) {
            fail('unterminated quoted string');
            break;
          }
          push(STR, s, e, '');
          i = e;
          continue;
        }
        if (q === 34) {
          // U&"…" needs escape processing (and UESCAPE) the lexer does not do
          fail('unicode-escaped identifier');
        }
      }
      // fold while scanning: most words need no case change at all
      let upper = c >= 65 && c <= 90;
      let high = c >= 128;
      i++;
      for (; i < n; i++) {
        const d = sql.charCodeAt(i);
        if (d >= 97 && d <= 122) continue;
        if (!isIdentCont(d)) break;
        if (d >= 65 && d <= 90) upper = true;
        else if (d >= 128) high = true;
      }
      const raw = sql.slice(s, i);
      const w = !upper ? raw : high ? asciiLower(raw) : raw.toLowerCase();
      push(WORD, s, i, w);
      if (beginDepth > 0 || w === 'begin') trackAtomic(w);
      continue;
    }
    if (c === 39) {
      const e = scanQuoted(sql, i, !standardStrings);
      if (e < 0) {
        fail('unterminated quoted string');
        break;
      }
      push(STR, i, e, '');
      i = e;
      continue;
    }
    if (c === 34) {
      let j = i + 1;
      let value = '';
      let from = j;
      for (;;) {
        if (j >= n) {
          j = -1;
          break;
        }
        if (sql.charCodeAt(j) === 34) {
          if (sql.charCodeAt(j + 1) === 34) {
            value += sql.slice(from, j + 1);
            j += 2;
            from = j;
            continue;
          }
          value += sql.slice(from, j);
          j++;
          break;
        }
        j++;
      }
      if (j < 0) {
        fail('unterminated quoted identifier');
        break;
      }
      if (value.length === 0) fail('zero-length delimited identifier');
      push(QIDENT, i, j, value);
      i = j;
      continue;
    }
    if (c === 36) {
      const d = sql.charCodeAt(i + 1);
      if (isDigit(d)) {
        let j = i + 1;
        while (j < n && isDigit(sql.charCodeAt(j))) j++;
        if (j < n && isIdentStart(sql.charCodeAt(j))) fail('trailing junk after parameter');
        push(PARAM, i, j, '');
        i = j;
        continue;
      }
      // $tag$ … $tag$ — the tag may not start with a digit and never contains '$'
      let j = i + 1;
      if (j < n && isIdentStart(sql.charCodeAt(j))) {
        j++;
        while (j < n && isIdentCont(sql.charCodeAt(j)) && sql.charCodeAt(j) !== 36) j++;
      }
      if (sql.charCodeAt(j) !== 36) {
        fail('unexpected $');
        push(PUNCT, i, i + 1, '$');
        i++;
        continue;
      }
      const delim = sql.slice(i, j + 1);
      const close = sql.indexOf(delim, j + 1);
      if (close < 0) {
        fail('unterminated dollar-quoted string');
        break;
      }
      push(STR, i, close + delim.length, '');
      i = close + delim.length;
      continue;
    }
    if (isDigit(c) || (c === 46 && isDigit(sql.charCodeAt(i + 1)))) {
      const s = i;
      const lc1 = sql.charCodeAt(i + 1) | 32;
      if (c === 48 && (lc1 === 120 || lc1 === 111 || lc1 === 98)) {
        // 0x.. 0o.. 0b.. (PostgreSQL 16); junk is caught below
        i += 2;
        while (i < n && (isDigit(sql.charCodeAt(i)) || sql.charCodeAt(i) === 95 || isHexLetter(sql.charCodeAt(i)))) i++;
      } else {
        while (i < n && (isDigit(sql.charCodeAt(i)) || sql.charCodeAt(i) === 95)) i++;
        // `1..2` is not a number followed by `.2` in any form the lexer needs to get right
        if (sql.charCodeAt(i) === 46 && sql.charCodeAt(i + 1) !== 46) {
          i++;
          while (i < n && (isDigit(sql.charCodeAt(i)) || sql.charCodeAt(i) === 95)) i++;
        }
        if ((sql.charCodeAt(i) | 32) === 101) {
          let j = i + 1;
          const sign = sql.charCodeAt(j);
          if (sign === 43 || sign === 45) j++;
          if (isDigit(sql.charCodeAt(j))) {
            i = j;
            while (i < n && (isDigit(sql.charCodeAt(i)) || sql.charCodeAt(i) === 95)) i++;
          }
        }
      }
      // PostgreSQL 15+ rejects `123abc`; older versions read it as `123 abc`
      if (i < n && isIdentStart(sql.charCodeAt(i))) fail('trailing junk after numeric literal');
      push(NUM, s, i, '');
      continue;
    }
    switch (c) {
      case 40: // (
        push(PUNCT, i, i + 1, '(');
        depth++;
        i++;
        continue;
      case 41: // )
        if (depth === 0) {
          fail('unbalanced parentheses');
          splitUnsure = true;
        } else depth--;
        push(PUNCT, i, i + 1, ')');
        i++;
        continue;
      case 59: // ;
        if (depth > 0 || beginDepth > 0) {
          // psql and the server would not end the statement here
          fail(beginDepth > 0 ? 'BEGIN ATOMIC body' : "';' inside parentheses");
          splitUnsure = true;
          push(PUNCT, i, i + 1, ';');
          i++;
          continue;
        }
        finish(i);
        i++;
        start = i;
        continue;
      case 58: // : or ::
        if (sql.charCodeAt(i + 1) === 58) {
          push(PUNCT, i, i + 2, '::');
          i += 2;
        } else {
          push(PUNCT, i, i + 1, ':');
          i++;
        }
        continue;
      case 91: case 93: case 44: case 46: // [ ] , .
        push(PUNCT, i, i + 1, sql[i]!);
        i++;
        continue;
    }
    if (isOpChar(c)) {
      // one token per character: `--` and `/*` inside an operator start comments (checked above)
      push(PUNCT, i, i + 1, sql[i]!);
      i++;
      continue;
    }
    fail('unexpected character');
    push(PUNCT, i, i + 1, sql[i]!);
    i++;
  }
  finish(n);
  return out;

  function trackAtomic(w: string): void {
    if (depth > 0) return;
    if (w === 'begin') {
      if (beginDepth > 0 || isRoutineDefinition(tokens)) {
        beginDepth++;
        if (problem === null) problem = 'BEGIN ATOMIC body';
        splitUnsure = true;
      }
    } else if (w === 'case') beginDepth++;
    else if (w === 'end') beginDepth--;
  }
}

function isHexLetter(c: number): boolean {
  const l = c | 32;
  return l >= 97 && l <= 102;
}

/** CREATE [OR REPLACE] FUNCTION|PROCEDURE — the only statements whose bodies may contain ';'. */
function isRoutineDefinition(t: Token[]): boolean {
  if (t.length < 2 || t[0]!.w !== 'create' || t[0]!.k !== WORD) return false;
  let i = 1;
  if (t[1]!.w === 'or' && t[2]?.w === 'replace') i = 3;
  const w = t[i]?.w;
  return w === 'function' || w === 'procedure';
}

/** The text of a string constant token, with quotes removed and escapes applied where simple. */
export function stringValue(sql: string, t: Token, standardStrings = true): string | null {
  const raw = sql.slice(t.s, t.e);
  const c = raw.charCodeAt(0);
  if (c === 36) {
    const open = raw.indexOf('$', 1);
    return raw.slice(open + 1, raw.length - open - 1);
  }
  let body: string;
  let backslashes = !standardStrings;
  if (c === 39) body = raw;
  else if ((c | 32) === 101) {
    body = raw.slice(1);
    backslashes = true;
  } else if ((c | 32) === 110) body = raw.slice(1);
  else return null; // B'', X'', U&'' are never names or settings the lexer needs to read
  // glue continuation pieces back together
  const parts: string[] = [];
  let i = 0;
  while (i < body.length) {
    if (body.charCodeAt(i) !== 39) {
      i++;
      continue;
    }
    let j = i + 1;
    let piece = '';
    for (;;) {
      const ch = body.charCodeAt(j);
      if (ch === 39) {
        if (body.charCodeAt(j + 1) === 39) {
          piece += "'";
          j += 2;
          continue;
        }
        break;
      }
      if (ch === 92 && backslashes) {
        const nx = body[j + 1]!;
        piece += nx === 'n' ? '\n' : nx === 't' ? '\t' : nx === 'r' ? '\r' : nx === 'b' ? '\b' : nx === 'f' ? '\f' : nx;
        j += 2;
        continue;
      }
      piece += body[j];
      j++;
    }
    parts.push(piece);
    i = j + 1;
  }
  return parts.join('');
}
