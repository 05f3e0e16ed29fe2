/**
 * Parsing of single parameter values, following PostgreSQL's GUC rules that pgpool copied:
 * integers may be hex (`0x..`) or octal (leading `0`), may be fractional (rounded half to
 * even, like C's rint()), and may carry a unit that is converted to the parameter's own unit.
 */
import type { ParamUnit } from './param-types';

export const INT_MAX = 2147483647;

const MEMORY_UNITS: Record<string, number> = { B: 1, kB: 1024, MB: 1024 ** 2, GB: 1024 ** 3, TB: 1024 ** 4 };
const TIME_UNITS_MS: Record<string, number> = { us: 0.001, ms: 1, s: 1000, min: 60_000, h: 3_600_000, d: 86_400_000 };

/** Size of one of the parameter's own units, in bytes or milliseconds. */
function baseSize(unit: ParamUnit): { table: Record<string, number>; size: number } {
  switch (unit) {
    case 'bytes': return { table: MEMORY_UNITS, size: 1 };
    case 'kB': return { table: MEMORY_UNITS, size: 1024 };
    case 'ms': return { table: TIME_UNITS_MS, size: 1 };
    case 's': return { table: TIME_UNITS_MS, size: 1000 };
    case 'min': return { table: TIME_UNITS_MS, size: 60_000 };
  }
}

export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  // Math.round rounds .5 up; rint() rounds it to the even neighbour.
  if (Math.abs(x % 1) === 0.5 && r % 2 !== 0) return r - 1;
  return r;
}

const NUMERIC = /^\s*([+-]?)(0[xX][0-9A-Fa-f]+|\d+\.?\d*(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?)\s*([A-Za-z]*)\s*$/;

/** Returns the value in the parameter's unit, or undefined when it is not a valid integer spelling. */
export function parseIntValue(raw: string, unit: ParamUnit | undefined): number | undefined {
  const m = NUMERIC.exec(raw);
  if (!m) return undefined;
  const [, sign, digits, unitText] = m as unknown as [string, string, string, string];
  let n: number;
  if (/^0[xX]/.test(digits)) n = parseInt(digits.slice(2), 16);
  else if (/^0\d+$/.test(digits)) {
    if (!/^0[0-7]+$/.test(digits)) return undefined;
    n = parseInt(digits, 8);
  } else n = Number(digits);
  if (!Number.isFinite(n)) return undefined;
  if (sign === '-') n = -n;
  if (unitText !== '') {
    if (!unit) return undefined;
    const { table, size } = baseSize(unit);
    const mult = table[unitText];
    if (mult === undefined) return undefined;
    n = (n * mult) / size;
  }
  return roundHalfEven(n);
}

export function parseRealValue(raw: string): number | undefined {
  const m = NUMERIC.exec(raw);
  if (!m || m[3] !== '') return undefined;
  const digits = m[2]!;
  const n = /^0[xX]/.test(digits) ? parseInt(digits.slice(2), 16) : Number(digits);
  if (!Number.isFinite(n)) return undefined;
  return m[1] === '-' ? -n : n;
}

/** PostgreSQL's parse_bool: on/off/true/false/yes/no/1/0, any unique prefix, case-insensitive. */
export function parseBoolValue(raw: string): boolean | undefined {
  const v = raw.trim().toLowerCase();
  if (v === '') return undefined;
  if ('true'.startsWith(v) || 'yes'.startsWith(v)) return true;
  if ('false'.startsWith(v) || 'no'.startsWith(v)) return false;
  if (v === '1') return true;
  if (v === '0') return false;
  // A lone 'o' could be on or off.
  if (v.length >= 2 && 'on'.startsWith(v)) return true;
  if (v.length >= 2 && 'off'.startsWith(v)) return false;
  return undefined;
}

/**
 * Splits a list value. Elements are trimmed and empty ones dropped. Lists of regexes separated
 * by `;` allow `\;` for a literal semicolon and `\'` for a quote.
 */
export function splitList(raw: string, sep: ',' | ';', escapes = false): string[] {
  const out: string[] = [];
  let cur = '';
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i]!;
    if (escapes && c === '\\' && (raw[i + 1] === sep || raw[i + 1] === "'")) {
      cur += raw[i + 1];
      i++;
    } else if (c === sep) {
      out.push(cur);
      cur = '';
    } else {
      cur += c;
    }
  }
  out.push(cur);
  return out.map((s) => s.trim()).filter((s) => s !== '');
}

/** PGPOOL SHOW prints a positive value in the largest unit that divides it exactly. */
export function formatWithUnit(value: number, unit: ParamUnit): string {
  if (value <= 0 || !Number.isInteger(value)) return String(value);
  const { table, size } = baseSize(unit);
  const names = Object.keys(table).sort((a, b) => table[b]! - table[a]!);
  const base = value * size;
  for (const name of names) {
    const mult = table[name]!;
    if (mult < size) break;
    if (base % mult === 0) return `${base / mult}${name}`;
  }
  return `${value}${unit === 'bytes' ? 'B' : unit}`;
}
