/**
 * A new session's other backends: after the client logged in through the primary, connect
 * to the nodes reads may go to, and make sure this worker knows the primary's catalog
 * (function volatility) before the first read is routed.
 */
import { noteNodeConnected } from '../node-connected';
import type { BackendConn } from '../backend-conn';
import { num, type WorkerContext } from '../context';
import type { Credentials } from '../credentials';
import { BackendRefusal, BackendUnreachable } from '../errors';
import { loginToNode, type LoginRequest } from '../login';
import { loadCatalog, needsLoad } from './catalog';
import { sessionNodes } from './session-nodes';
import { routingSettings } from './settings';

export interface SessionBackend {
  conn: BackendConn;
  poolKey: string;
}

export interface ReadNodes {
  /** The other backends, in link order (link 0 is the primary). */
  backends: SessionBackend[];
  /** Link index of the load-balance node. */
  balance: number;
}

export async function connectReadNodes(ctx: WorkerContext, req: LoginRequest, credentials: Credentials, primary: BackendConn): Promise<ReadNodes> {
  const settings = routingSettings(ctx.config, (m) => ctx.log.warn(m));
  const who = { database: req.database, applicationName: req.params.get('application_name') ?? '' };
  const plan = sessionNodes(ctx.state, primary.node.id, settings, who);
  const opened = await Promise.all(plan.extra.map((id) => open(ctx, req, id, credentials)));
  const backends = opened.filter((b): b is SessionBackend => b !== null);
  const balanceAt = backends.findIndex((b) => b.conn.node.id === plan.balance);
  if (backends.length > 0 && needsLoad(req.database)) {
    await loadCatalog(req.database, primary, Math.max(num(ctx.config, 'connect_timeout'), 10_000));
  }
  return { backends, balance: balanceAt < 0 ? 0 : balanceAt + 1 };
}

/** A node that cannot be reached only costs this session its reads there. */
async function open(ctx: WorkerContext, req: LoginRequest, nodeId: number, credentials: Credentials): Promise<SessionBackend | null> {
  try {
    const r = await loginToNode(ctx, req, nodeId, credentials);
    noteNodeConnected(ctx, nodeId);
    return { conn: r.conn, poolKey: r.poolKey };
  } catch (e) {
    if (e instanceof BackendUnreachable) ctx.report({ t: 'backend_failure', nodeId, cause: e.message, kind: 'connect' });
    const why = e instanceof BackendRefusal || e instanceof BackendUnreachable ? e.message : String((e as Error)?.message ?? e);
    ctx.log.log({ node: nodeId, user: req.user, database: req.database }, `could not connect to node ${nodeId} for load balancing; reads go to the primary: ${why}`);
    return null;
  }
}
