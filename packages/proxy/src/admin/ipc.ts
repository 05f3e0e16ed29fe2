/** Supervisor requests a worker answers for the operator (process and pool listings). */
import type { SupervisorAdminHealth, SupervisorToWorker, SupervisorAdminRequest, WorkerAdminReply } from '@pgrelay/cluster';
import type { WorkerContext } from '../context';
import { gathered } from './gather';
import { workerReport } from './report';
import { setHealthRows } from './stats';

/** Returns true when `m` was an admin request this module handled. */
export function handleAdminIpc(m: { t: string }, ctx: WorkerContext, send: (m: unknown) => void): boolean {
  if (m.t === 'admin_health_stats') {
    setHealthRows((m as SupervisorAdminHealth).rows);
    return true;
  }
  if (m.t === 'admin_gathered') {
    const g = m as Extract<SupervisorToWorker, { t: 'admin_gathered' }>;
    gathered(g.id, g.reports);
    return true;
  }
  if (m.t !== 'admin_report_request') return false;
  const reply: WorkerAdminReply = { t: 'admin_report', id: (m as SupervisorAdminRequest).id, report: workerReport(ctx) };
  send(reply);
  return true;
}
