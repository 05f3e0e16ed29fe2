/**
 * GNU getopt_long as pgpool's pcp_* commands parse their arguments: clustered short flags
 * (-wv), attached or separate arguments (-n1, -n 1 — even "-n -h" takes "-h"), long options
 * by unambiguous prefix (--verb), "--" to stop, operands collected from anywhere. Its
 * diagnostics are reproduced because scripts and people read them.
 */

export interface LongOption {
  name: string;
  hasArg: boolean;
  /** The short option it stands for. */
  val: string;
}

export type OptEvent = { opt: string; arg?: string } | { opt: '?' };

export interface GetoptResult {
  events: OptEvent[];
  operands: string[];
  /** Diagnostics, each a full line, in order; getopt prints them as it meets the problem. */
  errors: string[];
}

/** Parses `args` (without argv[0]); stops at the first error, as the callers exit there. */
export function getoptLong(prog: string, args: string[], shortSpec: string, longOpts: LongOption[]): GetoptResult {
  const events: OptEvent[] = [];
  const operands: string[] = [];
  const errors: string[] = [];
  const takesArg = (c: string): boolean | undefined => {
    const i = shortSpec.indexOf(c);
    if (i < 0 || c === ':') return undefined;
    return shortSpec[i + 1] === ':';
  };

  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--') {
      operands.push(...args.slice(i + 1));
      break;
    }
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      const name = eq >= 0 ? a.slice(2, eq) : a.slice(2);
      const exact = longOpts.find((o) => o.name === name);
      const matches = exact ? [exact] : longOpts.filter((o) => o.name.startsWith(name));
      const distinct = [...new Map(matches.map((m) => [`${m.val}/${m.hasArg}`, m])).values()];
      if (distinct.length === 0) {
        errors.push(`${prog}: unrecognized option '${a}'`);
        events.push({ opt: '?' });
        return { events, operands, errors };
      }
      if (distinct.length > 1) {
        errors.push(`${prog}: option '${a}' is ambiguous; possibilities:${matches.map((m) => ` '--${m.name}'`).join('')}`);
        events.push({ opt: '?' });
        return { events, operands, errors };
      }
      const o = distinct[0]!;
      if (!o.hasArg) {
        if (eq >= 0) {
          errors.push(`${prog}: option '--${o.name}' doesn't allow an argument`);
          events.push({ opt: '?' });
          return { events, operands, errors };
        }
        events.push({ opt: o.val });
        continue;
      }
      if (eq >= 0) {
        events.push({ opt: o.val, arg: a.slice(eq + 1) });
      } else if (i + 1 < args.length) {
        events.push({ opt: o.val, arg: args[++i]! });
      } else {
        errors.push(`${prog}: option '--${o.name}' requires an argument`);
        events.push({ opt: '?' });
        return { events, operands, errors };
      }
      continue;
    }
    if (a.startsWith('-') && a.length > 1) {
      for (let j = 1; j < a.length; j++) {
        const c = a[j]!;
        const hasArg = takesArg(c);
        if (hasArg === undefined) {
          errors.push(`${prog}: invalid option -- '${c}'`);
          events.push({ opt: '?' });
          return { events, operands, errors };
        }
        if (!hasArg) {
          events.push({ opt: c });
          continue;
        }
        if (j + 1 < a.length) {
          events.push({ opt: c, arg: a.slice(j + 1) });
        } else if (i + 1 < args.length) {
          events.push({ opt: c, arg: args[++i]! });
        } else {
          errors.push(`${prog}: option requires an argument -- '${c}'`);
          events.push({ opt: '?' });
          return { events, operands, errors };
        }
        break;
      }
      continue;
    }
    operands.push(a);
  }
  return { events, operands, errors };
}

/** C atoi: leading blanks, optional sign, digits; anything else stops it; nothing = 0. */
export function atoi(s: string): number {
  const m = /^[ \t\n\v\f\r]*([+-]?\d+)/.exec(s);
  if (!m) return 0;
  const n = parseInt(m[1]!, 10);
  // int overflow wraps in practice; clamp so comparisons still reject it
  return Math.max(-2147483648, Math.min(2147483647, n));
}
