/**
 * A worker's half of online recovery's session gate (the supervisor's half is
 * supervisor/src/recovery/session-gate.ts; pgpool's InRecovery flag). While the supervisor
 * holds the gate:
 *  - a new connection is neither served nor refused: it waits, unread, as it would in
 *    pgpool's listen queue, and becomes a session when the gate opens;
 *  - idle sessions are cut per client_idle_limit_in_recovery: -1 at once (when a query is
 *    running, as soon as it has answered), N once idle N seconds, 0 never;
 *  - every `hold` is answered with the number of sessions still open.
 * If the holds stop coming (the supervisor is gone) the gate opens by itself: clients must
 * not wait forever on a recovery nobody finishes.
 */
import type net from 'node:net';
import type { SupervisorRecoveryGate, WorkerRecoveryGateState } from '@pgrelay/cluster';
import type { WorkerContext } from './context';
import { fatal } from './errors';

/** Timestamps decide idleness; the tick only bounds how late a cut comes. */
const TICK_MS = 100;
/** The supervisor repeats `hold` every 200 ms; this much silence means it is not coming back. */
const STALE_MS = 10_000;

interface Holding {
  idleLimit: number;
  since: number;
}

export class RecoveryGate {
  private holding: Holding | null = null;
  private readonly held = new Map<net.Socket, () => void>();
  private lastHold = 0;
  private tick: NodeJS.Timeout | null = null;
  /** When each session was last seen busy: its idle time starts when its query has answered. */
  private readonly busySeen = new WeakMap<object, number>();

  constructor(
    private readonly ctx: WorkerContext,
    private readonly startSession: (socket: net.Socket) => void,
    private readonly send: (m: WorkerRecoveryGateState) => void,
  ) {}

  /** Returns true when `m` was a gate message. */
  handle(m: { t: string }): boolean {
    if (m.t !== 'recovery_gate') return false;
    const g = m as SupervisorRecoveryGate;
    if (g.action === 'open') this.open('online recovery finished');
    else this.hold(g.idleLimit);
    this.send({ t: 'recovery_gate_state', id: g.id, sessions: this.ctx.sessions.size, held: this.held.size });
    return true;
  }

  /** False when the gate keeps this connection waiting; it is started later by the gate. */
  admit(socket: net.Socket): boolean {
    if (!this.holding) return true;
    // Unread, the startup packet stays in the kernel's buffer until the session starts.
    socket.pause();
    const onClose = () => this.held.delete(socket);
    const onError = () => socket.destroy();
    socket.once('close', onClose);
    socket.on('error', onError);
    this.held.set(socket, () => {
      socket.off('close', onClose);
      socket.off('error', onError);
    });
    return false;
  }

  /** The worker is stopping: waiting clients go in now, and their session tells them so. */
  stop(): void {
    this.open('worker shutting down');
  }

  private hold(idleLimit: number): void {
    this.lastHold = Date.now();
    if (this.holding) {
      this.holding.idleLimit = idleLimit;
      return;
    }
    this.holding = { idleLimit, since: Date.now() };
    this.ctx.log.log({ worker: this.ctx.workerIndex, idleLimit, sessions: this.ctx.sessions.size }, 'online recovery: new sessions wait until the recovery is done');
    this.tick = setInterval(() => this.onTick(), TICK_MS);
    this.cutIdle();
  }

  private onTick(): void {
    if (Date.now() - this.lastHold > STALE_MS) {
      this.ctx.log.warn({ worker: this.ctx.workerIndex }, `online recovery: no word from the supervisor for ${STALE_MS} ms; accepting sessions again`);
      this.open('supervisor silent');
      return;
    }
    this.cutIdle();
  }

  private cutIdle(): void {
    const h = this.holding;
    if (!h || h.idleLimit === 0) return;
    const now = Date.now();
    for (const s of [...this.ctx.sessions]) {
      const since = s.recoveryIdleSince();
      if (since === null) {
        this.busySeen.set(s, now);
        continue;
      }
      if (h.idleLimit < 0) {
        s.endForRecovery(fatal('57000', 'connection terminated due to online recovery', 'child connection forced to terminate due to client_idle_limit_in_recovery = -1'));
        continue;
      }
      const idleFrom = Math.max(since, h.since, this.busySeen.get(s) ?? 0);
      if (now - idleFrom >= h.idleLimit * 1000) {
        s.endForRecovery(fatal('57000', 'unable to read data', `child connection forced to terminate due to client_idle_limit_in_recovery:${h.idleLimit} is reached`));
      }
    }
  }

  private open(reason: string): void {
    if (!this.holding) return;
    const heldMs = Date.now() - this.holding.since;
    this.holding = null;
    if (this.tick) clearInterval(this.tick);
    this.tick = null;
    const waiting = [...this.held];
    this.held.clear();
    this.ctx.log.log({ worker: this.ctx.workerIndex, waited: waiting.length, heldMs }, `online recovery: accepting sessions again after ${heldMs} ms (${reason}); ${waiting.length} connection(s) waited`);
    for (const [socket, unhook] of waiting) {
      unhook();
      if (socket.destroyed) continue;
      this.startSession(socket);
      socket.resume();
    }
  }
}
