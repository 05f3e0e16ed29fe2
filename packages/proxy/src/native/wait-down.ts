/**
 * A native-replication session that lost a node may go on without it only once the
 * supervisor degenerated it (otherwise the node, still counted as up, would miss writes).
 * This waits for that verdict, as long as the supervisor's own check may take.
 */
import { isUsable } from '@pgrelay/cluster';
import { num, type WorkerContext } from '../context';

/** The supervisor probes a reported node within health_check_timeout; a little more for the broadcast. */
export const verdictWaitMs = (ctx: WorkerContext): number => Math.max(3, num(ctx.config, 'health_check_timeout') + 2) * 1000;

export function allDown(ctx: WorkerContext, ids: Iterable<number>): boolean {
  for (const id of ids) if (ctx.state.nodes.some((n) => n.id === id && isUsable(n))) return false;
  return true;
}

/** True once every node of `ids` is down; false when the time is up or `wanted()` turns false. */
export async function waitDown(ctx: WorkerContext, ids: readonly number[], wanted: () => boolean = () => true): Promise<boolean> {
  const deadline = Date.now() + verdictWaitMs(ctx);
  for (;;) {
    if (allDown(ctx, ids)) return true;
    if (Date.now() > deadline || !wanted()) return false;
    await new Promise((r) => setTimeout(r, 50));
  }
}
