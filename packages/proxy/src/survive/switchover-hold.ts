/**
 * A worker's half of a planned switchover (the supervisor's: supervisor/src/failover/
 * switchover-hold.ts). While held, each session lets a running transaction finish but keeps
 * the client's next one waiting at its boundary; every `hold` is answered with the number of
 * sessions still busy, so the supervisor knows when the old primary may be stopped. If the
 * holds stop coming, the worker lets go by itself: clients must not wait on a dead supervisor.
 */
import type { SupervisorSwitchoverHold, WorkerSwitchoverState } from '@pgrelay/cluster';
import type { WorkerContext } from '../context';

/** What the hold asks of a session (Session implements it). */
export interface HoldableSession {
  holdTransactions(on: boolean): void;
  /** In a transaction, or an answer is owed: the switchover waits for it. */
  readonly inTransaction: boolean;
}

const STALE_MS = 10_000;

export class SwitchoverHold {
  private since = 0;
  private lastHold = 0;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly ctx: WorkerContext,
    private readonly send: (m: WorkerSwitchoverState) => void,
  ) {}

  get holding(): boolean {
    return this.since > 0;
  }

  /** Returns true when `m` was a switchover message. */
  handle(m: { t: string }): boolean {
    if (m.t !== 'switchover_hold') return false;
    const h = m as SupervisorSwitchoverHold;
    if (h.action === 'release') this.release('switchover done');
    else this.hold();
    let busy = 0;
    for (const s of this.sessions()) if (s.inTransaction) busy++;
    this.send({ t: 'switchover_state', id: h.id, busy });
    return true;
  }

  /** A session that starts while held is held too. */
  adopt(s: HoldableSession): void {
    if (this.holding) s.holdTransactions(true);
  }

  private sessions(): HoldableSession[] {
    return [...this.ctx.sessions].filter((s): s is typeof s & HoldableSession => typeof (s as Partial<HoldableSession>).holdTransactions === 'function');
  }

  private hold(): void {
    this.lastHold = Date.now();
    if (this.holding) return;
    this.since = Date.now();
    for (const s of this.sessions()) s.holdTransactions(true);
    this.ctx.log.log({ worker: this.ctx.workerIndex, sessions: this.ctx.sessions.size }, 'switchover: new transactions wait at their boundary; running ones may finish');
    this.timer = setInterval(() => {
      if (Date.now() - this.lastHold > STALE_MS) this.release('no word from the supervisor');
    }, 500);
    this.timer.unref();
  }

  private release(why: string): void {
    if (!this.holding) return;
    const ms = Date.now() - this.since;
    this.since = 0;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    for (const s of this.sessions()) s.holdTransactions(false);
    this.ctx.log.log({ worker: this.ctx.workerIndex, ms }, `switchover: sessions released after ${ms} ms (${why})`);
  }
}
