/** What the supervisor's parts (PCP server, health checks, failover) share. */
import type { PgpoolConfig } from '@pgrelay/config';
import type { Logger } from '@pgrelay/proxy';
import type { CliOptions } from './cli';
import type { FailoverCoordinator } from './failover';
import type { HealthCheckStatsRow } from './health';
import type { LoadedFiles } from './load-files';
import type { NodeTable } from './node-table';
import type { WorkerSet } from './workers';

export interface SupervisorContext {
  opts: CliOptions;
  config(): PgpoolConfig;
  files(): LoadedFiles;
  table: NodeTable;
  workers: WorkerSet;
  log: Logger;
  /** Unix ms the supervisor started. */
  startedAt: number;
  reload(): void;
  shutdown(mode: 'smart' | 'fast' | 'immediate'): Promise<void>;
  /** Detach, attach and promote go through here, one at a time. */
  failover: FailoverCoordinator;
  /** SHOW POOL_HEALTH_CHECK_STATS / pcp_health_check_stats rows. */
  healthStats(): HealthCheckStatsRow[];
  /** Listens to worker messages the supervisor itself does not handle; returns the unsubscribe. */
  onWorkerMessage(listener: (worker: number, m: { t: string }) => void): () => void;
}
