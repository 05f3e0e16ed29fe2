/**
 * One client connection, from its startup packet to its end: login (login.ts), connecting
 * the other backends reads may go to (routing/connect.ts), then the relay — client messages
 * framed and forwarded as they came to the backend(s) the router picks (routing/router.ts),
 * answers put back in order.
 */
import { noteNodeConnected } from './node-connected';
import net from 'node:net';
import { TLSSocket, type SecureContext } from 'node:tls';
import { isUsable, type AdminSessionReport } from '@pgrelay/cluster';
import {
  authenticationOk,
  backendKeyData,
  encryptionRefused,
  FrameError,
  negotiateProtocolVersion,
  Framer,
  type FrameSink,
  parameterStatus,
  parseMessage,
  readStartupPacket,
  readyForQuery,
  ScramError,
  StartupError,
  typeTable,
} from '@pgrelay/protocol';
import type { StatementInfo } from '@pgrelay/sql';
import { answerAdmin, noteSessionStart, type AdminSession } from './admin';
import type { BackendConn } from './backend-conn';
import { bool, num, type WorkerContext } from './context';
import { BackendRefusal, BackendUnreachable, ClientError, fatal } from './errors';
import { login, type LoginRequest } from './login';
import { MessageQueue } from './message-queue';
import { connectReadNodes } from './routing/connect';
import { connectAllNodes, isNative, nativeRouter, withoutLostNodes } from './native';
import type { Link } from './routing/link';
import type { TxStatus } from './routing/replies';
import { Router, type RouterHost } from './routing/router';
import { parseMessageOf } from './survive/replay-state';
import { replayOpenTransaction, type Captured } from './survive/replay-tx';
import { TxRecorder } from './survive/tx-recorder';
import { answerOutcome, type Replayed } from './survive/answer-outcome';
import { sessionSettings, type SessionSettings } from './routing/settings';
import { cancelOn, releaseBackend } from './backend-release';
import { SessionState } from './session-state';
import { answerOwed } from './survive/owed-replies';
import { judge, unansweredFrom, type Outcome } from './survive/outcome';
import { cstringAt } from './routing/messages';
import { mustAnnounce } from './survive/lost-tx';
import { rebuild, type Rebuilt } from './survive/rebuild';
import { NotAFailover } from './survive/wait-primary';
import { describeUnrebuildable, parameterChanges, rebuiltSummary } from './survive/describe';
import type { Credentials } from './credentials';
import { queryText, type Notice } from '@pgrelay/protocol';
import { classify } from '@pgrelay/sql';

const X = 0x58;

const SSL_ACCEPTED = Buffer.from('S');
/** During login every client message is read; afterwards the ones that decide where a message goes. */
const LOGIN_TYPES = typeTable('pQPSXCFBEDHdcf');
const RELAY_TYPES = typeTable('QPBEDCSHFX');

/** 'failover': the session lost its backend and waits for a new one; the client's messages queue meanwhile. */
type Phase = 'startup' | 'login' | 'relay' | 'failover' | 'ended';
const S = 0x53;
const Q = 0x51;
const P = 0x50;

export class Session implements FrameSink, RouterHost {
  private phase: Phase = 'startup';
  private startupBuf: Buffer | null = null;
  private readonly framer: Framer;
  private readonly loginQueue = new MessageQueue();
  private router: Router | null = null;
  /** Connection-cache keys of the router's links, by link index. */
  private poolKeys: string[] = [];
  private cancelKey: { pid: number; key: number } | null = null;
  private holdsSlot = false;
  private state: SessionState | null = null;
  private req: LoginRequest | null = null;
  private terminated = false;
  private readonly startedAt = Date.now();
  private lastActivity = Date.now();
  private authTimer: NodeJS.Timeout | null = null;
  private idleTimer: NodeJS.Timeout | null = null;
  private adminSession: AdminSession | null = null;
  private cachedSettings: SessionSettings | null = null;
  private settingsOf: unknown = null;
  /** What the client's login produced: how pgrelay logs in for it again after a failover. */
  private credentials: Credentials | null = null;
  /** Client messages that came while the session was being rebuilt, in order. */
  private failoverQueue: { type: number; body: Buffer; raw: Buffer }[] = [];
  /** The transaction was lost in a failover and the client has not been told yet. */
  private lostTx: Notice | null = null;
  /** A switchover holds new transactions: the client's next one waits in failoverQueue at its boundary. */
  private holding = false;
  /** transaction_replay: the open transaction's statements and answer checksums (null when off). */
  private recorder: TxRecorder | null = null;

