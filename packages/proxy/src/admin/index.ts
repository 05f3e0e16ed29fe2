/**
 * pgpool's SQL admin commands (SHOW POOL_*, PGPOOL SHOW/SET/RESET), answered by the worker
 * from its ClusterState and settings without touching a backend.
 */
import type { StatementInfo } from '@pgrelay/sql';
import type { WorkerContext } from '../context';

export interface AdminSession {
  user: string;
  database: string;
  /** The node this session's queries go to now. */
  nodeId: number;
  /** Per-session overrides made with PGPOOL SET. */
  overrides: Map<string, unknown>;
}

/**
 * The complete reply (RowDescription/DataRows/CommandComplete or ErrorResponse, then
 * ReadyForQuery) when `statements` is an admin command; null when it is ordinary SQL.
 */
export function answerAdmin(_statements: StatementInfo[], _ctx: WorkerContext, _session: AdminSession, _txStatus: 'I' | 'T' | 'E'): Buffer | null {
  return null;
}
