/**
 * The failover coordinator: the one place nodes are degenerated, failed back and promoted.
 * Requests queue and run one at a time, in pgpool's order: mark the node down and persist,
 * run failover_command, find the new primary, make the other standbys follow it, log done.
 * Workers and the health check only *request*; what they report is checked here first.
 */
import type { BackendConfig, PgpoolConfig } from '@pgrelay/config';
import type { Logger } from '@pgrelay/proxy';
import { expandPlaceholders, placeholderVars, runCommand, type PlaceholderIds } from '../commands';
import type { NodeTable } from '../node-table';
import type { SwitchoverSessions } from './switchover-hold';

export interface FailoverDeps {
  config(): PgpoolConfig;
  table: NodeTable;
  log: Logger;
  /** Polls for the primary until found or search_primary_node_timeout; sets it in the table. */
  findPrimary(): Promise<boolean>;
  /** Health-check loop of a node that came back. */
  restartHealthCheck(id: number): void;
  /** Holds sessions at transaction boundaries during a switchover (absent: no hold, as pgpool). */
  switchover?: SwitchoverSessions;
}

export type Outcome = { ok: true } | { ok: false; error: string };

const isStreaming = (mode: string) => mode === 'streaming_replication' || mode === 'logical_replication';

export class FailoverCoordinator {
  private queue: Promise<unknown> = Promise.resolve();
  private busy = false;

  constructor(private readonly deps: FailoverDeps) {}

  /** True while a request runs (PCP refuses some commands meanwhile, as pgpool does). */
  get inProgress(): boolean {
    return this.busy;
  }

  private backend(id: number): BackendConfig | undefined {
    return (this.deps.config().backends as BackendConfig[]).find((b) => b.id === id);
  }

