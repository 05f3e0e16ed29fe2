/**
 * PGPOOL SHOW: one parameter as a one-column result named after it; a group (backend,
 * health_check, watchdog, heartbeat), an indexed parameter without its index, or ALL as
 * item | value | description rows. Values as pgpool-II 4.3.5 prints them (units, on/off,
 * ***** for secrets), this session's PGPOOL SET values included. Descriptions are pgrelay's.
 */
import { findParam, formatParamValue, PARAMS, type BackendConfig, type ParamSpec, type PgpoolConfig } from '@pgrelay/config';
import type { AdminSession } from './index';
import { ALL_ORDER } from './show-all-order';

export interface ShowRow {
  item: string;
  value: string;
  description: string;
}

export type ShowAnswer = { single: { column: string; value: string } } | { rows: ShowRow[] } | { notFound: true };

const BY_LOWER = new Map<string, ParamSpec>();
for (const p of PARAMS as readonly ParamSpec[]) {
  BY_LOWER.set(p.name.toLowerCase(), p);
  for (const a of p.aliases ?? []) BY_LOWER.set(a.toLowerCase(), p);
}

/** pgpool matches names without regard to case (delegate_IP). */
export const lookupParam = (name: string): ParamSpec | undefined => findParam(name) ?? BY_LOWER.get(name.toLowerCase());

const BACKEND_FIELDS: [string, (b: BackendConfig) => unknown][] = [
  ['backend_hostname', (b) => b.hostname],
  ['backend_port', (b) => b.port],
  ['backend_weight', (b) => b.weight],
  ['backend_data_directory', (b) => b.data_directory],
  ['backend_application_name', (b) => b.application_name],
  ['backend_flag', (b) => b.flag],
];

const HEALTH_FIELDS: [string, keyof BackendConfig['healthCheck']][] = [
  ['health_check_period', 'period'],
  ['health_check_timeout', 'timeout'],
  ['health_check_user', 'user'],
  ['health_check_password', 'password'],
  ['health_check_database', 'database'],
  ['health_check_max_retries', 'max_retries'],
  ['health_check_retry_delay', 'retry_delay'],
  ['connect_timeout', 'connect_timeout'],
];

const WATCHDOG_FIELDS = ['hostname', 'wd_port', 'pgpool_port'];
const HEARTBEAT_FIELDS: [string, string][] = [
  ['heartbeat_hostname', 'hostname'],
  ['heartbeat_port', 'port'],
  ['heartbeat_device', 'device'],
];

/** The value this session sees: its PGPOOL SET value, else the configured one. */
export function effectiveValue(config: PgpoolConfig, session: AdminSession, name: string): unknown {
  return session.overrides.has(name) ? session.overrides.get(name) : config[name];
}

function row(spec: ParamSpec, item: string, value: unknown): ShowRow {
  return { item, value: formatParamValue(spec, value), description: spec.description };
}

function backendRows(config: PgpoolConfig, only?: string): ShowRow[] {
  const out: ShowRow[] = [];
  for (const b of config.backends as BackendConfig[]) {
    for (const [name, get] of BACKEND_FIELDS) {
      if (only !== undefined && name !== only) continue;
      out.push(row(lookupParam(name)!, `${name}${b.id}`, get(b)));
    }
  }
  return out;
}

function healthRows(config: PgpoolConfig, session: AdminSession, only?: string): ShowRow[] {
  const fields = HEALTH_FIELDS.filter(([name]) => only === undefined || name === only);
  const out = fields.map(([name]) => row(lookupParam(name)!, name, effectiveValue(config, session, name)));
  for (const b of config.backends as BackendConfig[]) {
    for (const [name, key] of fields) out.push(row(lookupParam(name)!, `${name}${b.id}`, b.healthCheck[key]));
  }
  return out;
}

function watchdogRows(config: PgpoolConfig, only?: string): ShowRow[] {
  const out: ShowRow[] = [];
  for (const n of (config.watchdog_nodes as unknown as Record<string, unknown>[] | undefined) ?? []) {
    for (const f of WATCHDOG_FIELDS) {
      if (only !== undefined && f !== only) continue;
      out.push(row(lookupParam(f)!, `${f}${String(n.id)}`, n[f]));
    }
  }
  return out;
}

function heartbeatRows(config: PgpoolConfig, only?: string): ShowRow[] {
  const out: ShowRow[] = [];
  for (const h of (config.heartbeat_destinations as unknown as Record<string, unknown>[] | undefined) ?? []) {
    for (const [name, key] of HEARTBEAT_FIELDS) {
      if (only !== undefined && name !== only) continue;
      out.push(row(lookupParam(name)!, `${name}${String(h.id)}`, h[key]));
    }
  }
  return out;
}

const GROUP_NAMES = new Set(['backend', 'health_check', 'watchdog', 'heartbeat']);

function groupRows(group: string, config: PgpoolConfig, session: AdminSession): ShowRow[] {
  switch (group) {
    case 'backend': return backendRows(config);
    case 'health_check': return healthRows(config, session);
    case 'watchdog': return watchdogRows(config);
    default: return heartbeatRows(config);
  }
}

/** Every parameter: the groups first, then pgpool 4.3.5's order, then what 4.3.5 did not have. */
function allRows(config: PgpoolConfig, session: AdminSession): ShowRow[] {
  const out = [...backendRows(config), ...healthRows(config, session), ...watchdogRows(config), ...heartbeatRows(config)];
  const grouped = new Set([...BACKEND_FIELDS.map(([n]) => n), ...HEALTH_FIELDS.map(([n]) => n), ...WATCHDOG_FIELDS, ...HEARTBEAT_FIELDS.map(([n]) => n)]);
  const listed = new Set(ALL_ORDER);
  const later = (PARAMS as readonly ParamSpec[]).filter((p) => !listed.has(p.name) && !grouped.has(p.name) && p.indexed !== 'required').map((p) => p.name);
  for (const name of [...ALL_ORDER, ...later]) {
    const spec = lookupParam(name);
    if (spec && name in config) out.push(row(spec, spec.name, effectiveValue(config, session, spec.name)));
  }
  return out;
}

export function pgpoolShow(name: string, config: PgpoolConfig, session: AdminSession): ShowAnswer {
  const lower = name.toLowerCase();
  if (lower === 'all') return { rows: allRows(config, session) };
  if (GROUP_NAMES.has(lower)) return { rows: groupRows(lower, config, session) };
  const spec = lookupParam(lower);
  if (spec) {
    if (spec.indexed === 'required') {
      if (spec.group === 'backend') return { rows: backendRows(config, spec.name) };
      if (spec.name.startsWith('heartbeat_')) return { rows: heartbeatRows(config, spec.name) };
      return { rows: watchdogRows(config, spec.name) };
    }
    if (spec.indexed === 'optional') return { rows: healthRows(config, session, spec.name) };
    return { single: { column: spec.name, value: formatParamValue(spec, effectiveValue(config, session, spec.name)) } };
  }
  // backend_hostname1, health_check_period0, hostname0 ...
  const m = /^(.*?)(\d+)$/.exec(lower);
  const base = m ? lookupParam(m[1]!) : undefined;
  if (m && base?.indexed) {
    const item = `${base.name}${Number(m[2])}`;
    const candidates = [...backendRows(config), ...healthRows(config, session), ...watchdogRows(config), ...heartbeatRows(config)];
    const hit = candidates.find((r) => r.item === item);
    if (hit) return { single: { column: item, value: hit.value } };
  }
  return { notFound: true };
}
