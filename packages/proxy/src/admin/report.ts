/**
 * This worker's part of the process listings: its sessions, its cached backend connections
 * and its counters, in the shape the supervisor merges (AdminWorkerReport).
 */
import type { AdminConnReport, AdminSessionReport, AdminWorkerReport } from '@pgrelay/cluster';
import type { WorkerContext } from '../context';
import { acceptedSessions, allCounters, workerStartedAt } from './stats';

/** What sessions and cached connections expose of their backend connection. */
interface ConnLike {
  node: { id: number };
  pid: number;
  createdAt: number;
  lastUsed: number;
  sessionsServed: number;
}

const conn = (b: ConnLike, user: string, database: string): AdminConnReport => ({
  nodeId: b.node.id,
  pid: b.pid,
  createdAt: b.createdAt,
  counter: b.sessionsServed,
  database,
  user,
});

/** Cached connections, keyed `node\0user\0database\0...` (see pool.ts poolKey). */
function idleConnections(ctx: WorkerContext): (AdminConnReport & { lastUsed: number })[] {
  const out: (AdminConnReport & { lastUsed: number })[] = [];
  for (const [key, c] of ctx.pool.entries()) {
    const [, user = '', database = ''] = key.split('\0');
    out.push({ ...conn(c, user, database), lastUsed: c.lastUsed });
  }
  return out;
}

export function workerReport(ctx: WorkerContext): AdminWorkerReport {
  const sessions: AdminSessionReport[] = [];
  for (const s of ctx.sessions) {
    const r = s.adminInfo();
    if (r) sessions.push(r);
  }
  return {
    index: ctx.workerIndex,
    pid: process.pid,
    startedAt: workerStartedAt,
    accepted: acceptedSessions(),
    sessions,
    idle: idleConnections(ctx),
    counters: allCounters(),
  };
}
