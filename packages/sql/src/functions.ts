/**
 * Which function calls make a statement a write.
 *
 * pgpool-II asks the primary for pg_proc.provolatile; a classifier that must answer in
 * microseconds without a catalog cannot. So this list is deliberately conservative:
 * built-ins that change data or cluster state, take locks, assign transaction ids, or
 * fail on a standby. Unqualified user functions are not on it (their volatility is for the
 * caller to look up from `functions`); any function qualified with a schema other than
 * pg_catalog is treated as a write, because that is how user code is usually called and
 * pgpool-II's write_function_list matches names as written.
 */

const WRITE_FUNCTIONS = new Set<string>([
  // sequences
  'nextval', 'setval', 'currval', 'lastval',
  // notifications
  'pg_notify',
  // advisory locks (session and transaction level; both only mean something on the primary)
  'pg_advisory_lock', 'pg_advisory_lock_shared', 'pg_try_advisory_lock', 'pg_try_advisory_lock_shared',
  'pg_advisory_xact_lock', 'pg_advisory_xact_lock_shared', 'pg_try_advisory_xact_lock',
  'pg_try_advisory_xact_lock_shared', 'pg_advisory_unlock', 'pg_advisory_unlock_shared', 'pg_advisory_unlock_all',
  // large objects without the lo_ prefix
  'loread', 'lowrite',
  // configuration and server state
  'set_config', 'pg_reload_conf', 'pg_rotate_logfile', 'pg_promote', 'pg_cancel_backend', 'pg_terminate_backend',
  'pg_log_backend_memory_contexts', 'pg_import_system_collations', 'pg_stat_statements_reset',
  // transaction ids and snapshots: assign an xid or only work on the primary
  'txid_current', 'txid_current_if_assigned', 'pg_current_xact_id', 'pg_current_xact_id_if_assigned',
  'pg_export_snapshot',
  // WAL and backups (fail during recovery)
  'pg_switch_wal', 'pg_create_restore_point', 'pg_backup_start', 'pg_backup_stop', 'pg_start_backup',
  'pg_stop_backup', 'pg_current_wal_lsn', 'pg_current_wal_insert_lsn', 'pg_current_wal_flush_lsn',
  'pg_walfile_name', 'pg_walfile_name_offset', 'pg_logical_emit_message',
  // replication slots
  'pg_create_physical_replication_slot', 'pg_create_logical_replication_slot', 'pg_drop_replication_slot',
  'pg_copy_physical_replication_slot', 'pg_copy_logical_replication_slot', 'pg_replication_slot_advance',
  'pg_logical_slot_get_changes', 'pg_logical_slot_get_binary_changes', 'pg_sync_replication_slots',
  // index maintenance
  'brin_summarize_new_values', 'brin_summarize_range', 'brin_desummarize_range', 'gin_clean_pending_list',
  'pg_truncate_visibility_map',
  // remote writes
  'dblink_exec',
]);

const WRITE_FUNCTION_PREFIXES = ['lo_', 'pg_stat_reset', 'pg_replication_origin_'];

const SEQUENCE_FUNCTIONS = new Set(['nextval', 'setval', 'currval', 'lastval']);

/** Session-level advisory locks survive the transaction, so a session holding one cannot be moved. */
const SESSION_ADVISORY_LOCKS = new Set([
  'pg_advisory_lock', 'pg_advisory_lock_shared', 'pg_try_advisory_lock', 'pg_try_advisory_lock_shared',
]);

/** The built-in's name if `name` (as written) refers to one: unqualified or pg_catalog-qualified. */
export function builtinName(name: string): string | null {
  const dot = name.indexOf('.');
  if (dot < 0) return name;
  if (name.startsWith('pg_catalog.') && name.indexOf('.', 11) < 0) return name.slice(11);
  return null;
}

