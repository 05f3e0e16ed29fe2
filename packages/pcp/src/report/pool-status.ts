/**
 * The rows of pgpool-II 4.3.5's `SHOW POOL_STATUS` and `pcp_pool_status`: item, value,
 * description, in pgpool's fixed order. Values are printed the way 4.3.5 prints them —
 * booleans and enums as integers, units in the base unit, unset lists as "(null)" where
 * 4.3.5 prints a NULL pointer — so scripts that parse the output keep working.
 * Descriptions are the strings 4.3.5 reports, cut to its 79-character limit.
 */
import type { PgpoolConfig } from '@pgrelay/config';
import type { ClusterState } from '@pgrelay/cluster';
import { ctimeString, fixed6 } from './format';
import { nodeSlots, statusName } from './nodes';

export interface StatusRow {
  item: string;
  value: string;
  description: string;
}

export interface PoolStatusInput {
  config: PgpoolConfig;
  /** Settings as written in pgpool.conf (ExplicitSetting.raw), to show paths as configured. */
  raw?: (key: string) => string | undefined;
  state: ClusterState;
  /** Unix ms the query cache statistics started (pgpool: its start). */
  statsStartedAt: number;
}

type Value = (c: PgpoolConfig, input: PoolStatusInput) => string;

const LOG_LEVELS: Record<string, number> = {
  debug5: 10, debug4: 11, debug3: 12, debug2: 13, debug1: 14, log: 15, info: 17, notice: 18, warning: 19, error: 20, fatal: 21, panic: 22,
};
const CODES: Record<string, Record<string, number>> = {
  backend_clustering_mode: {
    streaming_replication: 1, native_replication: 2, logical_replication: 3, slony: 4, raw: 5, snapshot_isolation: 6,
  },
  log_error_verbosity: { terse: 0, default: 1, verbose: 2 },
  client_min_messages: LOG_LEVELS,
  log_min_messages: LOG_LEVELS,
  log_standby_delay: { always: 1, if_over_threshold: 2, none: 3 },
  disable_load_balance_on_write: { off: 1, transaction: 2, trans_transaction: 3, always: 4, dml_adaptive: 5 },
  check_temp_table: { catalog: 1, trace: 2, none: 3, on: 4, off: 5 },
  relcache_query_target: { primary: 1, load_balance_node: 2 },
  wd_lifecheck_method: { query: 1, heartbeat: 2, external: 3 },
  memqcache_method: { shmem: 1, memcached: 2 },
};

const text = (v: unknown, sep = ','): string => (Array.isArray(v) ? v.join(sep) : v === undefined || v === null ? '' : String(v));
const str = (key: string, sep = ','): Value => (c) => text(c[key], sep);
const int: (key: string) => Value = (key) => (c) => String(Math.trunc(Number(c[key] ?? 0)));
const bool: (key: string) => Value = (key) => (c) => (c[key] === true ? '1' : '0');
const code: (key: string) => Value = (key) => (c) => String(CODES[key]![String(c[key])] ?? 0);
/** As written in pgpool.conf, not resolved against its directory. */
const path: (key: string) => Value = (key) => (c, input) => input.raw?.(key) ?? text(c[key]);
/** 4.3.5 prints an unset list of this kind through a NULL pointer. */
const orNull: (key: string) => Value = (key) => (c) => text(c[key]) || '(null)';

