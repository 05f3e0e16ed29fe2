/**
 * The health-check worker: one loop per backend that was up or waiting at start (pgpool forks
 * no health check process for a node down at start), restarted on attach. It only reports a
 * final failure; deciding what to do is the failover coordinator's job (which, like pgpool's
 * main process, must refuse a request for a node that is already down).
 * Statistics live here, not in the loops, so they survive a loop's restart (pgpool keeps them
 * in shared memory).
 */
import path from 'node:path';
import { readKeyFile, type BackendConfig, type PasswdSecret, type PgpoolConfig } from '@pgrelay/config';
import type { ClusterState, NodeStatus } from '@pgrelay/cluster';
import type { Logger } from '@pgrelay/proxy';
import { healthLogin } from './login';
import { NodeLoop, type HealthFailure } from './node-loop';
import { NodeHealthStats, statsRow, type HealthCheckStatsRow, type StatsNodeInfo } from './stats';

export interface HealthCheckerOptions {
  config: () => PgpoolConfig;
  passwd: () => Map<string, PasswdSecret>;
  log: Logger;
  nodeStatus: (id: number) => NodeStatus | undefined;
  /** A node failed its check and all retries, and its flag allows failover. */
  onFailure: (nodeId: number, cause: string, failure: HealthFailure) => void;
  /** The pool key for an AES health_check_password; default: $PGPOOLKEYFILE or ~/.pgpoolkey. Pass the -k file's. */
  aesKey?: () => string | undefined;
  /** Where health_check_test looks for backend_down_request; default: logdir resolved from the cwd. */
  logdir?: () => string;
}

export class HealthChecker {
  private readonly loops = new Map<number, NodeLoop>();
  private readonly counters = new Map<number, NodeHealthStats>();
  private readonly aesKey: () => string | undefined;
  private stopping = false;

  constructor(private readonly opts: HealthCheckerOptions) {
    const fallbackKey = opts.aesKey ? undefined : readKeyFile();
    this.aesKey = opts.aesKey ?? (() => fallbackKey);
  }

  /** Starts a loop for every configured node that is up or waiting now. */
  start(): void {
    for (const b of this.backends()) {
      const s = this.opts.nodeStatus(b.id);
      if (s === 'up' || s === 'waiting') this.startNode(b.id);
    }
  }

  /** (Re)starts node `id`'s loop, which checks at once: pgpool restarts the process on failback. */
  startNode(id: number): void {
    if (this.stopping) return;
    if (!this.backend(id)) {
      this.opts.log.warn({ node: id }, `health check not started for node ${id}: no such backend`);
      return;
    }
    void this.loops.get(id)?.stop();
    this.loops.set(id, new NodeLoop(id, this.loopDeps(id)));
  }

  async stopNode(id: number): Promise<void> {
    const loop = this.loops.get(id);
    this.loops.delete(id);
    await loop?.stop();
  }

  /** After a reload (once config() returns the new values): new periods apply at once, removed nodes stop. */
  reconfigure(): void {
    for (const [id, loop] of this.loops) {
      if (this.backend(id)) loop.wake();
      else void this.stopNode(id);
    }
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await Promise.all([...this.loops.keys()].map((id) => this.stopNode(id)));
  }

  isRunning(id: number): boolean {
    return this.loops.has(id);
  }

  /** SHOW POOL_HEALTH_CHECK_STATS rows: one per slot 0..highest configured, as pgpool prints them. */
  stats(state: ClusterState): HealthCheckStatsRow[] {
    const config = this.opts.config();
    const backends = this.backends();
    const maxId = Math.max(-1, ...backends.map((b) => b.id), ...state.nodes.map((n) => n.id));
    const streaming = state.mode === 'streaming_replication' || state.mode === 'logical_replication';
    const rows: HealthCheckStatsRow[] = [];
    for (let id = 0; id <= maxId; id++) {
      const node = state.nodes.find((n) => n.id === id);
      const b = backends.find((x) => x.id === id);
      const info: StatsNodeInfo = {
        hostname: node?.host ?? b?.hostname ?? '',
        port: node?.port ?? b?.port ?? 0,
        status: node?.status ?? 'unused',
        role: streaming ? (id === state.primaryId ? 'primary' : 'standby') : id === state.mainId ? 'main' : 'replica',
        lastStatusChange: node?.lastStatusChange ?? 0,
      };
      const period = b?.healthCheck.period ?? Number(config[`health_check_period${id}`] ?? config.health_check_period);
      rows.push(statsRow(id, info, this.countersOf(id), period > 0));
    }
    return rows;
  }

  private loopDeps(id: number) {
    const { opts } = this;
    return {
      config: opts.config,
      backend: (n: number) => this.backend(n),
      login: (hc: BackendConfig['healthCheck']) => healthLogin(hc, opts.passwd(), this.aesKey()),
      status: opts.nodeStatus,
      logdir: opts.logdir ?? (() => path.resolve(String(opts.config().logdir ?? '/tmp'))),
      stats: this.countersOf(id),
      log: opts.log,
      onFailure: opts.onFailure,
    };
  }

  private countersOf(id: number): NodeHealthStats {
    let s = this.counters.get(id);
    if (!s) this.counters.set(id, (s = new NodeHealthStats()));
    return s;
  }

  private backends(): BackendConfig[] {
    return (this.opts.config().backends ?? []) as BackendConfig[];
  }

  private backend(id: number): BackendConfig | undefined {
    return this.backends().find((b) => b.id === id);
  }
}
