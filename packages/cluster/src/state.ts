/**
 * ClusterState: the one node table the supervisor owns and broadcasts, whole and versioned,
 * to every worker. Workers read it; only the supervisor changes it.
 */
export type NodeStatus = 'unused' | 'waiting' | 'up' | 'down';
export type NodeRole = 'primary' | 'standby' | 'main' | 'replica' | 'unknown';

export interface NodeState {
  id: number;
  host: string;
  port: number;
  status: NodeStatus;
  role: NodeRole;
  /** Normalised load-balance share (weight / sum of weights). */
  weight: number;
  /** Unix ms of the last status change. */
  lastStatusChange: number;
  /** Replication lag in bytes, when measured. */
  replicationDelay: number;
  /**
   * pg_stat_replication.state / sync_state on the primary for this standby's
   * backend_application_name (sr check); absent until checked, as in pgpool.
   */
  replicationState?: string;
  replicationSyncState?: string;
}

export interface ClusterState {
  version: number;
  mode: string;
  nodes: NodeState[];
  /** -1 when there is none (native replication, raw, or none found). */
  primaryId: number;
  /** Lowest-numbered usable node; -1 when every node is down. */
  mainId: number;
  /**
   * A degeneration (failover, detach, switchover) is running: sessions that lost their
   * primary wait for its outcome. Absent = false.
   */
  failingOver?: boolean;
}

export const isUsable = (n: NodeState): boolean => n.status === 'up' || n.status === 'waiting';

export function mainNodeId(nodes: NodeState[]): number {
  for (const n of nodes) if (isUsable(n)) return n.id;
  return -1;
}

/** The node a session sends writes to: the primary in streaming mode, else the main node. */
export function writeNodeId(state: ClusterState): number {
  if (state.mode === 'streaming_replication' || state.mode === 'logical_replication') {
    const p = state.nodes.find((n) => n.id === state.primaryId);
    if (p && isUsable(p)) return p.id;
    return -1;
  }
  return state.mainId;
}
