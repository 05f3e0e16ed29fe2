/**
 * Forks the worker processes, respawns one that dies, and carries the IPC: cluster state
 * down, slot requests and cancel requests across workers, events up.
 */
import cluster, { type Worker } from 'node:cluster';
import { workerCount } from '@pgrelay/config';
import type { ClusterState, SupervisorToWorker, WorkerToSupervisor } from '@pgrelay/cluster';
import { workerOfPid } from '@pgrelay/cluster';
import type { FailureKind } from './failover';
import { SlotCounter, type Logger, type WorkerInit } from '@pgrelay/proxy';

export interface WorkerEvents {
  nodeConnected(nodeId: number): void;
  backendFailure(nodeId: number, cause: string, worker: number, kind: FailureKind): void;
  allListening(): void;
  workerFailedToStart(code: number | null): void;
  /** Any other message (admin replies and the like), for whoever asked. */
  other?(worker: number, m: { t: string }): void;
}

export class WorkerSet {
  private readonly workers = new Map<number, Worker>();
  private readonly listening = new Set<number>();
  private readonly slots: SlotCounter<{ worker: number; id: number }>;
  private readonly slotsHeld = new Map<number, number>();
  private stopping = false;
  /** Workers that asked to retire: their exit is expected and their index stays taken until then. */
  private readonly retiring = new Set<Worker>();
  /** New worker index → the index of the retiring worker it replaces. */
  private readonly replaces = new Map<number, number>();
  private announced = false;
  readonly count: number;

  constructor(
    private readonly log: Logger,
    private readonly events: WorkerEvents,
    private init: () => Omit<WorkerInit, 'index' | 'workers'>,
    numWorkers: number,
    limits: { numInitChildren: number; reserved: number },
    policy: 'none' | 'rr',
  ) {
    this.count = workerCount(numWorkers);
    this.slots = new SlotCounter(limits.numInitChildren, limits.reserved);
    // SCHED_NONE: every worker accepts on the shared listening socket itself and the kernel
    // hands each connection to one of them — no IPC per accepted connection. SCHED_RR
    // (worker_scheduling = rr) has the supervisor accept and pass each socket over IPC, which
    // costs the supervisor CPU per connection (it shows in pgbench -C).
    cluster.schedulingPolicy = policy === 'rr' ? cluster.SCHED_RR : cluster.SCHED_NONE;
    // Workers get the supervisor's Node flags plus PGRELAY_WORKER_EXEC_ARGV (space-separated),
    // e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof" to profile the workers only: Node refuses
    // --cpu-prof in NODE_OPTIONS, and it would profile the supervisor too.
    const extra = (process.env.PGRELAY_WORKER_EXEC_ARGV ?? '').split(/\s+/).filter((a) => a !== '');
    cluster.setupPrimary({ serialization: 'advanced', execArgv: [...process.execArgv, ...extra] });
  }

  start(): void {
    for (let i = 0; i < this.count; i++) this.spawn(i);
  }

  get pids(): number[] {
    return [...this.workers.values()].map((w) => w.process.pid!).filter(Boolean);
  }

  private spawn(index: number): void {
    const worker = cluster.fork({ PGRELAY_WORKER_INDEX: String(index) });
    this.workers.set(index, worker);
    this.slotsHeld.set(index, 0);
    worker.on('online', () => {
      const msg: { t: 'init'; init: WorkerInit } = { t: 'init', init: { ...this.init(), index, workers: this.count } };
      worker.send(msg);
    });
    worker.on('message', (m: WorkerToSupervisor) => this.onMessage(index, m));
    worker.on('exit', (code, signal) => this.onExit(index, worker, code, signal));
  }

  private onExit(index: number, worker: Worker, code: number | null, signal: string | null): void {
    if (this.workers.get(index) !== worker) return;
    this.workers.delete(index);

    const wasListening = this.listening.delete(index);
    // The dead worker's sessions are gone: give their slots back.
    const held = this.slotsHeld.get(index) ?? 0;
    for (let i = 0; i < held; i++) this.grant(this.slots.release());
    this.slotsHeld.set(index, 0);
    this.slots.dropWaiters((w) => w.worker === index);
    if (this.retiring.delete(worker)) {
      this.log.log({ worker: index, pid: worker.process.pid }, `retired worker process ${worker.process.pid} exited`);
      return;
    }
    if (this.stopping) return;
    if (!wasListening && !this.announced) {
      this.events.workerFailedToStart(code);
      return;
    }
    this.log.log({ worker: index, pid: worker.process.pid, code, signal }, `worker process ${worker.process.pid} exited (${signal ?? `exit code ${code}`}); starting a new one`);
    this.spawn(index);
  }

