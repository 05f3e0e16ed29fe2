/**
 * One client connection, from its startup packet to its end: login (login.ts), then the
 * relay — client bytes to the backend and back, framed but forwarded as they came, with
 * only the messages that decide something read on the way.
 */
import net from 'node:net';
import {
  authenticationOk,
  backendKeyData,
  cancelRequest,
  encryptionRefused,
  FrameError,
  negotiateProtocolVersion,
  Framer,
  type FrameSink,
  parameterStatus,
  parseMessage,
  queryText,
  readStartupPacket,
  readyForQuery,
  ScramError,
  sqlstateOf,
  StartupError,
  targetOf,
  typeTable,
} from '@pgrelay/protocol';
import { classify } from '@pgrelay/sql';
import { answerAdmin, type AdminSession } from './admin';
import type { BackendConn, BackendOwner } from './backend-conn';
import { socketPathOf } from './backend-conn';
import { bool, num, str, type WorkerContext } from './context';
import { BackendRefusal, BackendUnreachable, ClientError, fatal } from './errors';
import { login, type LoginRequest } from './login';
import { MessageQueue } from './message-queue';
import { isCacheable as isCacheableDb } from './pool';
import { SessionState } from './session-state';

const Q = 0x51;
const P = 0x50;
const S = 0x53;
const X = 0x58;
const C = 0x43;
const F = 0x46;
const Z = 0x5a;
const E = 0x45;

/** During login every client message is read; afterwards only these. */
const LOGIN_TYPES = typeTable('pQPSXCFBEDHdcf');
const RELAY_TYPES = typeTable('QPSXCF');

type Phase = 'startup' | 'login' | 'relay' | 'ended';

export class Session implements BackendOwner, FrameSink {
  private phase: Phase = 'startup';
  private startupBuf: Buffer | null = null;
  private readonly framer: Framer;
  private readonly loginQueue = new MessageQueue();
  private backend: BackendConn | null = null;
  private poolKey = '';
  private cancelKey: { pid: number; key: number } | null = null;
  private holdsSlot = false;
  private state: SessionState | null = null;
  private req: LoginRequest | null = null;
  /** Queries and Syncs sent whose ReadyForQuery has not come back yet. */
  private pendingReady = 0;
  private queryFailed = false;
  private terminated = false;
  private readonly startedAt = Date.now();
  private authTimer: NodeJS.Timeout | null = null;
  private idleTimer: NodeJS.Timeout | null = null;
  private adminSession: AdminSession | null = null;

  constructor(private readonly ctx: WorkerContext, private readonly client: net.Socket) {
    this.framer = new Framer(this, LOGIN_TYPES, num(ctx.config, 'max_message_size') || 0x3fffffff);
    client.setNoDelay(true);
    client.on('data', (chunk) => this.onClientData(chunk));
    client.on('error', () => this.end('client connection error'));
    client.on('close', () => this.end(this.terminated ? undefined : 'client disconnected'));
    client.on('drain', () => this.backend?.socket.resume());
    const timeout = num(ctx.config, 'authentication_timeout');
    if (timeout > 0) {
      this.authTimer = setTimeout(() => this.fail(fatal('08P01', 'canceling authentication due to timeout')), timeout * 1000);
    }
    ctx.sessions.add(this);
  }

  /** Read through a getter so checks after an await are not narrowed away by TypeScript. */
  private get ended(): boolean {
    return this.phase === 'ended';
  }

  private get address(): string {
    return this.client.remoteAddress ?? '';
  }

  // ---- client input -------------------------------------------------------------------

  private onClientData(chunk: Buffer): void {
    try {
      if (this.phase === 'startup') {
        this.onStartupData(chunk);
      } else if (this.phase !== 'ended') {
        this.resetIdleTimer();
        const out = this.backend?.socket;
        out?.cork();
        this.framer.push(chunk);
        out?.uncork();
      }
    } catch (e) {
      this.fail(e instanceof FrameError ? fatal(e.sqlstate, e.message) : asClientError(e));
    }
  }

