/** C-style formatting so the statistics read exactly as pgpool prints them. */

/** pgpool starts min_duration at INT_MAX and prints it as is until a check has been timed. */
export const INT_MAX = 2147483647;

/**
 * printf("%.Nf", x) as glibc does it: the double's exact decimal value, rounded half to even.
 * NaN prints as `-nan`: pgpool's averages divide 0.0 by 0 before the first check, and on x86
 * that NaN carries the sign bit (pgpool 4.3.5 shows `-nan`).
 */
export function printfF(x: number, digits = 6): string {
  if (Number.isNaN(x)) return '-nan';
  if (!Number.isFinite(x)) return x > 0 ? 'inf' : '-inf';
  const sign = x < 0 || Object.is(x, -0) ? '-' : '';
  const abs = Math.abs(x);
  // Above 1e21 toFixed switches to exponent form; nothing here gets near it.
  if (abs >= 1e21) return sign + abs.toFixed(digits);
  // toFixed(100) is exact for every double >= 2^-47; smaller ones round to 0 at 6 digits anyway.
  const exact = abs.toFixed(100);
  const dot = exact.indexOf('.');
  const kept = exact.slice(0, dot) + exact.slice(dot + 1, dot + 1 + digits);
  const rest = exact.slice(dot + 1 + digits);
  const lastOdd = Number(kept[kept.length - 1]) % 2 === 1;
  const up = rest[0]! > '5' || (rest[0] === '5' && (/[1-9]/.test(rest.slice(1)) || lastOdd));
  const digitsStr = up ? increment(kept) : kept;
  const intLen = digitsStr.length - digits;
  const out = digits > 0 ? `${digitsStr.slice(0, intLen)}.${digitsStr.slice(intLen)}` : digitsStr;
  return sign + out;
}

function increment(decimal: string): string {
  const d = decimal.split('');
  let i = d.length - 1;
  while (i >= 0) {
    if (d[i] === '9') {
      d[i] = '0';
      i--;
    } else {
      d[i] = String(Number(d[i]) + 1);
      return d.join('');
    }
  }
  return `1${d.join('')}`;
}

/** strftime("%F %T", localtime(t)) for a Unix time in ms (seconds precision, as pgpool). */
export function localTimestamp(ms: number): string {
  const t = new Date(Math.floor(ms / 1000) * 1000);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${t.getFullYear()}-${p(t.getMonth() + 1)}-${p(t.getDate())} ${p(t.getHours())}:${p(t.getMinutes())}:${p(t.getSeconds())}`;
}

/** pgpool leaves a never-happened time (0) empty. */
export const optionalTimestamp = (ms: number): string => (ms > 0 ? localTimestamp(ms) : '');