export function isWriteFunction(name: string): boolean {
  const base = builtinName(name);
  if (base === null) return true;
  if (WRITE_FUNCTIONS.has(base)) return true;
  for (const p of WRITE_FUNCTION_PREFIXES) if (base.startsWith(p)) return true;
  return false;
}

export function isSequenceFunction(name: string): boolean {
  const base = builtinName(name);
  return base !== null && SEQUENCE_FUNCTIONS.has(base);
}

export function isSessionAdvisoryLock(name: string): boolean {
  const base = builtinName(name);
  return base !== null && SESSION_ADVISORY_LOCKS.has(base);
}

export function isSetConfig(name: string): boolean {
  return builtinName(name) === 'set_config';
}

export const WRITES = 1;
export const SEQUENCE = 2;
export const ADVISORY = 4;
export const SET_CONFIG = 8;

// function names repeat across statements (count, now, nextval…): remember their traits
const traitCache = new Map<string, number>();

/** WRITES | SEQUENCE | ADVISORY | SET_CONFIG bits for a function name as written. */
export function functionTraits(name: string): number {
  let t = traitCache.get(name);
  if (t === undefined) {
    t =
      (isWriteFunction(name) ? WRITES : 0) |
      (isSequenceFunction(name) ? SEQUENCE : 0) |
      (isSessionAdvisoryLock(name) ? ADVISORY : 0) |
      (isSetConfig(name) ? SET_CONFIG : 0);
    // names come from client SQL: bound the memo rather than trust its variety
    if (traitCache.size >= 4096) traitCache.clear();
    traitCache.set(name, t);
  }
  return t;
}

/** For documentation and tests: the exact-name part of the list. */
export function writeFunctionNames(): readonly string[] {
  return [...WRITE_FUNCTIONS];
}
export { WRITE_FUNCTION_PREFIXES };

/**
 * Words that the lexer sees followed by '(' but that are syntax, not function calls
 * (`IN (`, `numeric(10,2)`, `OVER (`…). Only applied to unqualified names; none of them is
 * a write function, so skipping them can never turn a write into a read.
 */
export const NOT_FUNCTION_WORDS = new Set<string>([
  // reserved keywords
  'all', 'analyse', 'analyze', 'and', 'any', 'array', 'as', 'asc', 'asymmetric', 'both', 'case', 'cast', 'check',
  'collate', 'column', 'constraint', 'create', 'current_catalog', 'current_date', 'current_role', 'current_time',
  'current_timestamp', 'current_user', 'default', 'deferrable', 'desc', 'distinct', 'do', 'else', 'end', 'except',
  'false', 'fetch', 'for', 'foreign', 'from', 'grant', 'group', 'having', 'in', 'initially', 'intersect', 'into',
  'lateral', 'leading', 'limit', 'localtime', 'localtimestamp', 'not', 'null', 'offset', 'on', 'only', 'or',
  'order', 'placing', 'primary', 'references', 'returning', 'select', 'session_user', 'some', 'symmetric',
  'system_user', 'table', 'then', 'to', 'trailing', 'true', 'union', 'unique', 'user', 'using', 'variadic', 'when',
  'where', 'window', 'with',
  // column-name keywords with their own syntax or type modifiers
  'between', 'bigint', 'bit', 'boolean', 'char', 'character', 'coalesce', 'dec', 'decimal', 'exists', 'float',
  'greatest', 'grouping', 'inout', 'int', 'integer', 'interval', 'least', 'national', 'nchar', 'none', 'nullif',
  'numeric', 'out', 'precision', 'real', 'row', 'setof', 'smallint', 'time', 'timestamp', 'values', 'varchar',
  // unreserved words that precede '(' in clauses
  'over', 'filter', 'rollup', 'cube', 'sets', 'conflict', 'key', 'by', 'varying', 'zone', 'set', 'materialized',
  'recursive', 'include', 'partition', 'like', 'ilike', 'similar', 'is', 'join', 'lock', 'nowait',
]);
