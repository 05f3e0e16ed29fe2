/**
 * pgpool's SQL admin commands (SHOW POOL_*, PGPOOL SHOW/SET/RESET), answered by the worker
 * from its ClusterState and settings without touching a backend.
 */
import type { StatementInfo } from '@pgrelay/sql';
import type { WorkerContext } from '../context';
import { pgpoolReset, pgpoolSet } from './pgpool-set';
import { pgpoolShow } from './pgpool-show';
import { adminError, resultSet, tagOnly, type TxStatus } from './result';
import { showPool } from './show';

export { handleAdminIpc } from './ipc';
export { noteBackendError, noteSessionStart, noteStatements } from './stats';

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
 * ReadyForQuery) when `statements` is an admin command — a promise for the listings that
 * gather every worker's report; null when it is ordinary SQL.
 * pgpool only recognises a query that is the admin command alone; with other statements
 * around it the whole query goes to the backend (which rejects PGPOOL).
 */
export function answerAdmin(
  statements: StatementInfo[],
  ctx: WorkerContext,
  session: AdminSession,
  txStatus: TxStatus,
): Buffer | Promise<Buffer> | null {
  if (statements.length !== 1) return null;
  const admin = statements[0]!.admin;
  if (!admin) return null;
  switch (admin.kind) {
    case 'show':
      return showPool(admin.what, ctx, session, txStatus) ?? null;
    case 'pgpool_show': {
      const a = pgpoolShow(admin.name, ctx.config, session);
      if ('notFound' in a) return adminError(`config variable "${admin.name}" not found`, txStatus);
      if ('single' in a) return resultSet([a.single.column], [[a.single.value]], txStatus);
      return resultSet(['item', 'value', 'description'], a.rows.map((r) => [r.item, r.value, r.description]), txStatus);
    }
    case 'pgpool_set': {
      const r = pgpoolSet(admin.name, admin.value, session);
      return 'error' in r ? adminError(r.error, txStatus) : tagOnly(r.tag, txStatus);
    }
    case 'pgpool_reset': {
      const r = pgpoolReset(admin.name, session);
      return 'error' in r ? adminError(r.error, txStatus) : tagOnly(r.tag, txStatus);
    }
    default:
      return null;
  }
}
