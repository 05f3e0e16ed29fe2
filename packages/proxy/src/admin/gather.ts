/**
 * Every worker's report for SQL SHOW POOL_PROCESSES / POOL_POOLS / POOL_NODES: the listing
 * an operator gets through one worker must show the sessions of all of them, as pcp_proc_info
 * does. The supervisor collects the reports (it already does for PCP) and sends them back.
 */
import type { AdminWorkerReport } from '@pgrelay/cluster';
import type { WorkerContext } from '../context';
import { workerReport } from './report';

/** Past this the listing is answered with what this worker knows rather than keep the client waiting. */
const GATHER_TIMEOUT_MS = 3000;

const waiting = new Map<number, (reports: AdminWorkerReport[]) => void>();
let nextId = 1;

export function gatherReports(ctx: WorkerContext): Promise<AdminWorkerReport[]> {
  if (ctx.workerCount <= 1) return Promise.resolve([workerReport(ctx)]);
  const id = nextId++;
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      waiting.delete(id);
      ctx.log.warn({ waitedMs: GATHER_TIMEOUT_MS }, 'the other workers did not report in time; listing this worker only');
      resolve([workerReport(ctx)]);
    }, GATHER_TIMEOUT_MS);
    waiting.set(id, (reports) => {
      clearTimeout(timer);
      waiting.delete(id);
      resolve(reports);
    });
    ctx.report({ t: 'admin_gather', id });
  });
}

/** The supervisor's answer to an admin_gather. */
export function gathered(id: number, reports: AdminWorkerReport[]): void {
  waiting.get(id)?.(reports);
}
