/**
 * Asks every worker what it serves (sessions, cached connections, counters) for
 * pcp_proc_count / pcp_proc_info. A worker that does not answer in time is left out
 * rather than holding the operator's command.
 */
import type { AdminWorkerReport, SupervisorToWorker, WorkerAdminReply, WorkerToSupervisor } from '@pgrelay/cluster';
import type { SupervisorContext } from '../context';

const TIMEOUT_MS = 2000;

export class WorkerReports {
  private nextId = 1;
  private readonly pending = new Map<number, { want: Set<number>; got: AdminWorkerReport[]; done: () => void }>();
  private readonly unsubscribe: () => void;

  constructor(private readonly ctx: SupervisorContext) {
    this.unsubscribe = ctx.onWorkerMessage((worker, m) => {
      if (m.t !== 'admin_report') return;
      const reply = m as WorkerAdminReply;
      const p = this.pending.get(reply.id);
      if (!p || !p.want.delete(worker)) return;
      p.got.push(reply.report);
      if (p.want.size === 0) p.done();
    });
  }

  /** Reports of the workers alive now, ordered by worker index. */
  async collect(): Promise<AdminWorkerReport[]> {
    const indices = this.ctx.workers.indices;
    if (indices.length === 0) return [];
    const id = this.nextId++;
    const got: AdminWorkerReport[] = [];
    await new Promise<void>((resolve) => {
      const timer = setTimeout(finish, TIMEOUT_MS);
      function finish() {
        clearTimeout(timer);
        resolve();
      }
      this.pending.set(id, { want: new Set(indices), got, done: finish });
      for (const i of indices) this.ctx.workers.sendTo(i, { t: 'admin_report_request', id } as { t: string });
    });
    this.pending.delete(id);
    return got.sort((a, b) => a.index - b.index);
  }

  close(): void {
    this.unsubscribe();
  }
}

/**
 * A worker answering SQL SHOW POOL_PROCESSES / POOL_POOLS / POOL_NODES asks for every worker's
 * report (admin_gather); it gets them as pcp_proc_info would. Returns the unsubscribe.
 */
export function answerWorkerGathers(ctx: SupervisorContext, reports: WorkerReports): () => void {
  return ctx.onWorkerMessage((worker, m) => {
    if (m.t !== 'admin_gather') return;
    const { id } = m as Extract<WorkerToSupervisor, { t: 'admin_gather' }>;
    void reports.collect().then((all) => {
      const reply: SupervisorToWorker = { t: 'admin_gathered', id, reports: all };
      ctx.workers.sendTo(worker, reply);
    });
  });
}
