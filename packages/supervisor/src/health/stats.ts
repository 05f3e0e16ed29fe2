/**
 * Per-node health check statistics, counted the way pgpool 4.3 counts them, and their
 * SHOW POOL_HEALTH_CHECK_STATS / pcp_health_check_stats row. Quirks kept on purpose, since
 * monitoring compares numbers: a failure on a DISALLOW_TO_FAILOVER node sets
 * last_failed_health_check but does not count in fail_count; durations include the retry
 * sleeps; min_duration reads 2147483647 and the averages `-nan` until a check is timed.
 */
import { INT_MAX, localTimestamp, optionalTimestamp, printfF } from './format';

export const HEALTH_CHECK_STATS_COLUMNS = [
  'node_id', 'hostname', 'port', 'status', 'role', 'last_status_change',
  'total_count', 'success_count', 'fail_count', 'skip_count', 'retry_count',
  'average_retry_count', 'max_retry_count', 'max_duration', 'min_duration', 'average_duration',
  'last_health_check', 'last_successful_health_check', 'last_skip_health_check', 'last_failed_health_check',
] as const;

/** One row, every value text as pgpool sends it (all columns are type text). */
export type HealthCheckStatsRow = Record<(typeof HEALTH_CHECK_STATS_COLUMNS)[number], string>;

export class NodeHealthStats {
  total = 0;
  success = 0;
  fail = 0;
  skip = 0;
  retry = 0;
  maxRetry = 0;
  totalDurationMs = 0;
  maxDurationMs = 0;
  minDurationMs = INT_MAX;
  /** Unix ms; 0 = never. */
  lastCheck = 0;
  lastSuccess = 0;
  lastSkip = 0;
  lastFailed = 0;

  begin(now: number): void {
    this.total++;
    this.lastCheck = now;
  }

  skipped(now: number): void {
    this.skip++;
    this.lastSkip = now;
  }

  retried(): void {
    this.retry++;
  }

  succeeded(now: number): void {
    this.success++;
    this.lastSuccess = now;
  }

  /** `counted` is false for DISALLOW_TO_FAILOVER nodes (pgpool counts only failures it acts on). */
  failed(now: number, counted: boolean): void {
    this.lastFailed = now;
    if (counted) this.fail++;
  }

  /** A finished (not skipped) check: its retries and its whole duration, retry sleeps included. */
  finished(retriesUsed: number, durationMs: number): void {
    if (retriesUsed > this.maxRetry) this.maxRetry = retriesUsed;
    const ms = Math.floor(durationMs);
    this.totalDurationMs += ms;
    if (ms > this.maxDurationMs) this.maxDurationMs = ms;
    if (ms < this.minDurationMs) this.minDurationMs = ms;
  }

  /** pgpool's loop resets min_duration to 0 on every pass while health_check_period is 0. */
  periodOff(): void {
    this.minDurationMs = 0;
  }
}

export interface StatsNodeInfo {
  hostname: string;
  port: number;
  /** up / waiting / down / unused, as SHOW POOL_NODES. */
  status: string;
  role: string;
  /** Unix ms. */
  lastStatusChange: number;
}

export function statsRow(id: number, node: StatsNodeInfo, s: NodeHealthStats, periodOn: boolean): HealthCheckStatsRow {
  const timed = s.total - s.skip;
  // 0/0 is NaN on purpose: pgpool prints -nan before the first timed check.
  const avg = (sum: number) => (periodOn ? sum / timed : 0);
  return {
    node_id: String(id),
    hostname: node.hostname,
    port: String(node.port),
    status: node.status,
    role: node.role,
    last_status_change: localTimestamp(node.lastStatusChange),
    total_count: String(s.total),
    success_count: String(s.success),
    fail_count: String(s.fail),
    skip_count: String(s.skip),
    retry_count: String(s.retry),
    average_retry_count: printfF(avg(s.retry)),
    max_retry_count: String(s.maxRetry),
    max_duration: String(s.maxDurationMs),
    min_duration: String(s.minDurationMs),
    average_duration: printfF(avg(s.totalDurationMs)),
    last_health_check: optionalTimestamp(s.lastCheck),
    last_successful_health_check: optionalTimestamp(s.lastSuccess),
    last_skip_health_check: optionalTimestamp(s.lastSkip),
    last_failed_health_check: optionalTimestamp(s.lastFailed),
  };
}