const GENERAL: [string, Value, string][] = [
  ['backend_clustering_mode', code('backend_clustering_mode'), 'clustering mode'],
  ['listen_addresses', str('listen_addresses'), 'host name(s) or IP address(es) to listen on'],
  ['port', int('port'), 'pgpool accepting port number'],
  ['socket_dir', str('unix_socket_directories'), 'pgpool socket directory'],
  ['pcp_listen_addresses', str('pcp_listen_addresses'), 'host name(s) or IP address(es) for pcp process to listen on'],
  ['pcp_port', int('pcp_port'), 'PCP port # to bind'],
  ['pcp_socket_dir', str('pcp_socket_dir'), 'PCP socket directory'],
  ['enable_pool_hba', bool('enable_pool_hba'), 'if true, use pool_hba.conf for client authentication'],
  ['pool_passwd', path('pool_passwd'), 'file name of pool_passwd for md5 authentication'],
  ['authentication_timeout', int('authentication_timeout'), 'maximum time in seconds to complete client authentication'],
  ['allow_clear_text_frontend_auth', bool('allow_clear_text_frontend_auth'), 'allow to use clear text password auth when pool_passwd does not contain passwor'],
  ['ssl', bool('ssl'), 'SSL support'],
  ['ssl_key', path('ssl_key'), 'SSL private key file'],
  ['ssl_cert', path('ssl_cert'), 'SSL public certificate file'],
  ['ssl_ca_cert', path('ssl_ca_cert'), 'single PEM format file containing CA root certificate(s)'],
  ['ssl_ca_cert_dir', path('ssl_ca_cert_dir'), 'directory containing CA root certificate(s)'],
  ['ssl_crl_file', path('ssl_crl_file'), 'SSL certificate revocation list file'],
  ['ssl_ciphers', str('ssl_ciphers'), 'allowed SSL ciphers'],
  ['ssl_prefer_server_ciphers', bool('ssl_prefer_server_ciphers'), "Use server's SSL cipher preferences"],
  ['ssl_ecdh_curve', str('ssl_ecdh_curve'), 'the curve to use in ECDH key exchange'],
  ['ssl_dh_params_file', path('ssl_dh_params_file'), 'path to the Diffie-Hellman parameters contained file'],
  ['ssl_passphrase_command', str('ssl_passphrase_command'), 'external command to be invoked when a passphrase for decrypting an SSL file suc'],
  ['num_init_children', int('num_init_children'), '# of children initially pre-forked'],
  ['listen_backlog_multiplier', int('listen_backlog_multiplier'), 'determines the size of the queue for pending connections'],
  ['serialize_accept', bool('serialize_accept'), 'whether to serialize accept() call'],
  ['reserved_connections', int('reserved_connections'), 'number of reserved connections'],
  ['max_pool', int('max_pool'), 'max # of connection pool per child'],
  ['child_life_time', int('child_life_time'), 'if idle for this seconds, child exits'],
  ['child_max_connections', int('child_max_connections'), 'if max_connections received, child exits'],
  ['connection_life_time', int('connection_life_time'), 'if idle for this seconds, connection closes'],
  ['client_idle_limit', int('client_idle_limit'), 'if idle for this seconds, child connection closes'],
  ['log_destination', str('log_destination'), 'logging destination'],
  ['log_line_prefix', str('log_line_prefix'), 'printf-style string to output at beginning of each log line'],
  ['log_error_verbosity', code('log_error_verbosity'), 'controls how much detail about error should be emitted'],
  ['client_min_messages', code('client_min_messages'), 'controls which message should be sent to client'],
  ['log_min_messages', code('log_min_messages'), 'controls which message should be emitted to server log'],
  ['log_connections', bool('log_connections'), 'if true, print incoming connections to the log'],
  ['log_disconnections', bool('log_disconnections'), 'if true, print closing connections to the log'],
  ['log_hostname', bool('log_hostname'), 'if true, resolve hostname for ps and log print'],
  ['log_statement', bool('log_statement'), 'if non 0, logs all SQL statements'],
  ['log_per_node_statement', bool('log_per_node_statement'), 'if non 0, logs all SQL statements on each node'],
  ['log_client_messages', bool('log_client_messages'), 'if non 0, logs any client messages'],
  ['log_standby_delay', code('log_standby_delay'), 'how to log standby delay'],
  ['syslog_facility', str('syslog_facility'), 'syslog local facility'],
  ['syslog_ident', str('syslog_ident'), 'syslog program ident string'],
  ['pid_file_name', path('pid_file_name'), 'path to pid file'],
  ['logdir', path('logdir'), 'PgPool status file logging directory'],
  ['connection_cache', bool('connection_cache'), 'if true, cache connection pool'],
  ['reset_query_list', str('reset_query_list', ';'), 'queries issued at the end of session'],
  ['replicate_select', bool('replicate_select'), 'non 0 if SELECT statement is replicated'],
  ['insert_lock', bool('insert_lock'), 'insert lock'],
  ['lobj_lock_table', str('lobj_lock_table'), 'table name used for large object replication control'],
  ['replication_stop_on_mismatch', bool('replication_stop_on_mismatch'), 'stop replication mode on fatal error'],
  ['failover_if_affected_tuples_mismatch', bool('failover_if_affected_tuples_mismatch'), 'failover if affected tuples are mismatch'],
  ['load_balance_mode', bool('load_balance_mode'), 'non 0 if operating in load balancing mode'],
  ['ignore_leading_white_space', bool('ignore_leading_white_space'), 'ignore leading white spaces'],
  ['read_only_function_list', str('read_only_function_list'), 'functions those do not write to database'],
  ['write_function_list', str('write_function_list'), 'functions those write to database'],
  ['primary_routing_query_pattern_list', str('primary_routing_query_pattern_list', ';'), 'query patterns that should be sent to primary node'],
  ['disable_load_balance_on_write', code('disable_load_balance_on_write'), 'Load balance behavior when write query is received'],
  ['dml_adaptive_object_relationship_list', orNull('dml_adaptive_object_relationship_list'), 'list of relationships between objects'],
  ['statement_level_load_balance', bool('statement_level_load_balance'), 'statement level load balancing'],
  ['sr_check_period', int('sr_check_period'), 'sr check period'],
  ['sr_check_user', str('sr_check_user'), 'sr check user'],
  ['sr_check_database', str('sr_check_database'), 'sr check database'],
  ['delay_threshold', int('delay_threshold'), 'standby delay threshold'],
  ['prefer_lower_delay_standby', bool('prefer_lower_delay_standby'), 'load balancing considering streaming delay'],
  ['follow_primary_command', str('follow_primary_command'), 'follow primary command'],
  ['database_redirect_preference_list', orNull('database_redirect_preference_list'), 'redirect by database name'],
  ['app_name_redirect_preference_list', orNull('app_name_redirect_preference_list'), 'redirect by application name'],
  ['allow_sql_comments', bool('allow_sql_comments'), 'allow SQL comments'],
  ['health_check_period', int('health_check_period'), 'health check period'],
  ['health_check_timeout', int('health_check_timeout'), 'health check timeout'],
  ['health_check_user', str('health_check_user'), 'health check user'],
  ['health_check_database', str('health_check_database'), 'health check database'],
  ['health_check_max_retries', int('health_check_max_retries'), 'health check max retries'],
  ['health_check_retry_delay', int('health_check_retry_delay'), 'health check retry delay'],
  ['connect_timeout', int('connect_timeout'), 'connect timeout'],
  ['failover_command', str('failover_command'), 'failover command'],
  ['failback_command', str('failback_command'), 'failback command'],
  ['failover_on_backend_error', bool('failover_on_backend_error'), 'failover on backend error'],
  ['failover_on_backend_shutdown', bool('failover_on_backend_shutdown'), 'failover on backend shutdown'],
  ['detach_false_primary', bool('detach_false_primary'), 'detach false primary'],
  ['auto_failback', bool('auto_failback'), 'auto_failback'],
  ['auto_failback_interval', int('auto_failback_interval'), 'auto_failback_interval'],
  ['recovery_user', str('recovery_user'), 'online recovery user'],
  ['recovery_1st_stage_command', str('recovery_1st_stage_command'), 'execute a command in first stage.'],
  ['recovery_2nd_stage_command', str('recovery_2nd_stage_command'), 'execute a command in second stage.'],
  ['recovery_timeout', int('recovery_timeout'), "max time in seconds to wait for the recovering node's postmaster"],
  ['search_primary_node_timeout', int('search_primary_node_timeout'), 'max time in seconds to search for primary node after failover'],
  ['client_idle_limit_in_recovery', int('client_idle_limit_in_recovery'), 'if idle for this seconds, child connection closes in recovery 2nd stage'],
  ['relcache_expire', int('relcache_expire'), 'relation cache expiration time in seconds'],
  ['relcache_size', int('relcache_size'), 'number of relation cache entry'],
  ['check_temp_table', code('check_temp_table'), 'enable temporary table check'],
  ['check_unlogged_table', bool('check_unlogged_table'), 'enable unlogged table check'],
  ['enable_shared_relcache', bool('enable_shared_relcache'), 'If true, relation cache stored in memory cache'],
  ['relcache_query_target', code('relcache_query_target'), 'Target node to send relcache queries'],
  ['use_watchdog', bool('use_watchdog'), 'non 0 if operating in use_watchdog'],
  ['wd_ipc_socket_dir', str('wd_ipc_socket_dir'), 'watchdog ipc socket directory'],
  ['wd_lifecheck_method', code('wd_lifecheck_method'), 'method of watchdog lifecheck'],
  ['clear_memqcache_on_escalation', bool('clear_memqcache_on_escalation'), 'If true, clear all the query caches in shared memory when escalation occurs'],
  ['wd_escalation_command', str('wd_escalation_command'), 'command executed when escalation occurs'],
  ['wd_de_escalation_command', str('wd_de_escalation_command'), 'command executed when leader pgpool resigns occurs'],
  ['trusted_servers', str('trusted_servers'), 'upper server list to observe connection'],
  ['delegate_IP', str('delegate_IP'), 'delegate IP address of leader pgpool'],
  ['wd_priority', int('wd_priority'), 'watchdog priority'],
  ['wd_interval', int('wd_interval'), 'life check interval (second)'],
  ['ping_path', str('ping_path'), 'path to ping command'],
  ['if_cmd_path', str('if_cmd_path'), 'path to interface up/down command'],
  ['if_up_cmd', str('if_up_cmd'), 'virtual interface up command with full parameters'],
  ['if_down_cmd', str('if_down_cmd'), 'virtual interface down command with full parameters'],
  ['arping_path', str('arping_path'), 'path to arping command'],
  ['arping_cmd', str('arping_cmd'), 'send ARP REQUEST to neighbour host'],
  ['wd_heartbeat_keepalive', int('wd_heartbeat_keepalive'), 'interval time of sending heartbeat signal (sec)'],
  ['wd_heartbeat_deadtime', int('wd_heartbeat_deadtime'), 'deadtime interval for heartbeat signal (sec)'],
  ['wd_life_point', int('wd_life_point'), 'retry times of life check'],
  ['wd_lifecheck_query', str('wd_lifecheck_query'), 'lifecheck query to pgpool from watchdog'],
  ['wd_lifecheck_dbname', str('wd_lifecheck_dbname'), 'database name connected for lifecheck'],
  ['wd_lifecheck_user', str('wd_lifecheck_user'), 'watchdog user monitoring pgpools in lifecheck'],
  ['wd_monitoring_interfaces_list', str('wd_monitoring_interfaces_list'), 'interfaces to monitor by watchdog'],
  ['memory_cache_enabled', bool('memory_cache_enabled'), 'If true, use the memory cache functionality, false by default'],
  ['memqcache_method', code('memqcache_method'), 'Cache store method. either shmem(shared memory) or Memcached. shmem by default'],
  ['memqcache_memcached_host', str('memqcache_memcached_host'), 'Memcached host name. Mandatory if memqcache_method=memcached'],
  ['memqcache_memcached_port', int('memqcache_memcached_port'), 'Memcached port number. Mandatory if memqcache_method=memcached'],
  ['memqcache_total_size', int('memqcache_total_size'), 'Total memory size in bytes for storing memory cache. Mandatory if memqcache_met'],
  ['memqcache_max_num_cache', int('memqcache_max_num_cache'), 'Total number of cache entries'],
  ['memqcache_expire', int('memqcache_expire'), 'Memory cache entry life time specified in seconds. 60 by default'],
  ['memqcache_auto_cache_invalidation', bool('memqcache_auto_cache_invalidation'), 'If true, invalidation of query cache is triggered by corresponding DDL/DML/DCL('],
  ['memqcache_maxcache', int('memqcache_maxcache'), 'Maximum SELECT result size in bytes'],
  ['memqcache_cache_block_size', int('memqcache_cache_block_size'), 'Cache block size in bytes. 8192 by default'],
  ['memqcache_cache_oiddir', path('memqcache_oiddir'), 'Temporary work directory to record table oids'],
  // ctime() output, trailing newline included, as 4.3.5 sends it.
  ['memqcache_stats_start_time', (_c, i) => ctimeString(i.statsStartedAt), 'Start time of query cache stats'],
  // The query cache is not implemented: nothing was ever looked up in it.
  ['memqcache_no_cache_hits', () => '0', 'Number of SELECTs not hitting query cache'],
  ['memqcache_cache_hits', () => '0', 'Number of SELECTs hitting query cache'],
  ['cache_safe_memqcache_table_list', str('cache_safe_memqcache_table_list'), 'tables to memqcache'],
  ['cache_unsafe_memqcache_table_list', str('cache_unsafe_memqcache_table_list'), 'tables not to memqcache'],
];