  private onStartupData(chunk: Buffer): void {
    let buf = this.startupBuf ? Buffer.concat([this.startupBuf, chunk]) : chunk;
    for (;;) {
      const r = readStartupPacket(buf);
      if (r === null) {
        this.startupBuf = buf;
        return;
      }
      buf = buf.subarray(r.used);
      const p = r.packet;
      if (p.kind === 'ssl' || p.kind === 'gssenc') {
        this.client.write(encryptionRefused());
        continue;
      }
      this.startupBuf = null;
      if (p.kind === 'cancel') {
        this.phase = 'ended';
        this.ctx.report({ t: 'cancel', pid: p.pid, key: p.key });
        this.client.end();
        return;
      }
      this.phase = 'login';
      const protocolOptions = [...p.params.keys()].filter((k) => k.startsWith('_pq_.'));
      if ((p.version & 0xffff) > 0 || protocolOptions.length > 0) {
        this.client.write(negotiateProtocolVersion(protocolOptions));
        for (const k of protocolOptions) p.params.delete(k);
      }
      if (buf.length > 0) this.framer.push(buf);
      void this.establish(p.params);
      return;
    }
  }

  // ---- login --------------------------------------------------------------------------

  private async establish(params: Map<string, string>): Promise<void> {
    const ctx = this.ctx;
    const user = params.get('user') ?? '';
    try {
      if (user === '') throw fatal('28000', 'no PostgreSQL user name specified in startup packet');
      if (ctx.draining) throw fatal('57P03', 'the database system is shutting down');
      const database = params.get('database') || user;
      const loginParams = new Map(params);
      loginParams.delete('user');
      loginParams.delete('database');
      const local = this.client.remoteAddress === undefined;
      this.req = { user, database, params: loginParams, address: this.address, local };
      if (bool(ctx.config, 'log_connections')) {
        ctx.log.log({ user, database, host: this.address, port: this.client.remotePort }, `connection received: host=${local ? '[local]' : this.address} port=${this.client.remotePort ?? ''}`);
      }
      const answer = await ctx.slots.acquire();
      if (this.ended) {
        if (answer === 'granted') ctx.slots.release();
        return;
      }
      if (answer === 'refused') throw fatal('53300', 'Sorry, too many clients already');
      this.holdsSlot = true;

      const result = await login(ctx, this.req, {
        send: (b) => this.client.write(b),
        next: () => this.loginQueue.next(),
      });
      if (this.ended) {
        result.conn.destroy();
        return;
      }
      this.backend = result.conn;
      this.poolKey = result.poolKey;
      this.state = new SessionState(params, num(ctx.config, 'session_state_max_size') || 1 << 20);
      result.conn.attach(this);
      this.cancelKey = ctx.cancels.register(this);
      this.client.cork();
      this.client.write(authenticationOk());
      for (const [k, v] of result.conn.params) this.client.write(parameterStatus(k, v));
      this.client.write(backendKeyData(this.cancelKey.pid, this.cancelKey.key));
      this.client.write(readyForQuery(result.conn.txStatus));
      this.client.uncork();
      if (this.authTimer) clearTimeout(this.authTimer);
      this.authTimer = null;
      this.phase = 'relay';
      ctx.report({ t: 'node_connected', nodeId: result.conn.node.id });
      ctx.log.debug({ user, database, node: result.conn.node.id, reused: result.reused, backendPid: result.conn.pid }, 'session started');
      this.framer.setInspect(RELAY_TYPES);
      this.resetIdleTimer();
      // Anything the client sent before it saw ReadyForQuery is relayed now, in order.
      for (const m of this.loginQueue.drain()) this.message(m.type, m.body, m.raw);
    } catch (e) {
      this.loginFailed(e);
    }
  }

  private loginFailed(e: unknown): void {
    const req = this.req;
    if (e instanceof BackendRefusal) {
      this.ctx.log.log({ user: req?.user, database: req?.database, host: this.address, sqlstate: e.sqlstate }, `backend refused the connection: ${e.message}`);
      this.sendAndClose(e.raw);
      return;
    }
    if (e instanceof BackendUnreachable) {
      this.ctx.report({ t: 'backend_failure', nodeId: e.nodeId, cause: e.message });
      this.fail(fatal('08006', 'failed to create a backend connection', e.message));
      return;
    }
    const err = asClientError(e);
    if (err.notice.code.startsWith('28')) {
      this.ctx.log.log({ user: req?.user, database: req?.database, host: this.address, sqlstate: err.notice.code }, `authentication failed: ${err.message}`);
    }
    this.fail(err);
  }

  // ---- relay: FrameSink for client messages ----------------------------------------------