  private serial<T>(job: () => Promise<T>): Promise<T> {
    const run = this.queue.then(async () => {
      this.busy = true;
      try {
        return await job();
      } finally {
        this.busy = false;
      }
    });
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** A degenerate request: `cause` says who asked and why. */
  degenerate(id: number, cause: string): Promise<Outcome> {
    return this.serial(() => this.runDegenerate(id, cause));
  }

  failback(id: number, cause: string): Promise<Outcome> {
    return this.serial(() => this.runFailback(id, cause));
  }

  /**
   * pcp_promote_node: without `switchover`, pgpool only records the node as primary and makes
   * the others follow; with it, the current primary is detached so failover_command promotes N.
   */
  promote(id: number, switchover: boolean): Promise<Outcome> {
    return this.serial(() => this.runPromote(id, switchover));
  }

  private refuse(id: number, why: string): Outcome {
    this.deps.log.log({ node: id }, why);
    return { ok: false, error: why };
  }

  /** `onPrimary`: called once the new primary is in place (before the other standbys follow it). */
  private async runDegenerate(id: number, cause: string, promoteTarget = -1, onPrimary?: () => void): Promise<Outcome> {
    const { table, log } = this.deps;
    const node = table.node(id);
    const b = this.backend(id);
    if (!node || !b) return this.refuse(id, `invalid degenerate backend request, node id : ${id} status: [unused] is not valid for failover`);
    if (node.status !== 'up' && node.status !== 'waiting') {
      return this.refuse(id, `invalid degenerate backend request, node id : ${id} status: [${node.status}] is not valid for failover`);
    }
    if (!b.allowToFailover) {
      return this.refuse(id, `degenerate backend request for node_id: ${id} is canceled because failover is disallowed on the node`);
    }
    const started = Date.now();
    log.log({ node: id, cause }, `starting degeneration. shutdown host ${b.hostname}(${b.port})`);
    table.setFailingOver(true);
    try {
      return await this.degenerateNode(id, b, cause, started, promoteTarget, onPrimary);
    } finally {
      table.setFailingOver(false);
    }
  }

  private async degenerateNode(id: number, b: BackendConfig, cause: string, started: number, promoteTarget: number, onPrimary?: () => void): Promise<Outcome> {
    const { table, log } = this.deps;
    const oldPrimary = table.state.primaryId;
    const oldMain = table.state.mainId;
    table.setStatus(id, 'down', cause);

    const newMain = promoteTarget >= 0 ? promoteTarget : table.state.mainId;
    await this.runHook('failover_command', { node: id, newMain, oldMain, oldPrimary });

    const streaming = isStreaming(table.state.mode);
    if (streaming && !b.alwaysPrimary) {
      const primaryLost = id === oldPrimary || oldPrimary < 0;
      if (primaryLost && promoteTarget >= 0) {
        // A switchover names its new primary; failover_command was told to promote it.
        table.setPrimary(promoteTarget, `switchover to node ${promoteTarget}`);
      } else if (primaryLost) {
        table.setPrimary(-1, `primary node ${id} went down`);
        await this.deps.findPrimary();
      }
      const newPrimary = table.state.primaryId;
      if (newPrimary >= 0) onPrimary?.();
      if (primaryLost && newPrimary >= 0 && newPrimary !== oldPrimary && (this.followCommand() !== '' || promoteTarget >= 0)) {
        await this.follow(newPrimary, oldMain, oldPrimary);
      }
    }
    log.log(`failover: set new primary node: ${table.state.primaryId}`);
    log.log(`failover: set new main node: ${table.state.mainId}`);
    log.log({ node: id, ms: Date.now() - started }, `failover done. shutdown host ${b.hostname}(${b.port})`);
    return { ok: true };
  }

  private followCommand(): string {
    return String(this.deps.config().follow_primary_command ?? '');
  }

  /** Every node but the new primary goes down, then follow_primary_command runs for each down node. */
  private async follow(newPrimary: number, oldMain: number, oldPrimary: number): Promise<void> {
    const { table, log } = this.deps;
    let count = 0;
    for (const n of table.state.nodes) {
      if (n.id === newPrimary || n.status === 'down') continue;
      const b = this.backend(n.id)!;
      log.log({ node: n.id }, `starting follow degeneration. shutdown host ${b.hostname}(${b.port})`);
      table.setStatus(n.id, 'down', `follow primary: node ${newPrimary} is the new primary`);
      count++;
    }
    log.log(`failover: ${count} follow backends have been degenerated`);
    if (this.followCommand() === '') return;
    for (const n of table.state.nodes) {
      if (n.id === newPrimary || n.status !== 'down') continue;
      await this.runHook('follow_primary_command', { node: n.id, newMain: newPrimary, oldMain, oldPrimary });
    }
  }

  private async runFailback(id: number, cause: string): Promise<Outcome> {
    const { table, log } = this.deps;
    const node = table.node(id);
    const b = this.backend(id);
    if (!node || !b) return this.refuse(id, `invalid failback request: node ${id} does not exist`);
    if (node.status !== 'down') return this.refuse(id, `invalid failback request: node ${id} is not down (status: ${node.status})`);
    const oldMain = table.state.mainId;
    log.log({ node: id, cause }, `starting fail back. reconnect host ${b.hostname}(${b.port})`);
    table.setStatus(id, 'waiting', cause);
    await this.runHook('failback_command', { node: id, newMain: table.state.mainId, oldMain, oldPrimary: table.state.primaryId });
    if (isStreaming(table.state.mode) && table.state.primaryId < 0) await this.deps.findPrimary();
    else if (isStreaming(table.state.mode) && table.state.primaryId >= 0) table.setPrimary(table.state.primaryId, 'unchanged by failback');
    this.deps.restartHealthCheck(id);
    log.log({ node: id }, `failback done. reconnect host ${b.hostname}(${b.port})`);
    return { ok: true };
  }

  private async runPromote(id: number, switchover: boolean): Promise<Outcome> {
    const { table, log } = this.deps;
    if (!isStreaming(table.state.mode)) return this.refuse(id, 'invalid promote request: promote is only for streaming or logical replication mode');
    const node = table.node(id);
    if (!node || (node.status !== 'up' && node.status !== 'waiting')) return this.refuse(id, `invalid promote request: node ${id} is not up`);
    if (table.state.primaryId === id) return this.refuse(id, `specified node is already primary node, can't promote node id ${id}`);
    const oldPrimary = table.state.primaryId;
    const oldMain = table.state.mainId;
    if (switchover && oldPrimary >= 0) return this.runSwitchover(oldPrimary, id);
    const b = this.backend(id)!;
    log.log({ node: id }, `starting promotion. promote host ${b.hostname}(${b.port})`);
    table.setPrimary(id, 'pcp_promote_node');
    await this.follow(id, oldMain, oldPrimary);
    log.log({ node: id }, `promotion done. promoted host ${b.hostname}(${b.port})`);
    return { ok: true };
  }

  /**
   * A planned switchover: sessions are held at their transaction boundaries until none is in
   * a transaction (at most switchover_timeout; those still in one then lose it: 40001, or it
   * is replayed), the old primary is stopped cleanly, failover_command promotes `id` (%m), the
   * others follow, and the sessions — rebuilt on `id` — are released. Clients see a pause.
   */
  private async runSwitchover(oldPrimary: number, id: number): Promise<Outcome> {
    const { log } = this.deps;
    const sw = this.deps.switchover;
    if (sw === undefined) return this.runDegenerate(oldPrimary, `switchover: promote node ${id}`, id);
    const limitMs = Number(this.deps.config().switchover_timeout ?? 30) * 1000;
    log.log({ node: id, oldPrimary }, `switchover to node ${id}: holding new transactions; running ones may finish (switchover_timeout ${limitMs / 1000} s)`);
    const held = await sw.hold(limitMs);
    if (held.quiet) log.log({ ms: held.ms }, `switchover: every running transaction finished after ${held.ms} ms`);
    else log.log({ ms: held.ms, busy: held.busy }, `switchover: ${held.busy} session(s) still busy after switchover_timeout; their transactions get the retryable error (40001)`);
    let released = false;
    // sessions rebuild on the new primary as soon as it is there; the standbys' follow need not hold them
    const release = () => {
      if (released) return;
      released = true;
      const ms = sw.release();
      log.log({ ms, node: id }, `switchover to node ${id}: clients were paused ${ms} ms`);
    };
    try {
      await sw.stopNode(oldPrimary);
      // failover_command gets %m = the node to promote; the script promotes it.
      return await this.runDegenerate(oldPrimary, `switchover: promote node ${id}`, id, release);
    } finally {
      release();
    }
  }

  private async runHook(what: 'failover_command' | 'failback_command' | 'follow_primary_command', ids: PlaceholderIds): Promise<void> {
    const cfg = this.deps.config();
    const template = String(cfg[what] ?? '');
    if (template === '') return;
    const line = expandPlaceholders(template, placeholderVars(ids, cfg.backends as BackendConfig[]));
    await runCommand(line, { what, timeoutMs: Number(cfg.command_timeout ?? 300) * 1000, log: this.deps.log });
  }
}