interface BackendRowConfig {
  id: number;
  hostname: string;
  port: number;
  data_directory: string;
  flag: string;
  application_name: string;
}

export function poolStatusRows(input: PoolStatusInput): StatusRow[] {
  const c = input.config;
  const rows: StatusRow[] = GENERAL.map(([item, value, description]) => ({ item, value: value(c, input), description }));
  const backends = new Map(((c.backends as BackendRowConfig[] | undefined) ?? []).map((b) => [b.id, b]));
  for (const slot of nodeSlots(input.state)) {
    const b = backends.get(slot.id);
    if (slot.status === 'unused' || slot.port === 0) continue;
    const n = slot.id;
    rows.push(
      { item: `backend_hostname${n}`, value: slot.host, description: `backend #${n} hostname` },
      { item: `backend_port${n}`, value: String(slot.port), description: `backend #${n} port number` },
      { item: `backend_weight${n}`, value: fixed6(slot.weight), description: `weight of backend #${n}` },
      { item: `backend_data_directory${n}`, value: b?.data_directory ?? '', description: `data directory for backend #${n}` },
      { item: `backend_status${n}`, value: statusName(slot), description: `status of backend #${n}` },
      { item: `standby_delay${n}`, value: String(Math.trunc(slot.replicationDelay)), description: `standby delay of backend #${n}` },
      { item: `backend_flag${n}`, value: b?.flag ?? 'ALLOW_TO_FAILOVER', description: `backend #${n} flag` },
      { item: `backend_application_name${n}`, value: b?.application_name ?? '', description: `application_name for backend #${n}` },
    );
  }
  return rows;
}
