/**
 * SHOW POOL_PROCESSES / SHOW POOL_POOLS / pcp_proc_info / pcp_proc_count for pgrelay's
 * process model.
 *
 * pgpool has num_init_children child processes, one client each. pgrelay has a few worker
 * processes with many sessions each, and num_init_children is the session limit. So a
 * "child" row here is a session slot: each worker shows its share of num_init_children
 * slots (more if it holds more sessions), filled first by its sessions, then by its cached
 * idle backend connections (as a pgpool child waiting for a client still holds its pool),
 * then empty. pool_pid is the worker's real pid — the process that serves the session and
 * the one `kill` reaches.
 */
import type { AdminConnReport, AdminSessionReport, AdminWorkerReport } from '@pgrelay/cluster';
import { localTime } from './format';

export type SessionReport = AdminSessionReport;
export type ConnReport = AdminConnReport;
export type WorkerReport = AdminWorkerReport;

export interface ProcessLayout {
  numInitChildren: number;
  maxPool: number;
  /** Node slots (pgpool's NUM_BACKENDS). */
  nodes: number;
  /** Workers the session limit is shared among. */
  workers: number;
  clientIdleLimit: number;
}

interface SlotRow {
  session: SessionReport | null;
  /** pool_id -> connection held in that pool slot. */
  pools: (ConnReport & { lastUsed?: number })[][];
}

/** A worker's share of num_init_children, as its connection cache is sized. */
export const slotShare = (l: ProcessLayout): number => Math.max(1, Math.ceil(l.numInitChildren / Math.max(1, l.workers)));

function slotsOf(w: WorkerReport, l: ProcessLayout): SlotRow[] {
  const rows: SlotRow[] = w.sessions.map((s) => ({ session: s, pools: [s.backend ? [s.backend] : []] }));
  const total = Math.max(slotShare(l), rows.length);
  while (rows.length < total) rows.push({ session: null, pools: [] });
  // Cached connections go to the free slots, max_pool of them per slot.
  let free = rows.findIndex((r) => r.session === null);
  for (const conn of w.idle) {
    while (free >= 0 && free < rows.length && (rows[free]!.session !== null || rows[free]!.pools.length >= l.maxPool)) free++;
    if (free < 0 || free >= rows.length) break;
    rows[free]!.pools.push([conn]);
  }
  return rows;
}

const statusOf = (r: SlotRow): string => r.session?.status ?? 'Wait for connection';

export function poolProcessesRows(workers: WorkerReport[], l: ProcessLayout): string[][] {
  const out: string[][] = [];
  for (const w of workers) {
    for (const r of slotsOf(w, l)) {
      const conn = r.pools.flat()[0];
      out.push([
        String(w.pid),
        localTime(w.startedAt),
        String(w.accepted),
        conn?.database ?? '',
        conn?.user ?? '',
        conn ? localTime(conn.createdAt) : '',
        conn ? String(conn.counter) : '',
        statusOf(r),
      ]);
    }
  }
  return out;
}

export function poolPoolsRows(workers: WorkerReport[], l: ProcessLayout, pid = 0): string[][] {
  const out: string[][] = [];
  for (const w of workers) {
    if (pid !== 0 && w.pid !== pid) continue;
    for (const r of slotsOf(w, l)) {
      for (let pool = 0; pool < l.maxPool; pool++) {
        const held = r.pools[pool] ?? [];
        for (let node = 0; node < l.nodes; node++) {
          const c = held.find((x) => x.nodeId === node);
          const live = r.session !== null && pool === 0;
          const idle = live ? r.session!.idleSeconds : 0;
          out.push([
            String(w.pid),
            localTime(w.startedAt),
            String(w.accepted),
            String(pool),
            String(node),
            c?.database ?? '',
            c?.user ?? '',
            c ? localTime(c.createdAt) : '',
            live && c ? localTime(r.session!.connectedAt) : '',
            !live && c?.lastUsed ? localTime(c.lastUsed) : '',
            l.clientIdleLimit > 0 && c && live ? idleWithLimit(idle, l.clientIdleLimit) : String(idle),
            c ? '3' : '0',
            '0',
            c ? String(c.counter) : '0',
            c ? String(c.pid) : '0',
            c ? '1' : '0',
            statusOf(r),
          ]);
        }
      }
    }
  }
  return out;
}

/** "N (M:SS before client disconnected)", pgpool's form when client_idle_limit is set. */
function idleWithLimit(idle: number, limit: number): string {
  const left = limit - idle;
  return `${idle} (${Math.trunc(left / 60)}:${String(left % 60).padStart(2, '0')} before client disconnected)`;
}
