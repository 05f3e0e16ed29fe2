/**
 * This worker's part of the process listings: its sessions, its cached backend connections
 * and its counters, in the shape the supervisor merges (AdminWorkerReport).
 */
import type { AdminConnReport, AdminSessionReport, AdminWorkerReport } from '@pgrelay/cluster';
import type { WorkerContext } from '../context';
import { acceptedSessions, allCounters, workerStartedAt } from './stats';

/** A session that can describe itself to the operator; Session implements it. */
export interface AdminVisible {
  adminInfo(): AdminSessionReport | null;
}

/** What sessions and cached connections expose of their backend connection. */
interface ConnLike {
  node: { id: number };
  pid: number;
  createdAt: number;
  lastUsed: number;
  sessionsServed: number;
}

/**
 * Until Session implements AdminVisible, its fields are read directly; this is the one place
 * that knows them, so a change there shows up here and in the admin tests.
 */
function describeSession(s: unknown): AdminSessionReport | null {
  const visible = s as Partial<AdminVisible>;
  if (typeof visible.adminInfo === 'function') return visible.adminInfo();
  const x = s as {
    phase?: string;
    req?: { user: string; database: string } | null;
    backend?: (ConnLike & { txStatus: 'I' | 'T' | 'E' }) | null;
    pendingReady?: number;
    startedAt?: number;
  };
  if (!x.req || x.phase === 'ended') return null;
  const b = x.backend ?? null;
  const status: AdminSessionReport['status'] =
    x.phase !== 'relay' ? 'Connecting' : (x.pendingReady ?? 0) > 0 ? 'Execute command' : b && b.txStatus !== 'I' ? 'Idle in transaction' : 'Idle';
  return {
    database: x.req.database,
    user: x.req.user,
    connectedAt: x.startedAt ?? 0,
    idleSeconds: 0,
    status,
    backend: b ? conn(b, x.req.user, x.req.database) : null,
  };
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
  const idle = (ctx.pool as unknown as { idle?: Map<string, ConnLike[]> }).idle;
  if (!(idle instanceof Map)) return [];
  const out: (AdminConnReport & { lastUsed: number })[] = [];
  for (const [key, list] of idle) {
    const [, user = '', database = ''] = key.split('\0');
    for (const c of list) out.push({ ...conn(c, user, database), lastUsed: c.lastUsed });
  }
  return out;
}

export function workerReport(ctx: WorkerContext): AdminWorkerReport {
  const sessions: AdminSessionReport[] = [];
  for (const s of ctx.sessions) {
    const r = describeSession(s);
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
