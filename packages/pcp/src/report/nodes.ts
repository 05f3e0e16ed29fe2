/**
 * Backend node rows as pgpool-II 4.3.5 reports them (SHOW POOL_NODES, pcp_node_info,
 * SHOW POOL_HEALTH_CHECK_STATS, SHOW POOL_BACKEND_STATS): one row per slot from 0 to the
 * highest configured one, gaps shown as unused.
 */
import type { ClusterState, NodeState } from '@pgrelay/cluster';

/**
 * What health and replication checks learn about a node. Optional: until a checker sets
 * them pgpool's own fallbacks apply ('unknown', empty replication state), which is also
 * what pgpool shows with health_check_period = 0 and sr_check_period = 0.
 */
export interface CheckedNodeFields {
  /** Live answer of the node (pgpool's pg_status). */
  pgStatus?: 'up' | 'down';
  /** pg_is_in_recovery() as seen by the sr check (pgpool's pg_role). */
  pgRole?: 'primary' | 'standby';
  /** pg_stat_replication.state / sync_state on the primary for this node's application_name. */
  replicationState?: string;
  replicationSyncState?: string;
  /** Down because of a watchdog quarantine. */
  quarantine?: boolean;
}

export type NodeSlot = NodeState & CheckedNodeFields;

export const STATUS_CODE = { unused: 0, waiting: 1, up: 2, down: 3 } as const;

/** pgpool's SERVER_ROLE numbers, sent over PCP. */
export const ROLE_CODE = { main: 0, replica: 1, primary: 2, standby: 3 } as const;
export type RoleName = keyof typeof ROLE_CODE;

/** Only streaming replication shows primary/standby; every other mode (logical included) main/replica. */
export const isStreamMode = (mode: string): boolean => mode === 'streaming_replication';

export function nodeSlots(state: ClusterState): NodeSlot[] {
  const byId = new Map(state.nodes.map((n) => [n.id, n as NodeSlot]));
  const count = nodeCount(state);
  const out: NodeSlot[] = [];
  for (let id = 0; id < count; id++) {
    out.push(
      byId.get(id) ?? { id, host: '', port: 0, status: 'unused', role: 'unknown', weight: 0, lastStatusChange: 0, replicationDelay: 0 },
    );
  }
  return out;
}

/** pgpool's num_backends: the highest configured slot + 1. */
export const nodeCount = (state: ClusterState): number => state.nodes.reduce((m, n) => Math.max(m, n.id + 1), 0);

export function statusName(n: NodeSlot): string {
  if (n.status === 'down' && n.quarantine) return 'quarantine';
  return n.status;
}

/** The role pgpool reports: derived from the primary / main node ids, not from the node. */
export function roleOf(state: ClusterState, id: number): RoleName {
  if (isStreamMode(state.mode)) return id === state.primaryId ? 'primary' : 'standby';
  return id === state.mainId ? 'main' : 'replica';
}

export const pgStatusOf = (n: NodeSlot): string => n.pgStatus ?? 'unknown';

/** In streaming mode pgpool asks the node only when pg_status is up; elsewhere it repeats the role. */
export function pgRoleOf(state: ClusterState, n: NodeSlot): string {
  if (!isStreamMode(state.mode)) return roleOf(state, n.id);
  return pgStatusOf(n) === 'up' ? (n.pgRole ?? 'unknown') : 'unknown';
}

/** SHOW POOL_NODES' replication_delay: bytes behind for a standby, 0 for the primary and outside streaming mode. */
export function delayOf(state: ClusterState, n: NodeSlot): string {
  if (!isStreamMode(state.mode) || n.id === state.primaryId) return '0';
  return rawDelay(n);
}

/** The delay as stored, which pcp_node_info shows for every node. */
export const rawDelay = (n: NodeSlot): string => String(Math.max(0, Math.trunc(n.replicationDelay)));