  message(type: number, body: Buffer, raw: Buffer): void {
    if (this.phase === 'login') {
      this.loginQueue.push({ type, body, raw: Buffer.from(raw) });
      return;
    }
    const backend = this.backend;
    if (backend === null) return;
    switch (type) {
      case Q: {
        const sql = queryText(body);
        const statements = classify(sql);
        if (statements.length > 0 && statements[0]!.admin !== undefined) {
          const reply = answerAdmin(statements, this.ctx, this.adminView(), backend.txStatus);
          if (reply !== null) {
            this.client.write(reply);
            return;
          }
        }
        this.pendingReady++;
        this.state!.noteSent(statements);
        this.logStatement(sql, backend);
        break;
      }
      case P: {
        // Unnamed statements (most drivers' default) do not outlive the next Parse: nothing to remember.
        if (body[0] === 0 && !this.logsStatements) break;
        const p = parseMessage(body);
        this.state!.noteParse(p.name, p.text, p.paramTypes);
        this.logStatement(p.text, backend);
        break;
      }
      case C: {
        const t = targetOf(body);
        if (t.kind === 'S') this.state!.noteCloseStatement(t.name);
        break;
      }
      case S:
      case F:
        this.pendingReady++;
        break;
      case X:
        this.terminated = true;
        this.finish();
        return;
    }
    this.toBackend(raw);
  }

  passthrough(bytes: Buffer): void {
    if (this.phase === 'relay') this.toBackend(bytes);
  }

  private toBackend(bytes: Buffer): void {
    if (!this.backend!.write(bytes)) this.client.pause();
  }

  private adminView(): AdminSession {
    this.adminSession ??= { user: this.req!.user, database: this.req!.database, nodeId: -1, overrides: new Map() };
    this.adminSession.nodeId = this.backend?.node.id ?? -1;
    return this.adminSession;
  }

  private get logsStatements(): boolean {
    return bool(this.ctx.config, 'log_statement') || bool(this.ctx.config, 'log_per_node_statement');
  }

  private logStatement(sql: string, backend: BackendConn): void {
    const cfg = this.ctx.config;
    if (bool(cfg, 'log_statement')) this.ctx.log.log(`statement: ${sql}`);
    if (bool(cfg, 'log_per_node_statement')) {
      this.ctx.log.log(`DB node id: ${backend.node.id} backend pid: ${backend.pid} statement: ${sql}`);
    }
  }

  // ---- relay: backend side (BackendOwner) ------------------------------------------------

  beginBatch(): void {
    this.client.cork();
  }

  endBatch(): void {
    this.client.uncork();
  }

  backendDrained(): void {
    this.client.resume();
  }

  backendPassthrough(bytes: Buffer): void {
    this.toClient(bytes);
  }

  backendMessage(type: number, body: Buffer, raw: Buffer): void {
    if (type === Z) {
      if (this.pendingReady > 0) this.pendingReady--;
      this.state?.settle(this.queryFailed, this.backend!.txStatus);
      this.queryFailed = false;
    } else if (type === E) {
      this.queryFailed = true;
      const code = sqlstateOf(body);
      if (code === '57P01' || code === '57P02' || code === '57P03') {
        this.ctx.log.log({ node: this.backend?.node.id, sqlstate: code }, 'backend is shutting down');
      }
    }
    this.toClient(raw);
  }

  private toClient(bytes: Buffer): void {
    if (!this.client.write(bytes)) this.backend?.socket.pause();
  }

  backendClosed(conn: BackendConn, error?: Error): void {
    if (conn !== this.backend || this.phase === 'ended') return;
    this.backend = null;
    this.ctx.report({ t: 'backend_failure', nodeId: conn.node.id, cause: error?.message ?? 'backend closed the connection' });
    this.fail(fatal('57P01', 'terminating connection because the backend connection was lost', `node ${conn.node.id} closed the connection${error ? `: ${error.message}` : ''}`));
  }

  // ---- cancel, idle limit, shutdown --------------------------------------------------------

  cancelBackend(): void {
    if (this.backend) this.cancelBackendOf(this.backend);
  }

  private cancelBackendOf(b: BackendConn): void {
    if (b.pid === 0) return;
    const sockPath = socketPathOf(b.node);
    const s = sockPath ? net.connect(sockPath) : net.connect(b.node.port, b.node.host);
    s.on('connect', () => s.end(cancelRequest(b.pid, b.secret)));
    s.on('error', () => s.destroy());
  }

  private resetIdleTimer(): void {
    const limit = num(this.ctx.config, 'client_idle_limit');
    if (limit <= 0) return;
    if (this.idleTimer) this.idleTimer.refresh();
    else {
      this.idleTimer = setTimeout(() => this.onIdleLimit(limit), limit * 1000);
      this.idleTimer.unref();
    }
  }

