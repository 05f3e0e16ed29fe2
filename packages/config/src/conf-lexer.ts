import * as fs from 'node:fs';
import * as path from 'node:path';
import { ConfigError } from './errors';

/** One `name = value` line, with quotes already removed from the value. */
export interface ConfEntry {
  name: string;
  value: string;
  quoted: boolean;
  file: string;
  line: number;
}

/** pgpool stops following `include` after this many levels. */
export const MAX_INCLUDE_DEPTH = 10;

export type IncludeReader = (absPath: string) => string;

const NAME_START = /[A-Za-z_\u0080-\uffff]/;
const NAME = /[A-Za-z_\u0080-\uffff][A-Za-z0-9_\u0080-\uffff]*/y;
// Numbers may carry unit letters (`64MB`, `10s`); a real may too, which pgpool's lexer tolerates.
const NUMBER = /[+-]?(?:0[xX][0-9A-Fa-f]+|\d+\.?\d*(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?)[A-Za-z]*/y;
const WORD = /[A-Za-z_\u0080-\uffff][A-Za-z0-9_\u0080-\uffff.:\/-]*/y;

/**
 * Splits pgpool.conf text into entries, following `include` directives.
 * The grammar is pgpool's: anything it would reject is a syntax error here too, except that
 * `''` inside a quoted string is read as one quote (pgpool rejects it; accepting it cannot
 * change the meaning of a file pgpool accepts).
 */
export function lexConf(text: string, file: string, read: IncludeReader = defaultRead, depth = 0): ConfEntry[] {
  const out: ConfEntry[] = [];
  const lines = text.replace(/\r/g, '').split('\n');
  for (let i = 0; i < lines.length; i++) {
    const lineNo = i + 1;
    const entry = lexLine(lines[i]!, file, lineNo);
    if (!entry) continue;
    if (entry.name.toLowerCase() === 'include') {
      out.push(...lexInclude(entry, read, depth));
    } else {
      out.push(entry);
    }
  }
  return out;
}

function defaultRead(absPath: string): string {
  return fs.readFileSync(absPath, 'utf8');
}

function lexInclude(entry: ConfEntry, read: IncludeReader, depth: number): ConfEntry[] {
  if (depth + 1 > MAX_INCLUDE_DEPTH) {
    throw new ConfigError({
      file: entry.file, line: entry.line, key: 'include',
      problem: `too many nested includes ('${entry.value}')`, expected: `at most ${MAX_INCLUDE_DEPTH} levels`,
    });
  }
  const target = path.resolve(path.dirname(path.resolve(entry.file)), entry.value);
  let text: string;
  try {
    text = read(target);
  } catch (e) {
    throw new ConfigError({
      file: entry.file, line: entry.line, key: 'include',
      problem: `cannot read '${target}': ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
      expected: 'a readable file (relative paths are relative to the including file)',
    });
  }
  return lexConf(text, target, read, depth + 1);
}

function syntaxError(file: string, line: number, key: string | undefined, rest: string, expected: string): never {
  const token = rest.trim().split(/\s+/)[0] ?? '';
  const at = token === '' ? 'end of line' : `'${token}'`;
  throw new ConfigError({ file, line, key, problem: `syntax error at ${at}`, expected });
}

function skipSpace(s: string, pos: number): number {
  while (pos < s.length && (s[pos] === ' ' || s[pos] === '\t' || s[pos] === '\f' || s[pos] === '\v')) pos++;
  return pos;
}

function lexLine(s: string, file: string, line: number): ConfEntry | undefined {
  let pos = skipSpace(s, 0);
  if (pos >= s.length || s[pos] === '#') return undefined;

  if (!NAME_START.test(s[pos]!)) syntaxError(file, line, undefined, s.slice(pos), 'a parameter name');
  NAME.lastIndex = pos;
  const name = NAME.exec(s)![0];
  pos = skipSpace(s, pos + name.length);
  if (s[pos] === '=') pos = skipSpace(s, pos + 1);

  if (pos >= s.length || s[pos] === '#') syntaxError(file, line, name, '', 'a value');

  let value: string;
  let quoted = false;
  if (s[pos] === "'") {
    const r = readQuoted(s, pos);
    if (!r) syntaxError(file, line, name, s.slice(pos), 'a closing quote');
    value = r.value;
    pos = r.end;
    quoted = true;
  } else {
    const m = matchAt(NUMBER, s, pos) ?? matchAt(WORD, s, pos);
    if (!m) syntaxError(file, line, name, s.slice(pos), 'a quoted string, number or word');
    value = m;
    pos += m.length;
  }

  pos = skipSpace(s, pos);
  if (pos < s.length && s[pos] !== '#') syntaxError(file, line, name, s.slice(pos), 'end of line or a # comment');
  return { name, value, quoted, file, line };
}

function matchAt(re: RegExp, s: string, pos: number): string | undefined {
  re.lastIndex = pos;
  const m = re.exec(s);
  return m ? m[0] : undefined;
}

/** Backslashes only protect the next character from ending the string; they stay in the value (pgpool does the same). */
function readQuoted(s: string, start: number): { value: string; end: number } | undefined {
  let value = '';
  let i = start + 1;
  while (i < s.length) {
    const c = s[i]!;
    if (c === '\\' && i + 1 < s.length) {
      value += c + s[i + 1];
      i += 2;
    } else if (c === "'") {
      if (s[i + 1] === "'") {
        value += "'";
        i += 2;
      } else {
        return { value, end: i + 1 };
      }
    } else {
      value += c;
      i++;
    }
  }
  return undefined;
}
