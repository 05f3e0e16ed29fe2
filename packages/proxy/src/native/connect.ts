/**
 * A native-replication session holds every live node: writes go to all of them. Unlike a
 * streaming standby (which only costs reads), a node that cannot be reached here would miss
 * this session's writes. So the failure is reported (the supervisor checks the node and
 * degenerates it if it is really gone) and the login waits for that verdict: it goes on
 * without the node once the cluster state shows it down, and fails if it does not.
 */
import { noteNodeConnected } from '../node-connected';
import { isUsable } from '@pgrelay/cluster';
import { bool, num, type WorkerContext } from '../context';
import type { Credentials } from '../credentials';
import { BackendUnreachable } from '../errors';
import { loginToNode, type LoginRequest } from '../login';
import type { BackendConn } from '../backend-conn';
import { selectLoadBalanceNode } from '../routing/balance';
import { loadCatalog, needsLoad } from '../routing/catalog';
import type { ReadNodes, SessionBackend } from '../routing/connect';
import { routingSettings } from '../routing/settings';
import { waitDown } from './wait-down';

export async function connectAllNodes(ctx: WorkerContext, req: LoginRequest, credentials: Credentials, main: BackendConn): Promise<ReadNodes> {
  const others = ctx.state.nodes.filter((n) => isUsable(n) && n.id !== main.node.id).map((n) => n.id);
  const settled = await Promise.allSettled(others.map((id) => loginToNode(ctx, req, id, credentials)));
  const backends: SessionBackend[] = [];
  let failure: unknown = null;
  const unreachable: number[] = [];
  settled.forEach((r, i) => {
    if (r.status === 'fulfilled') {
      backends.push({ conn: r.value.conn, poolKey: r.value.poolKey });
      noteNodeConnected(ctx, others[i]!);
    } else if (r.reason instanceof BackendUnreachable) {
      unreachable.push(others[i]!);
      ctx.report({ t: 'backend_failure', nodeId: others[i]!, cause: r.reason.message, kind: 'connect' });
      failure ??= r.reason;
    } else failure = r.reason;
  });
  if (failure !== null && unreachable.length === settled.filter((r) => r.status === 'rejected').length && (await waitDown(ctx, unreachable))) {
    ctx.log.log({ nodes: unreachable, user: req.user, database: req.database }, `node ${unreachable.join(', ')} could not be reached and was degenerated; the session goes on without it`);
    failure = null;
  }
  if (failure !== null) {
    for (const b of backends) b.conn.destroy();
    throw failure;
  }
  const settings = routingSettings(ctx.config, (m) => ctx.log.warn(m));
  let balance = 0;
  if (bool(ctx.config, 'load_balance_mode') && backends.length > 0) {
    const held = new Set([main.node.id, ...backends.map((b) => b.conn.node.id)]);
    const id = selectLoadBalanceNode({
      nodes: ctx.state.nodes.filter((n) => held.has(n.id)),
      primaryId: main.node.id,
      settings,
      database: req.database,
      applicationName: req.params.get('application_name') ?? '',
      random: Math.random,
    });
    balance = backends.findIndex((b) => b.conn.node.id === id) + 1;
  }
  // function volatility decides whether a SELECT goes to every node (pgpool-compat §10 rule 6)
  if (backends.length > 0 && needsLoad(req.database)) {
    await loadCatalog(req.database, main, Math.max(num(ctx.config, 'connect_timeout'), 10_000));
  }
  return { backends, balance };
}
