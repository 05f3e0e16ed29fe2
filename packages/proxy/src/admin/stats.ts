/**
 * What this worker counts for the operator: client connections accepted, and statements
 * and backend errors per node (SHOW POOL_BACKEND_STATS, select_cnt of SHOW POOL_NODES).
 * Sessions call the note* hooks; counting is a few integer increments on the hot path.
 */
import type { AdminNodeCounters } from '@pgrelay/cluster';
import type { StatementInfo } from '@pgrelay/sql';

const counters = new Map<number, AdminNodeCounters>();
let accepted = 0;

/** Unix ms this worker process started. */
export const workerStartedAt = Date.now() - Math.round(process.uptime() * 1000);

const zero = (): AdminNodeCounters => ({ select: 0, insert: 0, update: 0, delete: 0, ddl: 0, other: 0, panic: 0, fatal: 0, error: 0 });

function of(nodeId: number): AdminNodeCounters {
  let c = counters.get(nodeId);
  if (!c) counters.set(nodeId, (c = zero()));
  return c;
}

const DDL = /^(CREATE|ALTER|DROP|TRUNCATE|COMMENT|GRANT|REVOKE|REINDEX|CLUSTER|SECURITY LABEL|REFRESH)\b/;

/** A client session was accepted. */
export function noteSessionStart(): void {
  accepted++;
}

/** Statements sent to `nodeId` in one Query; pgpool counts each by its command kind. */
export function noteStatements(nodeId: number, statements: readonly StatementInfo[]): void {
  if (nodeId < 0) return;
  const c = of(nodeId);
  for (const s of statements) {
    // StatementInfo.command is a command tag, upper case already (sql/command-tag.ts)
    const cmd = s.command;
    if (cmd === 'SELECT' && !s.selectInto) c.select++;
    else if (cmd === 'INSERT') c.insert++;
    else if (cmd === 'UPDATE') c.update++;
    else if (cmd === 'DELETE') c.delete++;
    else if (DDL.test(cmd)) c.ddl++;
    else c.other++;
  }
}

/** An ErrorResponse from node `nodeId`, by severity. */
export function noteBackendError(nodeId: number, severity: string): void {
  if (nodeId < 0) return;
  const c = of(nodeId);
  if (severity === 'PANIC') c.panic++;
  else if (severity === 'FATAL') c.fatal++;
  else c.error++;
}

export const allCounters = (): Record<number, AdminNodeCounters> => Object.fromEntries(counters);
export const acceptedSessions = (): number => accepted;

/** The supervisor's health checker statistics, as last pushed (rows in pgpool's column order). */
let healthRows: string[][] | undefined;
export const setHealthRows = (rows: string[][]): void => {
  healthRows = rows;
};
export const pushedHealthRows = (): string[][] | undefined => healthRows;