  private onMessage(index: number, m: WorkerToSupervisor): void {
    switch (m.t) {
      case 'listening': {
        this.listening.add(index);
        const retired = this.replaces.get(index);
        if (retired !== undefined) {
          this.replaces.delete(index);
          this.send(retired, { t: 'replaced' });
        }
        if (!this.announced && this.listening.size === this.count) {
          this.announced = true;
          this.events.allListening();
        }
        break;
      }
      case 'acquire': {
        const r = this.slots.request({ worker: index, id: m.id });
        if (r === 'queued') break;
        if (r === 'granted') this.slotsHeld.set(index, (this.slotsHeld.get(index) ?? 0) + 1);
        this.send(index, { t: 'slot', id: m.id, granted: r === 'granted' });
        break;
      }
      case 'release':
        this.slotsHeld.set(index, Math.max(0, (this.slotsHeld.get(index) ?? 0) - 1));
        this.grant(this.slots.release());
        break;
      case 'cancel': {
        const owner = workerOfPid(m.pid);
        if (owner !== index && this.workers.has(owner)) this.send(owner, { t: 'cancel', pid: m.pid, key: m.key });
        break;
      }
      case 'retire': {
        const old = this.workers.get(index);
        if (!old || this.retiring.has(old)) break;
        this.retiring.add(old);
        const next = this.freeIndex();
        this.log.log({ worker: index, replacement: next, reason: m.reason }, `worker ${index} retires (${m.reason}); starting worker ${next}`);
        if (next >= 0) {
          this.spawn(next);
          this.replaces.set(next, index);
        } else this.send(index, { t: 'replaced' });
        break;
      }
      case 'node_connected':
        this.events.nodeConnected(m.nodeId);
        break;
      case 'backend_failure':
        this.events.backendFailure(m.nodeId, m.cause, index, m.kind ?? 'io');
        break;
      default:
        this.events.other?.(index, m as { t: string });
        break;
    }
  }

  /** Indices of the workers alive now. */
  get indices(): number[] {
    return [...this.workers.keys()];
  }

  /** Sends any message to one worker (admin requests). */
  sendTo(index: number, m: { t: string }): void {
    this.send(index, m as SupervisorToWorker);
  }

  /** OS pid of a worker. */
  pidOf(index: number): number | undefined {
    return this.workers.get(index)?.process.pid;
  }

  private freeIndex(): number {
    for (let i = 0; i < 256; i++) if (!this.workers.has(i)) return i;
    return -1;
  }

  private grant(next: { worker: number; id: number } | undefined): void {
    if (!next) return;
    if (!this.workers.has(next.worker)) {
      this.grant(this.slots.release());
      return;
    }
    this.slotsHeld.set(next.worker, (this.slotsHeld.get(next.worker) ?? 0) + 1);
    this.send(next.worker, { t: 'slot', id: next.id, granted: true });
  }

  private send(index: number, m: SupervisorToWorker | { t: 'init' }): void {
    const w = this.workers.get(index);
    if (w && w.isConnected()) w.send(m);
  }

  broadcast(m: SupervisorToWorker): void {
    for (const i of this.workers.keys()) this.send(i, m);
  }

  broadcastState(state: ClusterState): void {
    this.broadcast({ t: 'state', state });
  }

  setInit(init: () => Omit<WorkerInit, 'index' | 'workers'>): void {
    this.init = init;
  }

  /** Asks every worker to stop; resolves when all have exited. */
  stop(mode: 'smart' | 'fast' | 'immediate'): Promise<void> {
    this.stopping = true;
    const exits = [...this.workers.values()].map((w) => new Promise<void>((r) => (w.isDead() ? r() : w.once('exit', () => r()))));
    this.broadcast({ t: 'shutdown', mode });
    if (mode === 'immediate') for (const w of this.workers.values()) w.process.kill('SIGKILL');
    return Promise.all(exits).then(() => undefined);
  }
}
