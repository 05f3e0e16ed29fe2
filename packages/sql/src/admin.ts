import { NUM, PUNCT, QIDENT, STR, Token, WORD, stringValue } from './lexer';
import { getStandardStrings } from './settings';
import type { AdminCommand } from './types';

/**
 * pgpool-II's own SQL commands, answered by the proxy and never sent to a backend:
 * SHOW POOL_* and PGPOOL SHOW|SET|RESET. PostgreSQL's grammar has no PGPOOL, so only the
 * lexer recognises these.
 */

export const POOL_SHOW_COMMANDS = new Set([
  'pool_nodes', 'pool_processes', 'pool_pools', 'pool_version', 'pool_status', 'pool_health_check_stats',
  'pool_backend_stats', 'pool_cache',
]);

const name = (t: readonly Token[], i: number): string | null => {
  const x = t[i];
  return x !== undefined && (x.k === WORD || x.k === QIDENT) ? x.w : null;
};
const isP = (t: readonly Token[], i: number, p: string): boolean => t[i]?.k === PUNCT && t[i]!.w === p;

/** SHOW pool_xxx (the caller has checked the first word is SHOW). */
export function poolShow(t: readonly Token[]): AdminCommand | null {
  const n = name(t, 1);
  return t.length === 2 && n !== null && POOL_SHOW_COMMANDS.has(n) ? { kind: 'show', what: n } : null;
}

/** `a.b` parameter name from `i`; pgpool's names are matched case-insensitively. */
function param(t: readonly Token[], i: number): { name: string; next: number } | null {
  let n = name(t, i);
  if (n === null) return null;
  i++;
  while (isP(t, i, '.') && name(t, i + 1) !== null) {
    n += '.' + name(t, i + 1)!;
    i += 2;
  }
  return { name: n.toLowerCase(), next: i };
}

/** PGPOOL SHOW|SET|RESET …; null when it is not a form pgpool-II accepts. */
export function pgpoolCommand(sql: string, t: readonly Token[]): AdminCommand | null {
  const verb = t[1]?.k === WORD ? t[1].w : null;
  if (verb === 'show' || verb === 'reset') {
    const p = param(t, 2);
    if (p === null || p.next !== t.length) return null;
    return verb === 'show' ? { kind: 'pgpool_show', name: p.name } : { kind: 'pgpool_reset', name: p.name };
  }
  if (verb !== 'set') return null;
  // 4.6+: PGPOOL SET CACHE DELETE '<query>'
  if (name(t, 2) === 'cache' && name(t, 3) === 'delete' && t.length === 5 && t[4]!.k === STR) {
    return { kind: 'pgpool_set', name: 'cache delete', value: stringValue(sql, t[4]!, getStandardStrings()) };
  }
  const p = param(t, 2);
  if (p === null) return null;
  let i = p.next;
  if (!isP(t, i, '=') && !(t[i]?.k === WORD && t[i]!.w === 'to')) return null;
  i++;
  if (i === t.length - 1 && t[i]!.k === WORD && t[i]!.w === 'default') return { kind: 'pgpool_set', name: p.name, value: null };
  const values: string[] = [];
  let sign = '';
  for (; i < t.length; i++) {
    const x = t[i]!;
    if (x.k === PUNCT && (x.w === '-' || x.w === '+') && sign === '') sign = x.w === '-' ? '-' : '';
    else if (x.k === PUNCT && x.w === ',' && values.length > 0) continue;
    else if (x.k === STR) values.push(stringValue(sql, x, getStandardStrings()) ?? sql.slice(x.s, x.e));
    else if (x.k === NUM) {
      values.push(sign + sql.slice(x.s, x.e));
      sign = '';
    } else if (x.k === WORD || x.k === QIDENT) values.push(x.w);
    else return null;
  }
  if (values.length === 0) return null;
  return { kind: 'pgpool_set', name: p.name, value: values.join(',') };
}