  private onIdleLimit(limit: number): void {
    if (this.phase !== 'relay') return;
    if (this.pendingReady > 0) {
      this.idleTimer = null;
      this.resetIdleTimer();
      return;
    }
    this.fail(fatal('57000', 'unable to read data', `child connection forced to terminate due to client_idle_limit:${limit} is reached`));
  }

  nodeWentDown(nodeId: number, cause: string): void {
    if (this.backend?.node.id !== nodeId) return;
    this.fail(fatal('57P01', `terminating connection because backend node ${nodeId} was detached`, cause));
  }

  shutdown(mode: 'smart' | 'fast' | 'immediate'): void {
    if (mode === 'smart') return;
    this.fail(fatal('57P01', 'terminating connection due to administrator command'));
  }

  // ---- the end ------------------------------------------------------------------------------

  private fail(err: ClientError): void {
    this.sendAndClose(err.toMessage());
  }

  private sendAndClose(msg: Buffer): void {
    if (this.phase === 'ended') return;
    if (!this.client.destroyed) this.client.end(msg);
    this.end('error');
  }

  /** Client sent Terminate: give the backend back to the cache if it is clean. */
  private finish(): void {
    this.client.end();
    this.end();
  }

  private end(reason?: string): void {
    if (this.phase === 'ended') return;
    const wasRelaying = this.phase === 'relay';
    this.phase = 'ended';
    this.framer.stop();
    this.loginQueue.fail(new Error(reason ?? 'session ended'));
    if (this.authTimer) clearTimeout(this.authTimer);
    if (this.idleTimer) clearTimeout(this.idleTimer);
    if (this.cancelKey) this.ctx.cancels.unregister(this.cancelKey.pid);
    this.ctx.sessions.delete(this);
    const backend = this.backend;
    this.backend = null;
    if (backend) {
      backend.detach();
      backend.socket.resume();
      void this.release(backend, wasRelaying && this.terminated && this.pendingReady === 0);
    }
    if (this.holdsSlot) {
      this.holdsSlot = false;
      this.ctx.slots.release();
    }
    if (bool(this.ctx.config, 'log_disconnections') && this.req) {
      const ms = Date.now() - this.startedAt;
      this.ctx.log.log(`frontend disconnection: session time: ${formatDuration(ms)} user=${this.req.user} database=${this.req.database} host=${this.req.local ? '[local]' : this.req.address}`);
    }
  }

  private async release(backend: BackendConn, clean: boolean): Promise<void> {
    const cfg = this.ctx.config;
    const keep = clean && !backend.closed && bool(cfg, 'connection_cache') && this.req !== null && isCacheableDb(this.req.database);
    if (!keep) {
      // A query still running would go on after the client left: stop it first.
      if (this.pendingReady > 0 && !backend.closed) this.cancelBackendOf(backend);
      backend.close();
      return;
    }
    try {
      const statements = resetStatements(cfg.reset_query_list as string[] | string, backend.txStatus);
      await backend.reset(statements, 10_000);
      this.ctx.pool.put(this.poolKey, backend);
    } catch (e) {
      this.ctx.log.debug({ err: (e as Error).message }, 'reset failed; closing backend connection');
      backend.destroy();
    }
  }
}

/** reset_query_list, with ABORT dropped when no transaction is open (as pgpool does). */
export function resetStatements(list: string | string[], txStatus: 'I' | 'T' | 'E'): string[] {
  return (Array.isArray(list) ? list : list.split(';'))
    .map((s) => s.trim())
    .filter((s) => s !== '' && !(txStatus === 'I' && /^abort$/i.test(s)));
}

function formatDuration(ms: number): string {
  const h = Math.floor(ms / 3_600_000);
  const m = Math.floor((ms % 3_600_000) / 60_000);
  const s = Math.floor((ms % 60_000) / 1000);
  return `${h}:${String(m).padStart(2, '0')}:${String(s).padStart(2, '0')}.${String(ms % 1000).padStart(3, '0')}`;
}

function asClientError(e: unknown): ClientError {
  if (e instanceof ClientError) return e;
  if (e instanceof ScramError) return fatal(e.sqlstate, e.message);
  if (e instanceof StartupError) return fatal(e.sqlstate, e.message);
  if (e instanceof FrameError) return fatal(e.sqlstate, e.message);
  return fatal('XX000', `internal error: ${(e as Error)?.message ?? String(e)}`);
}
