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
import { BackendUnreachable, fatal } from '../errors';
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

/**
 * Nodes that went down while the session was logging in (the cluster state reached this
 * worker after the links were made): left out before the session starts, so its first write
 * does not meet a node the others no longer replicate to. Nothing has reached the client yet,
 * so a lost main node is simply replaced by the next one held. Link 0 stays the main node.
 */
export function withoutLostNodes<T extends { conn: BackendConn }>(ctx: WorkerContext, held: T[], balance: number): { held: T[]; balance: number } {
  const up = (b: T) => ctx.state.nodes.some((n) => n.id === b.conn.node.id && isUsable(n));
  if (held.every(up)) return { held, balance };
  const kept = held.filter(up);
  for (const b of held) if (!up(b)) b.conn.destroy();
  if (kept.length === 0) throw fatal('08006', 'failed to create a backend connection', 'every node this session connected to went down while it logged in');
  const balanceConn = held[balance]!.conn;
  const at = kept.findIndex((b) => b.conn === balanceConn);
  return { held: kept, balance: at < 0 ? 0 : at };
}
