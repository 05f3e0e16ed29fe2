/** SHOW POOL_*: pgpool-II 4.3.5's reports, answered from this worker's ClusterState and settings. */
import {
  backendStatsRows,
  BACKEND_STATS_COLUMNS,
  HEALTH_CHECK_COLUMNS,
  healthCheckRows,
  nodeCount,
  POOL_CACHE_COLUMNS,
  POOL_NODES_COLUMNS,
  POOL_POOLS_COLUMNS,
  POOL_PROCESSES_COLUMNS,
  POOL_STATUS_COLUMNS,
  POOL_VERSION_COLUMNS,
  poolNodesRows,
  poolPoolsRows,
  poolProcessesRows,
  poolStatusRows,
  type ProcessLayout,
} from '@pgrelay/pcp';
import type { AdminNodeCounters, AdminWorkerReport } from '@pgrelay/cluster';
import { workerCount, type BackendConfig } from '@pgrelay/config';
import type { WorkerContext } from '../context';
import type { AdminSession } from './index';
import { gatherReports } from './gather';
import { resultSet, type TxStatus } from './result';
import { pushedHealthRows, workerStartedAt } from './stats';

export const POOL_VERSION = '4.3.5 (tamahomeboshi)';

function layout(ctx: WorkerContext): ProcessLayout {
  const cfg = ctx.config;
  const configured = Number(cfg.num_workers ?? 0);
  return {
    numInitChildren: Number(cfg.num_init_children),
    maxPool: Number(cfg.max_pool),
    nodes: nodeCount(ctx.state),
    workers: workerCount(configured),
    clientIdleLimit: Number(cfg.client_idle_limit ?? 0),
  };
}

function healthPeriod(ctx: WorkerContext): (id: number) => number {
  const backends = ctx.config.backends as BackendConfig[];
  return (id) => backends.find((b) => b.id === id)?.healthCheck.period ?? Number(ctx.config.health_check_period ?? 0);
}

/** Statement counts per node summed over every worker's report. */
function summedCounters(reports: AdminWorkerReport[]): (nodeId: number) => AdminNodeCounters | undefined {
  const sum = new Map<number, AdminNodeCounters>();
  for (const r of reports) {
    for (const [id, c] of Object.entries(r.counters)) {
      const acc = sum.get(Number(id));
      if (!acc) sum.set(Number(id), { ...c });
      else for (const k of Object.keys(c) as (keyof AdminNodeCounters)[]) acc[k] += c[k];
    }
  }
  return (nodeId) => sum.get(nodeId);
}

/**
 * The reply to SHOW <what>; undefined for a name that is not one of pgpool's reports. Reports
 * that count or list what every worker serves wait for the others' reports.
 */
export function showPool(what: string, ctx: WorkerContext, session: AdminSession, tx: TxStatus): Buffer | Promise<Buffer> | undefined {
  switch (what) {
    case 'pool_nodes':
      return gatherReports(ctx).then((all) =>
        resultSet(POOL_NODES_COLUMNS, poolNodesRows(ctx.state, { loadBalanceNode: session.nodeId, counters: summedCounters(all) }), tx),
      );
    case 'pool_backend_stats':
      return gatherReports(ctx).then((all) => resultSet(BACKEND_STATS_COLUMNS, backendStatsRows(ctx.state, summedCounters(all)), tx));
    // The supervisor pushes its health checker's rows; before any arrive no check has run and every counter is 0.
    case 'pool_health_check_stats':
      return resultSet(HEALTH_CHECK_COLUMNS, pushedHealthRows() ?? healthCheckRows(ctx.state, () => undefined, healthPeriod(ctx)), tx);
    case 'pool_version':
      return resultSet(POOL_VERSION_COLUMNS, [[POOL_VERSION]], tx);
    // The query cache is not implemented (memory_cache_enabled has no effect): nothing cached, nothing hit.
    case 'pool_cache':
      return resultSet(POOL_CACHE_COLUMNS, [['0', '0', '0.00', '0', '0', '0', '0', '0', '0']], tx);
    case 'pool_status': {
      const rows = poolStatusRows({ config: ctx.config, state: ctx.state, statsStartedAt: workerStartedAt });
      return resultSet(POOL_STATUS_COLUMNS, rows.map((r) => [r.item, r.value, r.description]), tx);
    }
    case 'pool_processes':
      return gatherReports(ctx).then((all) => resultSet(POOL_PROCESSES_COLUMNS, poolProcessesRows(all, layout(ctx)), tx));
    case 'pool_pools':
      return gatherReports(ctx).then((all) => resultSet(POOL_POOLS_COLUMNS, poolPoolsRows(all, layout(ctx)), tx));
    default:
      return undefined;
  }
}
