/**
 * The checks pgpool makes before it takes a node out (pcp_detach_node, switchover), and the
 * wait of the graceful variants: until no client session is left, up to recovery_timeout.
 */
import { nodeSlots, STATUS_CODE } from '@pgrelay/pcp';
import type { BackendConfig } from '@pgrelay/config';
import { pcpError } from '../errors';
import type { PcpServerContext } from './types';

/** Throws pgpool's ERROR when node `id` cannot be degenerated. */
export function checkDegenerate(ctx: PcpServerContext, id: number): void {
  const n = nodeSlots(ctx.sup.table.state)[id];
  const usable = n !== undefined && (n.status === 'up' || n.status === 'waiting');
  if (!usable) throw pcpError(`invalid degenerate backend request, node id : ${id} status: [${n ? STATUS_CODE[n.status] : 0}] is not valid for failover`);
  const b = (ctx.sup.config().backends as BackendConfig[]).find((x) => x.id === id);
  if (b && !b.allowToFailover) {
    throw pcpError(`degenerate backend request for node_id: ${id} from pid [${ctx.pid}] is canceled because failover is disallowed on the node`);
  }
}

/** Resolves true once no worker reports a client session, false after recovery_timeout. */
export async function waitForSessionsToEnd(ctx: PcpServerContext): Promise<boolean> {
  const timeoutMs = Number(ctx.sup.config().recovery_timeout ?? 90) * 1000;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const reports = await ctx.reports.collect();
    if (reports.every((r) => r.sessions.length === 0)) return true;
    if (Date.now() >= deadline) return false;
    await new Promise((r) => setTimeout(r, Math.min(1000, Math.max(0, deadline - Date.now()))));
  }
}
