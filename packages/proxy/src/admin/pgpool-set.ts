/**
 * PGPOOL SET / PGPOOL RESET: per-session values of the parameters pgpool lets a session
 * change (apply mode "session"), validated as pgpool-II 4.3.5 validates them, with its
 * errors and command tags (RESET of one parameter answers "SET", as 4.3.5 does).
 */
import { parseBoolValue, parseIntValue, parseRealValue, splitList, type ParamSpec } from '@pgrelay/config';
import type { AdminSession } from './index';
import { lookupParam } from './pgpool-show';

export type SetOutcome = { tag: 'SET' | 'RESET' } | { error: string };

const unknown = (name: string): SetOutcome => ({ error: `unrecognized configuration parameter "${name}"` });
const fixed = (name: string): SetOutcome => ({ error: `invalid Context, value for parameter "${name}" cannot be changed` });

/** The parsed value, or undefined when `raw` is not a valid value for `spec`. */
export function parseValue(spec: ParamSpec, raw: string): unknown {
  switch (spec.type) {
    case 'bool':
      return parseBoolValue(raw);
    case 'int': {
      const n = parseIntValue(raw, spec.unit);
      if (n === undefined || (spec.min !== undefined && n < spec.min) || (spec.max !== undefined && n > spec.max)) return undefined;
      return n;
    }
    case 'real': {
      const n = parseRealValue(raw);
      if (n === undefined || (spec.min !== undefined && n < spec.min) || (spec.max !== undefined && n > spec.max)) return undefined;
      return n;
    }
    case 'enum': {
      const v = raw.trim().toLowerCase();
      const canonical = spec.valueAliases?.[v] ?? v;
      return spec.values?.includes(canonical) ? canonical : undefined;
    }
    case 'list':
      return splitList(raw, spec.separator ?? ',', spec.listEscapes ?? false);
    default:
      return raw;
  }
}

export function pgpoolSet(name: string, value: string | null, session: AdminSession): SetOutcome {
  const spec = lookupParam(name);
  if (!spec || spec.indexed === 'required') return unknown(name);
  if (spec.apply !== 'session') return fixed(spec.name);
  if (value === null) {
    session.overrides.delete(spec.name);
    return { tag: 'SET' };
  }
  const parsed = parseValue(spec, value);
  if (parsed === undefined) return { error: `invalid value for parameter "${spec.name}": "${value}"` };
  session.overrides.set(spec.name, parsed);
  return { tag: 'SET' };
}

export function pgpoolReset(name: string, session: AdminSession): SetOutcome {
  if (name.toLowerCase() === 'all') {
    session.overrides.clear();
    return { tag: 'RESET' };
  }
  return pgpoolSet(name, null, session);
}
