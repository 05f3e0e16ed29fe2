/**
 * The routing parameters of pgpool.conf, compiled once per configuration (regexes, lists)
 * and read on every statement. Parameters a session may change with PGPOOL SET are kept
 * apart so a session's overrides apply without recompiling the rest.
 */
import type { PgpoolConfig } from '@pgrelay/config';
import { anchoredRegex, parsePreferenceList, type Preference } from './preference';

export type DisableOnWrite = 'off' | 'transaction' | 'trans_transaction' | 'always' | 'dml_adaptive';

export interface RoutingSettings {
  /** Bumped for every compiled configuration, so per-statement caches know when to recompute. */
  generation: number;
  loadBalance: boolean;
  statementLevel: boolean;
  ignoreLeadingWhiteSpace: boolean;
  disableOnWrite: DisableOnWrite;
  /** dml_adaptive: object → objects to treat as written with it (functions spelled `f()`). */
  dmlRelations: Map<string, string[]>;
  writeFunctions: RegExp[];
  readOnlyFunctions: RegExp[];
  primaryPatterns: RegExp[];
  databaseRedirect: Preference[];
  appNameRedirect: Preference[];
  /** Bytes; 0 = no byte threshold. */
  delayThreshold: number;
  /** Milliseconds; > 0 replaces the byte threshold (lag then measured in microseconds). */
  delayThresholdByTime: number;
  preferLowerDelayStandby: boolean;
  checkTempTable: boolean;
}

/** The PGPOOL SET-able parameters routing and logging read, per session. */
export interface SessionSettings {
  allowSqlComments: boolean;
  checkUnloggedTable: boolean;
  logStatement: boolean;
  logPerNodeStatement: boolean;
  noticePerNodeStatement: boolean;
  clientIdleLimit: number;
}

let generation = 0;
const compiled = new WeakMap<PgpoolConfig, RoutingSettings>();

export function routingSettings(cfg: PgpoolConfig, warn: (msg: string) => void = () => undefined): RoutingSettings {
  let s = compiled.get(cfg);
  if (s === undefined) {
    s = compile(cfg, warn);
    compiled.set(cfg, s);
  }
  return s;
}

function list(v: unknown): string[] {
  if (Array.isArray(v)) return v.map(String);
  return String(v ?? '')
    .split(',')
    .map((x) => x.trim())
    .filter((x) => x !== '');
}

function regexes(v: unknown, warn: (msg: string) => void): RegExp[] {
  const out: RegExp[] = [];
  for (const src of list(v)) {
    const r = anchoredRegex(src, warn);
    if (r) out.push(r);
  }
  return out;
}

/**
 * dml_adaptive_object_relationship_list: `obj:dep,obj2:dep2` (pgpool's pairs); an entry without
 * a colon adds one more dependency to the object before it (`obj:dep1,dep2`). Functions are
 * written `f()`. Names compare case-insensitively.
 */
export function parseDmlRelations(value: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  let left: string | null = null;
  for (const raw of value.split(/[,;]/)) {
    const item = raw.trim().toLowerCase();
    if (item === '') continue;
    const colon = item.indexOf(':');
    let dep = item;
    if (colon > 0) {
      left = item.slice(0, colon).trim();
      dep = item.slice(colon + 1).trim();
    }
    if (left === null || dep === '') continue;
    const deps = out.get(left) ?? [];
    deps.push(dep);
    out.set(left, deps);
  }
  return out;
}

function compile(cfg: PgpoolConfig, warn: (msg: string) => void): RoutingSettings {
  const checkTemp = String(cfg.check_temp_table ?? 'catalog');
  return {
    generation: ++generation,
    loadBalance: cfg.load_balance_mode !== false,
    statementLevel: cfg.statement_level_load_balance === true,
    ignoreLeadingWhiteSpace: cfg.ignore_leading_white_space !== false,
    disableOnWrite: (String(cfg.disable_load_balance_on_write ?? 'transaction') as DisableOnWrite) || 'transaction',
    dmlRelations: parseDmlRelations(String(cfg.dml_adaptive_object_relationship_list ?? '')),
    writeFunctions: regexes(cfg.write_function_list, warn),
    readOnlyFunctions: regexes(cfg.read_only_function_list, warn),
    primaryPatterns: regexes(cfg.primary_routing_query_pattern_list, warn),
    databaseRedirect: parsePreferenceList(String(cfg.database_redirect_preference_list ?? ''), warn),
    appNameRedirect: parsePreferenceList(String(cfg.app_name_redirect_preference_list ?? ''), warn),
    delayThreshold: Number(cfg.delay_threshold ?? 0),
    delayThresholdByTime: Number(cfg.delay_threshold_by_time ?? 0),
    preferLowerDelayStandby: cfg.prefer_lower_delay_standby === true,
    checkTempTable: checkTemp !== 'none' && checkTemp !== 'off',
  };
}

/** A session's view: PGPOOL SET overrides first, then pgpool.conf. */
export function sessionSettings(cfg: PgpoolConfig, overrides: ReadonlyMap<string, unknown> | undefined): SessionSettings {
  const get = (name: string): unknown => (overrides?.has(name) ? overrides.get(name) : cfg[name]);
  return {
    allowSqlComments: get('allow_sql_comments') === true,
    checkUnloggedTable: get('check_unlogged_table') !== false,
    logStatement: get('log_statement') === true,
    logPerNodeStatement: get('log_per_node_statement') === true,
    noticePerNodeStatement: get('notice_per_node_statement') === true,
    clientIdleLimit: Number(get('client_idle_limit') ?? 0),
  };
}
