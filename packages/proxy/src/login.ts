/**
 * Turns an accepted startup packet into an authenticated backend connection:
 * pool_hba.conf, the connection cache, the backend login and the client's own
 * verification, in pgpool's order.
 */
import { matchHba, type HbaRule, type PasswdSecret } from '@pgrelay/config';
import { writeNodeId } from '@pgrelay/cluster';
import { BackendConn, type NodeTarget } from './backend-conn';
import { verifyClient, type ClientChannel } from './client-auth';
import { bool, num, type WorkerContext } from './context';
import type { AuthMethod, Credentials } from './credentials';
import { BackendUnreachable, fatal } from './errors';
import { isCacheable, poolKey } from './pool';

export interface LoginRequest {
  user: string;
  database: string;
  params: Map<string, string>;
  /** Client address ('' for a Unix socket). */
  address: string;
  local: boolean;
  /** The client talks SSL (pool_hba.conf's hostssl / hostnossl). */
  ssl: boolean;
}

export interface LoginResult {
  conn: BackendConn;
  poolKey: string;
  reused: boolean;
  credentials: Credentials;
}

function hbaMethod(rules: HbaRule[], req: LoginRequest): AuthMethod {
  const rule = matchHba(rules, { local: req.local, address: req.address, database: req.database, user: req.user, ssl: req.ssl });
  const where = `host "${req.local ? '[local]' : req.address}", user "${req.user}", database "${req.database}"`;
  if (!rule) throw fatal('28000', `no pool_hba.conf entry for ${where}`);
  switch (rule.method) {
    case 'reject':
      throw fatal('28000', `pool_hba.conf rejects connection for ${where}`);
    case 'trust':
    case 'password':
    case 'md5':
    case 'scram-sha-256':
      return rule.method;
    default:
      throw fatal('28000', `authentication method "${rule.method}" of pool_hba.conf line ${rule.line} is not supported by pgrelay`);
  }
}

/**
 * Without pool_hba.conf pgpool follows the backend's method; a client that can only be
 * checked by the backend itself (no pool_passwd entry) is asked for its clear-text password
 * when allow_clear_text_frontend_auth is on.
 */
function methodFollowingBackend(backend: AuthMethod, secret: PasswdSecret | undefined, allowClearText: boolean): AuthMethod {
  if (backend === 'trust' || backend === 'password') return backend;
  if (secret === undefined && allowClearText) return 'password';
  return backend;
}

export function startupParamsFor(req: LoginRequest): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of req.params) out[k] = v;
  out.user = req.user;
  out.database = req.database;
  return out;
}

export async function login(ctx: WorkerContext, req: LoginRequest, client: ClientChannel): Promise<LoginResult> {
  const cfg = ctx.config;
  const nodeId = writeNodeId(ctx.state);
  if (nodeId < 0) {
    throw fatal(
      'XX000',
      'pgpool is not accepting any new connections',
      'all backend nodes are down, pgpool requires at least one valid node',
      'repair the backend nodes and restart pgpool',
    );
  }
  const node = ctx.state.nodes.find((n) => n.id === nodeId)!;
  const target: NodeTarget = { id: node.id, host: node.host, port: node.port, ssl: bool(cfg, 'ssl') };
  const secret = ctx.passwd.get(req.user);
  const fixedMethod = ctx.hba ? hbaMethod(ctx.hba, req) : null;
  const key = poolKey(nodeId, req.user, req.database, req.params);
  const cacheable = bool(cfg, 'connection_cache') && isCacheable(req.database);

  const cached = cacheable ? ctx.pool.take(key) : undefined;
  if (cached) {
    try {
      const method = fixedMethod ?? methodFollowingBackend(cached.authMethod, secret, bool(cfg, 'allow_clear_text_frontend_auth'));
      const credentials = await verifyClient(method, client, req.user, secret);
      // A client checked only by the backend must match the one that logged this connection in.
      if (secret === undefined && cached.clientPassword !== undefined && credentials.password !== cached.clientPassword) {
        throw fatal('28P01', `password authentication failed for user "${req.user}"`);
      }
      return { conn: cached, poolKey: key, reused: true, credentials };
    } catch (e) {
      ctx.pool.put(key, cached);
      throw e;
    }
  }

  let credentials: Credentials | null = null;
  const conn = await BackendConn.open(
    target,
    startupParamsFor(req),
    async (backendMethod) => {
      const method = fixedMethod ?? methodFollowingBackend(backendMethod, secret, bool(cfg, 'allow_clear_text_frontend_auth'));
      credentials = await verifyClient(method, client, req.user, secret);
      return credentials;
    },
    { connectMs: num(cfg, 'connect_timeout'), loginMs: num(cfg, 'authentication_timeout') * 1000 },
  );
  const creds = credentials as Credentials | null;
  if (creds === null) {
    conn.destroy();
    throw fatal('28000', 'backend login finished without authentication');
  }
  if (secret === undefined) conn.clientPassword = creds.password;
  // The client asked by pool_hba.conf must be checked even when the backend trusts it.
  return { conn, poolKey: key, reused: false, credentials: creds };
}

export interface NodeLogin {
  conn: BackendConn;
  poolKey: string;
  reused: boolean;
}

/**
 * Logs in to one more node as the client already authenticated on the primary (a standby a
 * session reads from): a cached connection with the same key, else a new one with the
 * credentials the client's login produced.
 */
export async function loginToNode(ctx: WorkerContext, req: LoginRequest, nodeId: number, credentials: Credentials): Promise<NodeLogin> {
  const cfg = ctx.config;
  const node = ctx.state.nodes.find((n) => n.id === nodeId);
  if (!node) throw new BackendUnreachable(nodeId, `node ${nodeId} is not configured`);
  const key = poolKey(nodeId, req.user, req.database, req.params);
  const cached = bool(cfg, 'connection_cache') && isCacheable(req.database) ? ctx.pool.take(key) : undefined;
  if (cached) return { conn: cached, poolKey: key, reused: true };
  const conn = await BackendConn.open(
    { id: node.id, host: node.host, port: node.port },
    startupParamsFor(req),
    async () => credentials,
    { connectMs: num(cfg, 'connect_timeout'), loginMs: num(cfg, 'authentication_timeout') * 1000 },
  );
  // the next client to take it from the cache must give the same password
  if (ctx.passwd.get(req.user) === undefined) conn.clientPassword = credentials.password;
  return { conn, poolKey: key, reused: false };
}
