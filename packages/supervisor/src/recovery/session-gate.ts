/**
 * The supervisor's half of the 2nd-stage gate (pgpool's InRecovery flag): close every worker's
 * door, wait until no client session is left, keep the door closed while the node is brought
 * back, then open it. The workers' half is proxy/src/recovery-gate.ts.
 *
 * The `hold` message is repeated every REFRESH_MS for as long as the gate must stay closed:
 * a worker started meanwhile (respawn, retirement) learns it within one round, and a worker
 * whose supervisor stopped repeating opens by itself instead of holding clients forever.
 */
import type { SupervisorRecoveryGate, WorkerRecoveryGateState } from '@pgrelay/cluster';
import type { Logger } from '@pgrelay/proxy';

const REFRESH_MS = 200;
/** A worker that never answers cannot be waited on: it was built without the gate. */
const SILENT_WORKER_MS = 3_000;

export interface GateWorkers {
  readonly indices: number[];
  sendTo(index: number, m: { t: string }): void;
  pidOf(index: number): number | undefined;
}

export interface GateDeps {
  workers: GateWorkers;
  onWorkerMessage(listener: (worker: number, m: { t: string }) => void): () => void;
  log: Logger;
}

export type GateWait = { ok: true; ms: number } | { ok: false; ms: number; why: string };

interface Answer {
  /** A worker respawned at the same index starts without the gate: its predecessor's answer is void. */
  pid: number | undefined;
  sessions: number;
  held: number;
}

export class SessionGate {
  private nextId = 1;
  /** Answers to holds older than this one belong to an earlier gate. */
  private firstId = 0;
  private timer: NodeJS.Timeout | null = null;
  private idleLimit = 0;
  private readonly answers = new Map<number, Answer>();
  private readonly firstAsked = new Map<number, number>();
  private readonly unsubscribe: () => void;

  constructor(private readonly deps: GateDeps) {
    this.unsubscribe = deps.onWorkerMessage((worker, m) => {
      if (m.t !== 'recovery_gate_state') return;
      const s = m as WorkerRecoveryGateState;
      if (this.timer === null || s.id < this.firstId) return;
      this.answers.set(worker, { pid: deps.workers.pidOf(worker), sessions: s.sessions, held: s.held });
    });
  }

  /** From now on no worker starts a new session; idle ones are cut per client_idle_limit_in_recovery. */
  close(idleLimit: number): void {
    this.idleLimit = idleLimit;
    if (this.timer) return;
    this.answers.clear();
    this.firstAsked.clear();
    this.firstId = this.nextId;
    this.timer = setInterval(() => this.round(), REFRESH_MS);
    this.round();
  }

  private round(): void {
    const id = this.nextId++;
    const now = Date.now();
    for (const i of this.deps.workers.indices) {
      if (!this.firstAsked.has(i)) this.firstAsked.set(i, now);
      const m: SupervisorRecoveryGate = { t: 'recovery_gate', id, action: 'hold', idleLimit: this.idleLimit };
      this.deps.workers.sendTo(i, m);
    }
  }

  private answerOf(i: number): Answer | undefined {
    const a = this.answers.get(i);
    return a && a.pid === this.deps.workers.pidOf(i) ? a : undefined;
  }

  /**
   * Resolves once every live worker has answered a `hold` with no session left, or with why
   * not after `timeoutMs` (recovery_timeout) or when a worker never answers.
   */
  async waitForSessionsToEnd(timeoutMs: number): Promise<GateWait> {
    const started = Date.now();
    const deadline = started + timeoutMs;
    let lastCount = -1;
    for (;;) {
      const now = Date.now();
      const indices = this.deps.workers.indices;
      const silent = indices.filter((i) => !this.answerOf(i) && now - (this.firstAsked.get(i) ?? now) > SILENT_WORKER_MS);
      if (silent.length > 0) {
        return { ok: false, ms: now - started, why: `worker(s) ${silent.join(', ')} did not answer the recovery gate within ${SILENT_WORKER_MS} ms` };
      }
      const all = indices.every((i) => this.answerOf(i) !== undefined);
      const sessions = indices.reduce((n, i) => n + (this.answerOf(i)?.sessions ?? 0), 0);
      if (all && sessions === 0) return { ok: true, ms: now - started };
      if (all && sessions !== lastCount) {
        this.deps.log.log({ sessions }, `node recovery: waiting for ${sessions} client session(s) to end`);
        lastCount = sessions;
      }
      if (now >= deadline) {
        this.deps.log.log(`wait_connection_closed: existing connections did not close in ${Math.round(timeoutMs / 1000)} sec.`);
        return { ok: false, ms: now - started, why: `${sessions} client session(s) still open after ${timeoutMs} ms` };
      }
      await new Promise((r) => setTimeout(r, Math.min(REFRESH_MS / 2, Math.max(1, deadline - now))));
    }
  }

  /** Connections waiting at the door, as the workers last said. */
  get waiting(): number {
    return this.deps.workers.indices.reduce((n, i) => n + (this.answerOf(i)?.held ?? 0), 0);
  }

  /** Lets the waiting connections in; harmless when not closed. */
  open(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    const id = this.nextId++;
    for (const i of this.deps.workers.indices) {
      const m: SupervisorRecoveryGate = { t: 'recovery_gate', id, action: 'open', idleLimit: 0 };
      this.deps.workers.sendTo(i, m);
    }
  }

  dispose(): void {
    this.open();
    this.unsubscribe();
  }
}
