/**
 * A session reached a node. pgpool shows a node "waiting" until a client first connects to
 * it, then "up": the supervisor makes that change, so it hears of a connection only while
 * the node still waits — not once per login, which would cost an IPC message per connection.
 */
import type { WorkerContext } from './context';

export function noteNodeConnected(ctx: WorkerContext, nodeId: number): void {
  if (ctx.state.nodes.find((n) => n.id === nodeId)?.status !== 'waiting') return;
  ctx.report({ t: 'node_connected', nodeId });
}