  /** The client's address, read once: an SSL socket wrapped around the connection may not know it. */
  private readonly peer: { address: string | undefined; port: number | undefined };
  /** The client switched to SSL (answered 'S' to its SSLRequest). */
  private encrypted = false;
  private readonly clientEvents = {
    data: (chunk: Buffer) => this.onClientData(chunk),
    error: () => this.end('client connection error'),
    close: () => this.end(this.terminated ? undefined : 'client disconnected'),
    drain: () => this.router?.resumeLinks(),
  };

  constructor(readonly ctx: WorkerContext, private client: net.Socket) {
    this.framer = new Framer(this, LOGIN_TYPES, num(ctx.config, 'max_message_size') || 0x3fffffff);
    this.peer = { address: client.remoteAddress, port: client.remotePort };
    client.setNoDelay(true);
    for (const [event, fn] of Object.entries(this.clientEvents)) client.on(event, fn);
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
    return this.peer.address ?? '';
  }

  get database(): string {
    return this.req?.database ?? '';
  }

  get applicationName(): string {
    return this.req?.params.get('application_name') ?? '';
  }

  // ---- client input -------------------------------------------------------------------

  private onClientData(chunk: Buffer): void {
    try {
      if (this.phase === 'startup') {
        this.onStartupData(chunk);
      } else if (this.phase !== 'ended') {
        this.lastActivity = Date.now();
        this.resetIdleTimer();
        const links = this.router?.links;
        if (links) for (const l of links) l.conn.socket.cork();
        this.framer.push(chunk);
        if (links) for (const l of links) l.conn.socket.uncork();
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
      if (p.kind === 'ssl' && this.ctx.tls !== null && !this.encrypted && this.peer.address !== undefined) {
        // bytes sent after the request and before the handshake were not protected by it
        if (buf.length > 0) throw fatal('08P01', 'received unencrypted data after SSL request', 'This could be either a client-software bug or evidence of an attempted man-in-the-middle attack.');
        this.startTls(this.ctx.tls);
        return;
      }
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

  /** Answers 'S' and goes on over SSL: the session's reads and writes move to the TLS socket. */
  private startTls(context: SecureContext): void {
    const raw = this.client;
    for (const [event, fn] of Object.entries(this.clientEvents)) raw.off(event, fn);
    raw.on('error', () => undefined); // the TLS socket reports it
    raw.write(SSL_ACCEPTED);
    const secure = new TLSSocket(raw, { isServer: true, secureContext: context });
    for (const [event, fn] of Object.entries(this.clientEvents)) secure.on(event, fn);
    this.client = secure;
    this.encrypted = true;
    this.startupBuf = null;
  }

  // ---- login --------------------------------------------------------------------------

  private async establish(params: Map<string, string>): Promise<void> {
    const ctx = this.ctx;
    const user = params.get('user') ?? '';
    const opened: BackendConn[] = [];
    try {
      if (user === '') throw fatal('28000', 'no PostgreSQL user name specified in startup packet');
      if (ctx.draining) throw fatal('57P03', 'the database system is shutting down');
      const database = params.get('database') || user;
      const loginParams = new Map(params);
      loginParams.delete('user');
      loginParams.delete('database');
      const local = this.peer.address === undefined;
      this.req = { user, database, params: loginParams, address: this.address, local, ssl: this.encrypted };
      if (bool(ctx.config, 'log_connections')) {
        ctx.log.log({ user, database, host: this.address, port: this.peer.port }, `connection received: host=${local ? '[local]' : this.address} port=${this.peer.port ?? ''}`);
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
      opened.push(result.conn);
      if (this.ended) throw new Error('client left during login');
      // as early as possible: the client's first SHOW POOL_NODES should see the node up
      noteNodeConnected(ctx, result.conn.node.id);
      const native = isNative(ctx.state.mode);
      const reads = await (native ? connectAllNodes : connectReadNodes)(ctx, this.req, result.credentials, result.conn);
      for (const b of reads.backends) opened.push(b.conn);
      if (this.ended) throw new Error('client left during login');

      this.credentials = result.credentials;
      this.state = new SessionState(params, num(ctx.config, 'session_state_max_size') || 1 << 20, (bytes, limit) =>
        ctx.log.warn({ user, database, bytes, limit }, `session state reached session_state_max_size (${bytes} > ${limit} bytes): this session will not be rebuilt after a failover`),
      );
      this.recorder = recorderFor(ctx);
      let held = [result, ...reads.backends];
      let balance = reads.balance;
      if (native) ({ held, balance } = withoutLostNodes(ctx, held, balance));
      const conns = held.map((b) => b.conn);
      this.poolKeys = held.map((b) => b.poolKey);
      const main = conns[0]!;
      this.state.reported = main.params;
      const router = native ? nativeRouter(this, conns, balance, (e) => this.fail(e)) : new Router(this, conns, balance);
      this.router = router;
      this.adminView().nodeId = router.balanceNodeId;
      this.cancelKey = ctx.cancels.register(this);
      this.client.cork();
      this.client.write(authenticationOk());
      for (const [k, v] of main.params) this.client.write(parameterStatus(k, v));
      this.client.write(backendKeyData(this.cancelKey.pid, this.cancelKey.key));
      this.client.write(readyForQuery(main.txStatus));
      this.client.uncork();
      if (this.authTimer) clearTimeout(this.authTimer);
      this.authTimer = null;
      this.phase = 'relay';
      noteSessionStart();
      ctx.log.debug({ user, database, node: result.conn.node.id, balance: router.balanceNodeId, reused: result.reused, backendPid: result.conn.pid }, 'session started');
      this.framer.setInspect(RELAY_TYPES);
      this.resetIdleTimer();
      // a streaming session whose nodes went down while it logged in: let go or moved now
      for (const l of router.links) if (!ctx.state.nodes.some((n) => n.id === l.nodeId && isUsable(n))) this.nodeWentDown(l.nodeId, `node ${l.nodeId} went down while this session logged in`);
      // Anything the client sent before it saw ReadyForQuery is relayed now, in order.
      for (const m of this.loginQueue.drain()) this.message(m.type, m.body, m.raw);
    } catch (e) {
      if (this.router === null) for (const c of opened) c.destroy();
      if (!this.ended) this.loginFailed(e);
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
      this.ctx.report({ t: 'backend_failure', nodeId: e.nodeId, cause: e.message, kind: 'connect' });
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
    if (type === X) {
      this.terminated = true;
      this.finish();
      return;
    }
    if (this.phase === 'failover' || (this.holding && this.atBoundary())) {
      // the framer's buffers are not reused, so keeping references is safe
      this.failoverQueue.push({ type, body, raw });
      if (this.failoverQueue.length === 64) this.client.pause();
      return;
    }
    this.recorder?.clientMessage(type, raw);
    if (this.lostTx !== null && this.router) {
      const notice = this.lostTx;
      this.lostTx = null;
      if (mustAnnounce(type, body)) {
        answerOwed(this.router, notice, type === Q ? 1 : 0, type !== Q && type !== S, 'E');
        return;
      }
    }
    this.router?.fromClient(type, body, raw);
  }

  passthrough(bytes: Buffer): void {
    // during a failover COPY data has nowhere to go; the COPY it belongs to is answered with an error
    if (this.phase === 'relay') {
      this.recorder?.clientBytes();
      this.router?.passthrough(bytes);
    }
  }

  // ---- RouterHost -----------------------------------------------------------------------

  /** PGPOOL SET overrides first, then pgpool.conf; recomputed when either changes. */
  settings(): SessionSettings {
    if (this.cachedSettings === null || this.settingsOf !== this.ctx.config) {
      this.cachedSettings = sessionSettings(this.ctx.config, this.adminSession?.overrides);
      this.settingsOf = this.ctx.config;
    }
    return this.cachedSettings;
  }

  toClient(bytes: Buffer): boolean {
    this.recorder?.answer(bytes);
    return this.client.write(bytes);
  }

  beginBatch(): void {
    this.client.cork();
  }

  endBatch(): void {
    this.client.uncork();
  }

  answerAdmin(statements: StatementInfo[], status: TxStatus): Buffer | Promise<Buffer> | null {
    const reply = answerAdmin(statements, this.ctx, this.adminView(), status);
    if (reply !== null) this.cachedSettings = null;
    return reply;
  }

  sentQuery(statements: readonly StatementInfo[]): void {
    this.state!.noteSent(statements as StatementInfo[]);
  }

  sentParse(name: string, text: string, body: Buffer): void {
    this.state!.noteParse(name, text, parseMessage(body).paramTypes);
  }

  closedStatement(name: string): void {
    this.state!.noteCloseStatement(name);
  }

  ready(status: TxStatus, failed: boolean): void {
    this.state?.settle(failed, status);
    this.recorder?.ready(status);
  }

  linkClosed(link: Link, error?: Error): void {
    if (this.phase === 'ended') return;
    const id = link.nodeId;
    this.ctx.report({ t: 'backend_failure', nodeId: id, cause: error?.message ?? 'backend closed the connection', kind: 'io' });
    if (this.router?.dropLink(link)) {
      this.ctx.log.log({ node: id }, `lost the connection to node ${id}; this session reads from the primary from now on`);
      return;
    }
    this.survive(id, `node ${id} closed the connection${error ? `: ${error.message}` : ''}`);
  }

  backendDrained(): void {
    this.client.resume();
  }

  pauseClient(paused: boolean): void {
    if (paused) this.client.pause();
    else this.client.resume();
  }

  private adminView(): AdminSession {
    this.adminSession ??= { user: this.req!.user, database: this.req!.database, nodeId: -1, overrides: new Map() };
    if (this.router) this.adminSession.nodeId = this.router.balanceNodeId;
    return this.adminSession;
  }

  /** What SHOW POOL_PROCESSES / pcp_proc_info show of this session. */
  adminInfo(): AdminSessionReport | null {
    if (!this.req || this.phase === 'ended') return null;
    const r = this.router;
    const b = r?.links[0]?.conn ?? null;
    const status: AdminSessionReport['status'] =
      this.phase !== 'relay' ? 'Connecting' : r?.busy ? 'Execute command' : r && r.status !== 'I' ? 'Idle in transaction' : 'Idle';
    return {
      database: this.req.database,
      user: this.req.user,
      connectedAt: this.startedAt,
      idleSeconds: Math.floor((Date.now() - this.lastActivity) / 1000),
      status,
      backend: b ? { nodeId: b.node.id, pid: b.pid, createdAt: b.createdAt, counter: b.sessionsServed, database: this.req.database, user: this.req.user } : null,
    };
  }

  // ---- online recovery's gate (recovery-gate.ts) ---------------------------------------------

  recoveryIdleSince(): number | null {
    return this.phase === 'relay' && !this.router?.busy ? this.lastActivity : null;
  }

  endForRecovery(err: ClientError): void {
    this.fail(err);
  }

  // ---- cancel, idle limit, shutdown --------------------------------------------------------

  cancelBackend(): void {
    for (const l of this.router?.links ?? []) if (l.inFlight > 0) cancelOn(l.conn);
  }

  private resetIdleTimer(): void {
    const limit = this.phase === 'relay' ? this.settings().clientIdleLimit : num(this.ctx.config, 'client_idle_limit');
    if (limit <= 0) return;
    if (this.idleTimer) this.idleTimer.refresh();
    else {
      this.idleTimer = setTimeout(() => this.onIdleLimit(limit), limit * 1000);
      this.idleTimer.unref();
    }
  }

  private onIdleLimit(limit: number): void {
    if (this.phase !== 'relay') return;
    if (this.router?.busy) {
      this.idleTimer = null;
      this.resetIdleTimer();
      return;
    }
    this.fail(fatal('57000', 'unable to read data', `child connection forced to terminate due to client_idle_limit:${limit} is reached`));
  }

  /** A standby it only read from is let go (reads move to the primary); the primary, or one mid-answer, moves the session (survive()). */
  nodeWentDown(nodeId: number, cause: string): void {
    const link = this.router?.links.find((l) => l.nodeId === nodeId);
    if (!link) return;
    if (this.router!.dropLink(link)) {
      link.conn.detach();
      link.conn.close();
      return;
    }
    this.survive(nodeId, cause);
  }

  // ---- failover: the session moves to the new primary (survive/) ------------------------------

  /** Nothing owed, no transaction open, nothing waiting: a new message would start something new. */
  private atBoundary(): boolean {
    const r = this.router;
    return r === null || this.failoverQueue.length > 0 || (!r.busy && r.status === 'I');
  }

  /** For a switchover: in a transaction or owed an answer (the old primary is stopped once none is). */
  get inTransaction(): boolean {
    return this.phase === 'relay' && !this.atBoundary();
  }

  /** A switchover starts (true) or is over (false): what waited goes on, in order. */
  holdTransactions(on: boolean): void {
    this.holding = on;
    if (!on && this.phase === 'relay') this.drainQueue();
  }

  private drainQueue(): void {
    const queued = this.failoverQueue;
    this.failoverQueue = [];
    for (let i = 0; i < queued.length; i++) {
      if (this.phase !== 'relay' || (this.holding && this.atBoundary())) {
        // held again (or failed over): the rest keeps waiting, in order
        this.failoverQueue = [...queued.slice(i), ...this.failoverQueue];
        return;
      }
      const m = queued[i]!;
      this.message(m.type, m.body, m.raw);
    }
    this.client.resume();
  }

  /**
   * The session lost a backend it cannot do without. Unless it holds state no replay can
   * rebuild, it waits for the new primary, logs in there as the client, replays its state,
   * and then answers what was in flight as survive/outcome.ts judges.
   */
  private survive(lost: number, cause: string): void {
    const router = this.router;
    const state = this.state;
    if (this.phase !== 'relay' || router === null || state === null) return;
    const started = Date.now();
    const blocked = describeUnrebuildable(state.unrebuildable);
    const ms = num(this.ctx.config, 'session_failover_timeout');
    if (blocked !== null || ms <= 0) {
      const why = blocked ?? 'session_failover_timeout is 0';
      this.ctx.log.log({ node: lost, user: this.req?.user, cause }, `session ended: node ${lost} was lost and ${why}`);
      this.fail(fatal('57P01', `terminating connection because backend node ${lost} failed and this session ${blocked === null ? 'is not moved (session_failover_timeout = 0)' : `holds state that cannot be rebuilt on another node: ${blocked}`}`, cause));
      return;
    }
    const head = router.replies.head;
    const types = router.batch.map((b) => b[0]!);
    const outcome = judge({
      busy: router.busy,
      status: router.status,
      batchStatus: router.batchStatus,
      batchWrites: router.batchWrites,
      batchCommits: router.batchCommits,
      batchDone: router.batchDone,
      headDelivered: head !== undefined && head.delivered,
      types,
      txWrote: router.txWrote,
      bareCommit: router.batch.length === 1 && isBareCommit(router.batch[0]!),
    });
    const unanswered = router.busy ? router.batch.slice(unansweredFrom(types, router.batchDone)) : [];
    const rerun = outcome.kind === 'rerun' ? unanswered : [];
    // a Parse the client has no answer for is not prepared as far as it knows: re-run, or
    // parsed again by the client, it must not meet a copy made by the replay (42P05)
    for (const raw of unanswered) if (raw[0] === P) state.forgetPrepared(cstringAt(raw, 5));
    const shutdownNotice = router.shutdownNotice;
    const knew = state.reported;
    state.abandonInFlight();
    this.phase = 'failover';
    this.router = null;
    router.stop();
    for (const l of router.links) {
      l.conn.detach();
      l.conn.destroy();
    }
    this.ctx.log.log({ node: lost, user: this.req?.user, application: this.applicationName, outcome: outcome.kind, batch: types.map((t) => String.fromCharCode(t)).join(""), done: router.batchDone, cause }, `session lost node ${lost} (${cause}); waiting for the primary to rebuild it (${outcome.kind})`);
    // transaction_replay: the open transaction runs again on the new primary before the client goes on
    const rec = this.recorder;
    const captured: Captured | null = rec !== null && (outcome.kind === 'lost_tx' || outcome.kind === 'lost_tx_idle') ? { units: [...rec.units], unanswered: rec.unanswered(), refused: rec.refused } : null;
    this.recorder = recorderFor(this.ctx);
    rebuild(this.ctx, this.req!, this.credentials!, state, lost, () => this.ended)
      .then(async (r) => {
        if (captured === null || this.ended) return { r, o: outcome };
        const replayed = await replayOpenTransaction(this.ctx, r.conns[0]!, captured, lost, num(this.ctx.config, 'connect_timeout') || 10_000);
        return { r, o: replayed ?? outcome };
      })
      .then(
      ({ r, o }) => this.resume(r, lost, o, rerun, knew, started),
      (e: Error) => {
        if (this.ended) return;
        if (e instanceof NotAFailover && shutdownNotice) {
          this.ctx.log.log({ node: lost }, `session ended: its backend on node ${lost} was terminated (${e.message})`);
          this.sendAndClose(shutdownNotice);
          return;
        }
        this.ctx.log.log({ node: lost, err: e.message }, `session ended: could not rebuild it after losing node ${lost}: ${e.message}`);
        this.fail(fatal(e instanceof NotAFailover ? '57P01' : '08006', `terminating connection because the connection to backend node ${lost} was lost`, `${cause}; ${e.message}`));
      },
    );
  }

  /** The new backends are ready: the session relays again, first answering what the old ones owed. */
  private resume(r: Rebuilt, lost: number, outcome: Outcome | Replayed, rerun: Buffer[], knew: ReadonlyMap<string, string>, started: number): void {
    if (this.ended) {
      for (const c of r.conns) c.destroy();
      return;
    }
    const state = this.state!;
    const router = new Router(this, r.conns, r.balance);
    for (const [name, p] of state.prepared) {
      const mask = r.masks.get(name) ?? 0;
      if (!(mask & 1)) {
        // its Parse fails on the new primary too (most likely it failed for the client already)
        state.forgetPrepared(name);
        continue;
      }
      router.adoptPrepared(name, p.text, p.via === 'protocol' ? parseMessageOf(name, p.text, p.paramTypes) : null, p.via === 'sql' ? p.text : null, mask);
    }
    this.router = router;
    this.poolKeys = r.poolKeys;
    const primary = r.conns[0]!;
    state.reported = primary.params;
    const node = primary.node.id;
    this.phase = 'relay';
    // what the client was told of the old backend's parameters and the new one reports differently
    for (const [k, v] of parameterChanges(knew, primary.params)) this.client.write(parameterStatus(k, v));
    // a replayed transaction is the recorder's again (a second failover replays it too)
    if (outcome.kind === 'replayed') this.recorder?.adopt(outcome.units);
    this.lostTx = answerOutcome(router, outcome, `node ${lost} failed over to node ${node}`, rerun, (raw) => this.message(raw[0]!, raw.subarray(5), raw));
    const ms = Date.now() - started;
    this.ctx.log.log(
      { node, lost, ms, outcome: outcome.kind, user: this.req?.user, backendPid: primary.pid },
      `session rebuilt on node ${node} after failover of node ${lost} in ${ms} ms: ${rebuiltSummary(r.replayed)}; in flight: ${outcome.kind}`,
    );
    this.drainQueue();
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

  /** Client sent Terminate: give the backends back to the cache if they are clean. */
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
    const router = this.router;
    if (router) {
      const clean = wasRelaying && this.terminated && !router.busy;
      router.stop();
      for (const l of router.links) {
        l.conn.detach();
        l.conn.socket.resume();
        void releaseBackend(this.ctx, l.conn, this.poolKeys[l.index]!, this.req?.database ?? null, clean && l.inFlight === 0);
      }
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
}

function recorderFor(ctx: WorkerContext): TxRecorder | null {
  return bool(ctx.config, 'transaction_replay') ? new TxRecorder(num(ctx.config, 'transaction_replay_max_size') || 1 << 20) : null;
}

/** A simple Query that is one COMMIT / END and nothing else. */
function isBareCommit(raw: Buffer): boolean {
  if (raw[0] !== Q) return false;
  const list = classify(queryText(raw.subarray(5)));
  return list.length === 1 && list[0]!.tx?.kind === 'commit';
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
