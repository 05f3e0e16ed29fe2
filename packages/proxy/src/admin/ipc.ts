/** Supervisor requests a worker answers for the operator (process and pool listings). */
import type { WorkerContext } from '../context';

/** Returns true when `m` was an admin request this module handled. */
export function handleAdminIpc(_m: { t: string }, _ctx: WorkerContext, _send: (m: unknown) => void): boolean {
  return false;
}
