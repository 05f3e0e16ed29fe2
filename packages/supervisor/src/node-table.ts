/**
 * The supervisor's ClusterState: the only place node status and roles change. Every change
 * is logged with its cause, persisted to pgpool_status, then broadcast (in that order).
 */
import type { BackendConfig, PgpoolConfig } from '@pgrelay/config';
import { mainNodeId, type ClusterState, type NodeRole, type NodeState, type NodeStatus } from '@pgrelay/cluster';
import type { Logger } from '@pgrelay/proxy';
import { statusFilePath, writeStatusFile } from './status-file';

/** backend_weightN as shares of their sum, which is what sessions and SHOW POOL_NODES use. */
function weightShares(backends: BackendConfig[]): Map<number, number> {
  const total = backends.reduce((s, b) => s + b.weight, 0);
  return new Map(backends.map((b) => [b.id, total > 0 ? b.weight / total : 0]));
}

export function initialState(config: PgpoolConfig, saved: ('up' | 'down' | 'unused')[] | undefined): ClusterState {
  const backends = config.backends as BackendConfig[];
  const shares = weightShares(backends);
  const now = Date.now();
  const nodes: NodeState[] = backends.map((b) => ({
    id: b.id,
    host: b.hostname,
    port: b.port,
    status: (saved?.[b.id] === 'down' ? 'down' : 'waiting') as NodeStatus,
    role: 'unknown' as NodeRole,
    weight: shares.get(b.id)!,
    lastStatusChange: now,
    replicationDelay: 0,
  }));
  const mode = String(config.backend_clustering_mode);
  const state: ClusterState = { version: 1, mode, nodes, primaryId: -1, mainId: mainNodeId(nodes) };
  if (mode !== 'streaming_replication' && mode !== 'logical_replication') {
    for (const n of nodes) n.role = n.id === state.mainId ? 'main' : 'replica';
  }
  return state;
}

export class NodeTable {
  constructor(
    public state: ClusterState,
    private readonly logdir: string,
    private readonly slots: () => number,
    readonly log: Logger,
    private readonly broadcast: (s: ClusterState) => void,
  ) {}

  node(id: number): NodeState | undefined {
    return this.state.nodes.find((n) => n.id === id);
  }

  setStatus(id: number, status: NodeStatus, cause: string): void {
    const n = this.node(id);
    if (!n || n.status === status) return;
    const before = n.status;
    n.status = status;
    n.lastStatusChange = Date.now();
    // workers are told first: whoever acts on this line finds them already knowing it
    this.commit();
    this.log.log({ node: id, from: before, to: status, cause }, `node ${id} status changed from ${before} to ${status}: ${cause}`);
  }

  setPrimary(id: number, cause: string): void {
    if (this.state.primaryId === id && this.state.nodes.every((n) => n.role !== 'unknown')) return;
    this.state.primaryId = id;
    for (const n of this.state.nodes) n.role = n.id === id ? 'primary' : 'standby';
    this.log.log({ primary: id, cause }, id >= 0 ? `primary node is node ${id} (${cause})` : `no primary node found (${cause})`);
    this.commit();
  }

  /**
   * Replication lag of a standby (bytes, or seconds × 1e6 with delay_threshold_by_time).
   * Broadcast without persisting: it is not node status.
   */
  setDelay(id: number, delay: number): void {
    const n = this.node(id);
    if (!n || n.replicationDelay === delay) return;
    n.replicationDelay = delay;
    this.state.version++;
    this.broadcast(this.state);
  }

  /** Around a degeneration: sessions that lost their primary know whether to keep waiting. */
  setFailingOver(active: boolean): void {
    if ((this.state.failingOver ?? false) === active) return;
    this.state.failingOver = active;
    this.state.version++;
    this.broadcast(this.state);
  }

  /** A reload changed backend_weightN: new sessions balance by the new shares. */
  setWeights(backends: BackendConfig[]): void {
    const shares = weightShares(backends);
    let changed = false;
    for (const n of this.state.nodes) {
      const w = shares.get(n.id);
      if (w === undefined || w === n.weight) continue;
      this.log.log({ node: n.id, from: n.weight, to: w }, `node ${n.id} load balance weight changed from ${n.weight.toFixed(6)} to ${w.toFixed(6)} (reload)`);
      n.weight = w;
      changed = true;
    }
    if (!changed) return;
    this.state.version++;
    this.broadcast(this.state);
  }

  setReplication(id: number, state: string, syncState: string): void {
    const n = this.node(id);
    if (!n || (n.replicationState === state && n.replicationSyncState === syncState)) return;
    n.replicationState = state;
    n.replicationSyncState = syncState;
    this.state.version++;
    this.broadcast(this.state);
  }

  private commit(): void {
    const s = this.state;
    s.mainId = mainNodeId(s.nodes);
    if (s.mode !== 'streaming_replication' && s.mode !== 'logical_replication') {
      for (const n of s.nodes) n.role = n.id === s.mainId ? 'main' : 'replica';
    }
    s.version++;
    if (!writeStatusFile(statusFilePath(this.logdir), s.nodes, this.slots())) {
      this.log.warn('All the DB nodes are in down status and skip writing status file.');
    }
    this.broadcast(s);
  }
}
