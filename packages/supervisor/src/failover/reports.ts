/**
 * What to do with a failure a worker saw. A worker's view is one connection: a dead backend
 * process (pg_terminate_backend, an OOM kill) looks the same as a dead server. So before a
 * degenerate request the supervisor tries one login of its own; only when that fails too is
 * it a node failure (the seed document's distinction between process and node failure).
 */
import type { PgpoolConfig } from '@pgrelay/config';
import type { Logger } from '@pgrelay/proxy';

export type FailureKind = 'io' | 'connect' | 'shutdown' | 'mismatch';

export interface ReportDeps {
  config(): PgpoolConfig;
  log: Logger;
  /** One login attempt, bounded by health_check_timeout / connect_timeout; resolves the failure reason or null when it worked. */
  probe(id: number): Promise<string | null>;
  degenerate(id: number, cause: string): Promise<unknown>;
  nodeStatus(id: number): string | undefined;
}

export class FailureReports {
  private readonly probing = new Set<number>();

  constructor(private readonly deps: ReportDeps) {}

  async report(id: number, kind: FailureKind, cause: string, worker: number): Promise<void> {
    const cfg = this.deps.config();
    const status = this.deps.nodeStatus(id);
    if (status !== 'up' && status !== 'waiting') return;
    if (kind === 'mismatch') {
      // The node answers logins fine: its data is what is wrong, so a probe would wrongly veto
      // it. The worker only reports when replication_stop_on_mismatch /
      // failover_if_affected_tuples_mismatch asked for it.
      await this.deps.degenerate(id, cause);
      return;
    }
    if (kind === 'shutdown' && cfg.failover_on_backend_shutdown !== true) {
      this.deps.log.log({ node: id, worker }, `node ${id} is shutting down (${cause}); failover_on_backend_shutdown is off, leaving it to the health check`);
      return;
    }
    if (kind !== 'shutdown' && cfg.failover_on_backend_error !== true) {
      this.deps.log.log({ node: id, worker }, `backend error on node ${id} (${cause}); not executing failover because failover_on_backend_error is off`);
      return;
    }
    // Many sessions see one failure at once: one probe answers for all of them.
    if (this.probing.has(id)) return;
    this.probing.add(id);
    try {
      const failed = await this.deps.probe(id);
      if (failed === null) {
        this.deps.log.log({ node: id, worker, cause }, `backend process failure on node ${id} (${cause}); node ${id} accepts connections, so it is not failed over`);
        return;
      }
      await this.deps.degenerate(id, `${cause}; and a new connection failed: ${failed}`);
    } finally {
      this.probing.delete(id);
    }
  }
}
