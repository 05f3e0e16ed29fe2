/**
 * Column names and rows of pgpool-II 4.3.5's SHOW commands. Every value is text, formatted
 * as pgpool formats it; the worker (SQL) and the supervisor (PCP) both build from here.
 */
import type { AdminNodeCounters, ClusterState } from '@pgrelay/cluster';
import { fixed6, localTime, localTimeAlways } from './format';
import { delayOf, nodeSlots, pgRoleOf, pgStatusOf, roleOf, statusName, type NodeSlot } from './nodes';

export const POOL_NODES_COLUMNS = [
  'node_id', 'hostname', 'port', 'status', 'pg_status', 'lb_weight', 'role', 'pg_role', 'select_cnt',
  'load_balance_node', 'replication_delay', 'replication_state', 'replication_sync_state', 'last_status_change',
];

/** Statement counts per node, as SHOW POOL_BACKEND_STATS counts them. */
export type NodeCounters = AdminNodeCounters;

export const zeroCounters = (): NodeCounters => ({ select: 0, insert: 0, update: 0, delete: 0, ddl: 0, other: 0, panic: 0, fatal: 0, error: 0 });

export function poolNodesRows(state: ClusterState, opts: { loadBalanceNode: number; counters?: (id: number) => NodeCounters | undefined }): string[][] {
  return nodeSlots(state).map((n) => [
    String(n.id),
    n.host,
    String(n.port),
    // The asking session is connected to its node: it is up even if the news has not come back yet.
    n.status === 'waiting' && n.id === opts.loadBalanceNode ? 'up' : statusName(n),
    pgStatusOf(n),
    fixed6(n.weight),
    roleOf(state, n.id),
    pgRoleOf(state, n),
    String(opts.counters?.(n.id)?.select ?? 0),
    n.id === opts.loadBalanceNode ? 'true' : 'false',
    delayOf(state, n),
    n.replicationState ?? '',
    n.replicationSyncState ?? '',
    localTimeAlways(n.lastStatusChange),
  ]);
}

export const BACKEND_STATS_COLUMNS = [
  'node_id', 'hostname', 'port', 'status', 'role', 'select_cnt', 'insert_cnt', 'update_cnt', 'delete_cnt',
  'ddl_cnt', 'other_cnt', 'panic_cnt', 'fatal_cnt', 'error_cnt',
];

export function backendStatsRows(state: ClusterState, counters?: (id: number) => NodeCounters | undefined): string[][] {
  return nodeSlots(state).map((n) => {
    const c = counters?.(n.id) ?? zeroCounters();
    return [
      String(n.id), n.host, String(n.port), statusName(n), roleOf(state, n.id),
      ...[c.select, c.insert, c.update, c.delete, c.ddl, c.other, c.panic, c.fatal, c.error].map(String),
    ];
  });
}

/** What the health check of one node has counted (pgpool's POOL_HEALTH_CHECK_STATS). Times are Unix ms, 0 = never. */
export interface HealthCheckStats {
  total: number;
  success: number;
  fail: number;
  skip: number;
  retry: number;
  maxRetry: number;
  totalDurationMs: number;
  maxDurationMs: number;
  minDurationMs: number;
  lastCheck: number;
  lastSuccess: number;
  lastSkip: number;
  lastFail: number;
}

export const HEALTH_CHECK_COLUMNS = [
  'node_id', 'hostname', 'port', 'status', 'role', 'last_status_change', 'total_count', 'success_count',
  'fail_count', 'skip_count', 'retry_count', 'average_retry_count', 'max_retry_count', 'max_duration',
  'min_duration', 'average_duration', 'last_health_check', 'last_successful_health_check',
  'last_skip_health_check', 'last_failed_health_check',
];

/** The 20 fields for one node; pcp_health_check_stats sends the same strings. */
export function healthCheckRow(state: ClusterState, n: NodeSlot, s: HealthCheckStats | undefined, periodOf: (id: number) => number): string[] {
  const st = s ?? { total: 0, success: 0, fail: 0, skip: 0, retry: 0, maxRetry: 0, totalDurationMs: 0, maxDurationMs: 0, minDurationMs: 0, lastCheck: 0, lastSuccess: 0, lastSkip: 0, lastFail: 0 };
  // pgpool averages only when the check is on, over the checks not skipped.
  const runs = st.total - st.skip;
  const on = periodOf(n.id) > 0 && runs > 0;
  return [
    String(n.id), n.host, String(n.port), statusName(n), roleOf(state, n.id), localTimeAlways(n.lastStatusChange),
    String(st.total), String(st.success), String(st.fail), String(st.skip), String(st.retry),
    fixed6(on ? st.retry / runs : 0), String(st.maxRetry), String(st.maxDurationMs), String(st.minDurationMs),
    fixed6(on ? st.totalDurationMs / runs : 0),
    localTime(st.lastCheck), localTime(st.lastSuccess), localTime(st.lastSkip), localTime(st.lastFail),
  ];
}

export function healthCheckRows(state: ClusterState, stats: (id: number) => HealthCheckStats | undefined, periodOf: (id: number) => number): string[][] {
  return nodeSlots(state).map((n) => healthCheckRow(state, n, stats(n.id), periodOf));
}

export const POOL_VERSION_COLUMNS = ['pool_version'];

export const POOL_CACHE_COLUMNS = [
  'num_cache_hits', 'num_selects', 'cache_hit_ratio', 'num_hash_entries', 'used_hash_entries',
  'num_cache_entries', 'used_cache_entries_size', 'free_cache_entries_size', 'fragment_cache_entries_size',
];

export const POOL_STATUS_COLUMNS = ['item', 'value', 'description'];

export const POOL_PROCESSES_COLUMNS = [
  'pool_pid', 'start_time', 'client_connection_count', 'database', 'username', 'backend_connection_time', 'pool_counter', 'status',
];

export const POOL_POOLS_COLUMNS = [
  'pool_pid', 'start_time', 'client_connection_count', 'pool_id', 'backend_id', 'database', 'username',
  'backend_connection_time', 'client_connection_time', 'client_disconnection_time', 'client_idle_duration',
  'majorversion', 'minorversion', 'pool_counter', 'pool_backendpid', 'pool_connected', 'status',
];
