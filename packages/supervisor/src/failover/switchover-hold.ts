/**
 * The supervisor's half of a planned switchover (pcp_promote_node -s): hold every worker's
 * sessions at their transaction boundaries, wait until no transaction is running (bounded by
 * switchover_timeout), stop the old primary cleanly so its last WAL reaches the standbys, and
 * — once the new primary is in place — release, logging how long clients were paused. The
 * workers' half is proxy/src/survive/switchover-hold.ts; sessions cut from the stopped
 * primary rebuild themselves on the new one (survive/).
 */
import fs from 'node:fs';
import path from 'node:path';
import type { BackendConfig, PgpoolConfig } from '@pgrelay/config';
import type { SupervisorSwitchoverHold, WorkerSwitchoverState } from '@pgrelay/cluster';
import type { Logger } from '@pgrelay/proxy';

const REFRESH_MS = 200;

export interface SwitchoverDeps {
  config(): PgpoolConfig;
  log: Logger;
  /** Worker indices alive now. */
  workers(): number[];
  broadcast(m: SupervisorSwitchoverHold): void;
  onWorkerMessage(listener: (worker: number, m: { t: string }) => void): () => void;
}

export interface Held {
  /** No session was in a transaction when the wait ended. */
  quiet: boolean;
  busy: number;
  ms: number;
}

export class SwitchoverSessions {
  private nextId = 1;
  private since = 0;
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly deps: SwitchoverDeps) {}

  /** Holds new transactions; resolves once no session is in one, or after `timeoutMs`. */
  hold(timeoutMs: number): Promise<Held> {
    const started = Date.now();
    this.since = started;
    const firstId = this.nextId;
    const answers = new Map<number, number>();
    const send = () => this.deps.broadcast({ t: 'switchover_hold', id: this.nextId++, action: 'hold' });
    this.timer = setInterval(send, REFRESH_MS);
    send();
    return new Promise((resolve) => {
      const busyNow = () => this.deps.workers().reduce((n, w) => n + (answers.get(w) ?? 1), 0);
      const done = () => {
        clearTimeout(limit);
        unsubscribe();
        const busy = busyNow();
        resolve({ quiet: busy === 0, busy, ms: Date.now() - started });
      };
      // a worker that never answers is counted busy until the limit
      const limit = setTimeout(done, timeoutMs);
      const unsubscribe = this.deps.onWorkerMessage((worker, m) => {
        if (m.t !== 'switchover_state') return;
        const s = m as WorkerSwitchoverState;
        if (s.id < firstId) return;
        answers.set(worker, s.busy);
        if (busyNow() === 0) done();
      });
    });
  }

  /** New transactions may start again; returns how long they were held (the clients' pause). */
  release(): number {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.deps.broadcast({ t: 'switchover_hold', id: this.nextId++, action: 'release' });
    const ms = this.since > 0 ? Date.now() - this.since : 0;
    this.since = 0;
    return ms;
  }

  /**
   * Stops a node on this host cleanly (fast shutdown: its walsenders send the last WAL before
   * they exit, so the standby to promote has every commit). A node elsewhere is left running;
   * it is only detached (as pcp_promote_node -s does in pgpool).
   */
  async stopNode(id: number): Promise<boolean> {
    const b = (this.deps.config().backends as BackendConfig[]).find((x) => x.id === id);
    const dir = b?.data_directory ?? '';
    const local = b !== undefined && (b.hostname === '' || b.hostname.startsWith('/') || b.hostname === 'localhost' || b.hostname.startsWith('127.'));
    const pidFile = dir === '' ? '' : path.join(dir, 'postmaster.pid');
    if (!local || pidFile === '' || !fs.existsSync(pidFile)) {
      this.deps.log.log({ node: id }, `switchover: node ${id} is not on this host (or has no backend_data_directory); it is detached, not stopped`);
      return false;
    }
    const pid = Number(fs.readFileSync(pidFile, 'utf8').split('\n')[0]);
    const started = Date.now();
    try {
      process.kill(pid, 'SIGINT');
    } catch (e) {
      this.deps.log.warn({ node: id, err: (e as Error).message }, `switchover: could not signal node ${id} (pid ${pid})`);
      return false;
    }
    while (Date.now() - started < 60_000) {
      try {
        process.kill(pid, 0);
      } catch {
        this.deps.log.log({ node: id, ms: Date.now() - started }, `switchover: node ${id} stopped cleanly (fast shutdown) in ${Date.now() - started} ms`);
        return true;
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    this.deps.log.warn({ node: id }, `switchover: node ${id} did not stop within 60 s`);
    return false;
  }
}
