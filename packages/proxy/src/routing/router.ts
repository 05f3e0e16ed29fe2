/**
 * A session's relay once it holds its backends: each client message goes to the backend(s)
 * the routing rules name, and the answers come back in the client's order (replies.ts).
 *
 * Extended-protocol messages of one pipeline (up to a Sync) share a step. A pipeline answered
 * by one backend so far that needs another — a write after reads on the standby — is cut
 * there: pgrelay syncs the first backend and holds the client's next messages until it has
 * answered, so an error there still discards what followed, as PostgreSQL would.
 */
import { B, C, D, E, F, H, P, PASSTHROUGH, Q, S, Z } from './message-types';
import type { NodeState } from '@pgrelay/cluster';
import { classify, type StatementInfo } from '@pgrelay/sql';
import { noticeFieldsOf, noticeResponse, queryText, readyForQuery, simpleQuery, sqlstateOf } from '@pgrelay/protocol';
import { noteBackendError, noteStatements } from '../admin';
import type { WorkerContext } from '../context';
import { isLagging, leastLaggedStandby, selectLoadBalanceNode } from './balance';
import { catalogOf, markStale } from './catalog';
import { decide, Dest, initialView, readsOnly, type RouteView } from './decide';
import type { BackendConn } from '../backend-conn';
import { Link, type LinkEvents } from './link';
import { afterCstring, cstringAt, parseOf, ROLLBACK_QUERY, SYNC } from './messages';
import { Registry, type Prepared } from './registry';
import { Replies, Step, type ReplySink, type TxStatus } from './replies';
import { routingSettings, type SessionSettings } from './settings';
import { EMPTY_FACTS, factsOf, Kind, type StatementFacts } from './statement';
import { TxState } from './tx-state';


/** What the router needs from its session. */
export interface RouterHost {
  readonly ctx: WorkerContext;
  readonly database: string;
  readonly applicationName: string;
  settings(): SessionSettings;
  toClient(bytes: Buffer): boolean;
  /** Around each chunk a backend delivers: the client's writes are batched. */
  beginBatch(): void;
  endBatch(): void;
  /** SHOW POOL_* / PGPOOL …: the complete reply, or null for ordinary SQL. */
  answerAdmin(statements: StatementInfo[], status: TxStatus): Buffer | Promise<Buffer> | null;
  /** A simple Query went out (its session effects wait for `ready`). */
  sentQuery(statements: readonly StatementInfo[]): void;
  sentParse(name: string, text: string, body: Buffer): void;
  closedStatement(name: string): void;
  /** The client got a ReadyForQuery; `failed`: an ErrorResponse came before it. */
  ready(status: TxStatus, failed: boolean): void;
  linkClosed(link: Link, error?: Error): void;
  backendDrained(): void;
  pauseClient(paused: boolean): void;
}

interface Held {
  type: number;
  raw: Buffer;
}

/** Client messages kept per batch for a re-run after failover; a longer batch is not re-run. */
const MAX_BATCH = 256;

export class Router implements LinkEvents, ReplySink {
  readonly replies: Replies;
  private readonly registry = new Registry();
  readonly tx = new TxState();
  /** The unsynced extended-protocol step, if any. */
  private open: Step | null = null;
  /** The open pipeline has already sent something the primary answers. */
  private pipelinePrimary = false;
  /** Client input waiting for a cut pipeline's first part to be answered. */
  private held: Held[] | null = null;
  /** That part failed: the client's messages up to its Sync are dropped, as the server would. */
  private skipToSync = false;
  private skipStatus: TxStatus = 'I';
  /** The link whose transaction failed for the client; statements go there until it ends. */
  private failedOn = -1;
  /** Where COPY data and other pass-through client bytes go. */
  private copyLink = 0;
  private readonly tempTables = new Set<string>();
  private unnamedTempTable = false;
  /** Status of the last ReadyForQuery the client got. */
  status: TxStatus = 'I';
  private readonly view: RouteView;
  /** Links still usable (a standby that failed while idle is dropped, the session goes on). */
  private liveMask: number;

  readonly links: Link[];

  /**
   * The client's messages since the session last owed it nothing (references, not copies),
   * and what they do: survive/ reads them when a backend is lost mid-answer, to re-run a
   * read or to say which answers are owed and why.
   */
  readonly batch: Buffer[] = [];
  /** Transaction status when the batch began. */
  batchStatus: TxStatus = 'I';
  /** Something in the batch may have changed data (or its outcome cannot be judged). */
  batchWrites = false;
  /** The batch ends a transaction (COMMIT / PREPARE TRANSACTION): its outcome is unknown if lost. */
  batchCommits = false;
  /** ReadyForQuery (or pgrelay's own replies) the client got since the batch began. */
  batchDone = 0;
  /** The open transaction (if any) sent something that may write: a COMMIT lost in flight has an unknown outcome only then. */
  txWrote = false;
  /** The primary's FATAL as it shut down (57P01/57P02), kept from the client until the session decides. */
  shutdownNotice: Buffer | null = null;

  /** Takes over `conns` (the primary first); `balance` is the load-balance node's index in it. */
  constructor(
    private readonly host: RouterHost,
    conns: readonly BackendConn[],
    public balance: number,
  ) {
    this.links = conns.map((conn, i) => new Link(i, conn, this));
    for (const l of this.links) l.conn.attach(l);
    this.replies = new Replies(this, conns.length);
    this.liveMask = (1 << conns.length) - 1;
    this.view = initialView(routingSettings(host.ctx.config), host.settings(), this.tx, balance === 0, this.tempTables);
  }

  /** The client is owed an answer. */
  get busy(): boolean {
    return this.replies.size > 0 || this.open !== null;
  }

  get balanceNodeId(): number {
    return this.links[this.balance]!.nodeId;
  }

  // ---- client input ---------------------------------------------------------------------

  /** A message from the client (message() is also re-entered for held ones: those are not counted again). */
  fromClient(type: number, body: Buffer, raw: Buffer): void {
    if (!this.busy && this.held === null && !this.skipToSync) {
      this.batch.length = 0;
      this.batchStatus = this.status;
      this.batchWrites = false;
      this.batchCommits = false;
      this.batchDone = 0;
    }
    if (this.batch.length < MAX_BATCH) this.batch.push(raw);
    else this.batchWrites = true; // too long to keep for a re-run
    if (type === F) this.batchWrites = this.txWrote = true;
    this.message(type, body, raw);
  }

  message(type: number, body: Buffer, raw: Buffer): void {
    if (this.held !== null) {
      this.hold(type, raw);
      return;
    }
    if (this.skipToSync) {
      if (type === S) this.endSkip();
      return;
    }
    switch (type) {
      case Q:
        this.query(body, raw);
        break;
      case P:
        this.parse(body, raw);
        break;
      case B:
        this.bind(body, raw);
        break;
      case E:
        this.execute(body, raw);
        break;
      case D:
        this.describe(body, raw);
        break;
      case C:
        this.close(body, raw);
        break;
      case S:
        this.sync(raw);
        break;
      case H:
        if (this.open) this.sendMask(this.open.members, raw);
        break;
      case F:
        this.closeOpen();
        this.whole(1, 0, raw);
        break;
      default:
        this.passthrough(raw);
    }
  }

  /** Bytes of messages not inspected (COPY data): to the backend running the COPY. */
  passthrough(bytes: Buffer): void {
    if (this.held !== null) {
      this.hold(PASSTHROUGH, bytes);
      return;
    }
    if (this.skipToSync) return;
    this.send(this.copyLink, bytes);
  }

  private hold(type: number, raw: Buffer): void {
    const q = this.held!;
    q.push({ type, raw });
    if (q.length === 64) this.host.pauseClient(true);
  }

  // ---- simple Query -----------------------------------------------------------------------

  private query(body: Buffer, raw: Buffer): void {
    const sql = queryText(body);
    const list = classify(sql);
    if (list.length > 0 && list[0]!.admin !== undefined) {
      const reply = this.host.answerAdmin(list, this.status);
      if (reply !== null) {
        this.closeOpen();
        if (Buffer.isBuffer(reply)) this.replies.addLocal(reply, this.status);
        else this.replies.addLocalLater(reply, this.status);
        this.view.session = this.host.settings(); // PGPOOL SET may have changed them
        return;
      }
    }
    this.closeOpen();
    this.host.sentQuery(list);
    const session = this.view.session;
    if (session.logStatement) this.host.ctx.log.log(`statement: ${sql}`);
    const f = list.length === 0 ? EMPTY_FACTS : factsOf(list[0]!);
    const several = list.length > 1;
    this.judgeFacts(f);
    if (several) for (let k = 1; k < list.length; k++) this.judgeFacts(factsOf(list[k]!));
    const to = this.route(f, sql, several);
    const mask = to & 0xffff;
    const fwd = to >>> 16;
    const step = this.newStep(fwd, true);
    // pgpool ends a transaction on the standbys before the primary
    const tx = f.info.tx?.kind;
    const down = tx === 'commit' || tx === 'rollback';
    for (let k = 0; k < this.links.length; k++) {
      const i = down ? this.links.length - 1 - k : k;
      if (!((mask >> i) & 1)) continue;
      const link = this.links[i]!;
      this.replies.join(step, i);
      link.inFlight++;
      link.write(this.rewrite(f, i, raw, false));
      if (session.logPerNodeStatement) this.logNode(link, sql);
      noteStatements(link.nodeId, list);
    }
    if (session.noticePerNodeStatement) this.noticeNodes(step, mask, sql);
    this.replies.close(step);
    if (several) for (const s of list) this.sent(factsOf(s), s.text, mask);
    else this.sent(f, sql, mask);
    this.copyLink = fwd;
  }

  /** Sends one self-contained message (Query, FunctionCall) to `mask`, answered by `fwd`. */
  private whole(mask: number, fwd: number, raw: Buffer): void {
    const step = this.newStep(fwd, true);
    this.sendStep(step, mask, raw);
    this.replies.close(step);
    this.copyLink = fwd;
  }

  // ---- extended protocol ------------------------------------------------------------------

  private parse(body: Buffer, raw: Buffer): void {
    const name = cstringAt(body, 0);
    const textAt = afterCstring(body, 0);
    const text = cstringAt(body, textAt);
    const list = classify(text);
    const f = list.length === 0 ? EMPTY_FACTS : factsOf(list[0]!);
    const to = this.route(f, text, list.length > 1);
    const mask = to & 0xffff;
    if (!this.extended(P, raw, mask, to >>> 16, f)) return;
    this.registry.parsed(name, f, text, mask, to >>> 16, raw);
    if (name !== '') this.host.sentParse(name, text, body);
    if (this.view.session.logPerNodeStatement) this.logMask(mask, `Parse: ${text}`);
  }

  private bind(body: Buffer, raw: Buffer): void {
    const portal = cstringAt(body, 0);
    const name = cstringAt(body, afterCstring(body, 0));
    const stmt = this.registry.statement(name);
    let target: number;
    if (stmt === undefined) target = this.open ? this.open.fwd : 0;
    else {
      target = this.statementTarget(name, stmt);
      if (!(stmt.mask & (1 << target))) {
        // pgpool's parse_before_bind: the statement is needed where it is not (a read parsed
        // on the standby, bound in a transaction that has written)
        if (this.open && this.open.members & (1 << target)) {
          this.cut(B, raw);
          return;
        }
        this.recreate(stmt, target);
      }
    }
    const mask = stmt && stmt.facts.kind === Kind.All && target === 0 ? stmt.mask : 1 << target;
    if (!this.extended(B, raw, mask, target, null)) return;
    if (stmt) this.registry.bound(portal, stmt, mask);
    if (this.view.session.logPerNodeStatement) this.logMask(mask, stmt ? `Bind: ${stmt.text}` : 'B message');
  }

  /**
   * Where a prepared statement should run now (Bind, EXECUTE): where it lives, unless it lives
   * on a standby and has to be read on the primary now (pgpool's parse_before_bind) — from
   * then on it runs on the primary, as in pgpool.
   */
  private statementTarget(name: string, stmt: Prepared): number {
    if (this.links.length === 1 || stmt.home === 0) return 0;
    if (stmt.facts.kind === Kind.All) return stmt.mask & 1 ? 0 : stmt.home;
    // an unnamed statement is bound right after its Parse, which was routed with the same state
    if (name === '') return stmt.home;
    if (this.route(stmt.facts, stmt.text, false) >>> 16 === 0) stmt.home = 0;
    return stmt.home;
  }

  private execute(body: Buffer, raw: Buffer): void {
    const name = cstringAt(body, 0);
    const portal = this.registry.portal(name);
    const mask = portal ? portal.mask : 1 << (this.open ? this.open.fwd : 0);
    const fwd = this.pick(mask);
    if (!this.extended(E, raw, mask, fwd, null)) return;
    this.copyLink = fwd;
    if (portal === undefined) {
      this.batchWrites = this.txWrote = true; // what it runs is unknown here
      return;
    }
    this.judgeFacts(portal.facts);
    const session = this.view.session;
    for (let i = 0; mask >> i; i++) {
      if (!((mask >> i) & 1)) continue;
      const link = this.links[i]!;
      noteStatements(link.nodeId, portal.facts.one);
      if (session.logPerNodeStatement) this.logNode(link, `Execute: ${portal.text}`);
    }
    this.sent(portal.facts, portal.text, mask);
  }

  private describe(body: Buffer, raw: Buffer): void {
    const name = cstringAt(body, 1);
    const where = body[0] === P ? this.registry.portal(name)?.mask : this.registry.statement(name)?.mask;
    const link = where === undefined ? (this.open ? this.open.fwd : 0) : this.pick(where);
    if (!this.extended(D, raw, 1 << link, link, null)) return;
    if (this.view.session.logPerNodeStatement) this.logMask(1 << link, 'D message');
  }

  private close(body: Buffer, raw: Buffer): void {
    const name = cstringAt(body, 1);
    const portal = body[0] === P;
    const where = portal ? this.registry.portal(name)?.mask : this.registry.statement(name)?.mask;
    const mask = where ?? 1 << (this.open ? this.open.fwd : 0);
    if (!this.extended(C, raw, mask, this.pick(mask), null)) return;
    if (this.view.session.logPerNodeStatement) this.logMask(mask, 'C message');
    if (portal) this.registry.closePortal(name);
    else {
      this.registry.forget(name);
      this.host.closedStatement(name);
    }
  }

  private sync(raw: Buffer): void {
    const s = this.open;
    this.pipelinePrimary = false;
    if (s === null) {
      // nothing pending: the server still answers a Sync with ReadyForQuery
      this.whole(1, 0, raw);
      return;
    }
    this.open = null;
    this.sendMask(s.members, raw);
    s.clientZ = true;
    this.replies.close(s);
  }

  /**
   * Adds an extended message to the open pipeline. Returns false when the pipeline had to be
   * cut first (the message waits in the hold queue and is routed again afterwards).
   */
  private extended(type: number, raw: Buffer, mask: number, fwd: number, f: StatementFacts | null): boolean {
    let s = this.open;
    if (s === null) {
      s = this.open = this.newStep(fwd, false);
    } else if (s.fwd !== fwd) {
      this.cut(type, raw);
      return false;
    }
    for (let i = 0; mask >> i; i++) {
      if (!((mask >> i) & 1)) continue;
      if (!(s.members & (1 << i))) {
        this.replies.join(s, i);
        this.links[i]!.inFlight++;
      }
      this.send(i, f === null ? raw : this.rewrite(f, i, raw, true));
    }
    if (fwd === 0) this.pipelinePrimary = true;
    return true;
  }

  /**
   * The open pipeline needs another backend to answer: sync the backends it used, and hold
   * the client's messages from `raw` on until they have answered.
   */
  private cut(type: number, raw: Buffer): void {
    const s = this.open!;
    this.open = null;
    this.sendMask(s.members, SYNC);
    s.onAnswered = (st) => this.release(st);
    this.held = [{ type, raw }];
    this.replies.close(s);
  }

  private release(s: Step): void {
    const q = this.held ?? [];
    this.held = null;
    this.host.pauseClient(false);
    if (s.failed) {
      this.skipToSync = true;
      this.skipStatus = s.status;
    }
    for (let i = 0; i < q.length; i++) {
      const h = q[i]!;
      if (this.held !== null) {
        // cut again: the rest waits behind the new hold, in order
        (this.held as Held[]).push(...q.slice(i));
        return;
      }
      if (h.type === PASSTHROUGH) this.passthrough(h.raw);
      else this.message(h.type, h.raw.subarray(5), h.raw);
    }
  }

  /** The client's Sync after a failed, cut pipeline: the ReadyForQuery the server would send. */
  private endSkip(): void {
    this.skipToSync = false;
    this.pipelinePrimary = false;
    this.replies.addLocal(readyForQuery(this.skipStatus), this.skipStatus);
  }

  /** A Query or FunctionCall ends an unsynced pipeline (clients should not mix them; keep order anyway). */
  private closeOpen(): void {
    const s = this.open;
    if (s === null) return;
    this.open = null;
    this.pipelinePrimary = false;
    this.sendMask(s.members, SYNC);
    this.replies.close(s);
  }

  /** Makes a prepared statement exist on `target` too, in a step of its own the client never sees. */
  private recreate(stmt: Prepared, target: number): void {
    const step = this.newStep(-1, false);
    this.replies.join(step, target);
    this.links[target]!.inFlight++;
    if (this.view.session.logPerNodeStatement) this.logNode(this.links[target]!, `Parse: ${stmt.text}`);
    if (stmt.parse) {
      this.send(target, stmt.parse);
      this.send(target, SYNC);
    } else this.send(target, simpleQuery(stmt.prepareSql ?? ''));
    this.replies.close(step);
    stmt.mask |= 1 << target;
  }

  // ---- what a batch does (for failover) ----------------------------------------------------

  /** Reads, BEGIN and session commands (SET, PREPARE, LISTEN: they are replayed anyway) may run twice; nothing else. */
  private judgeFacts(f: StatementFacts): void {
    if (this.batchWrites && this.batchCommits) return;
    const s = f.info;
    const tx = s.tx?.kind;
    if (tx === 'commit' || tx === 'prepare_transaction') this.batchCommits = true;
    if (f.kind === Kind.Read || tx === 'begin' || tx === 'rollback') return;
    if (s.executeName !== undefined) {
      const p = this.registry.statement(s.executeName);
      if (p !== undefined && p.facts.kind === Kind.Read) return;
    } else if (s.session !== undefined && s.session.kind !== 'unrebuildable') return;
    this.batchWrites = true;
    this.txWrote = true;
  }

  /**
   * A rebuilt session's prepared statements: they were prepared on every link, so binds may
   * go wherever routing sends them. `parse` is the Parse message (protocol), or null with
   * `prepareSql` (SQL PREPARE).
   */
  adoptPrepared(name: string, text: string, parse: Buffer | null, prepareSql: string | null, mask: number): void {
    const list = classify(text);
    const f = list.length === 0 ? EMPTY_FACTS : factsOf(list[0]!);
    const home = mask === 1 ? 0 : this.route(f, text, list.length > 1) >>> 16;
    if (parse !== null) this.registry.parsed(name, f, text, mask, home, parse);
    else this.registry.preparedBySql(name, f, prepareSql ?? text, mask, home);
  }

  /** The client's unsynced pipeline was answered by pgrelay: drop its messages up to its Sync, then ReadyForQuery(`status`). */
  skipPipeline(status: TxStatus): void {
    this.skipToSync = true;
    this.skipStatus = status;
  }

  /** A transaction replayed on a new primary is open there: the client's next statements continue it (reads too, so they see its writes). */
  resumeTransaction(): void {
    this.status = 'T';
    this.tx.inTx = true;
    this.tx.writing = true;
  }

  /** Runs `sql` on the primary in a step the client never sees (its output is dropped), in order with the client's. */
  hiddenQuery(sql: string): void {
    const step = this.newStep(-1, false);
    this.sendStep(step, 1, simpleQuery(sql));
    this.replies.close(step);
  }

  // ---- routing --------------------------------------------------------------------------

  /** Where a statement goes: (fwd << 16) | mask. */
  private route(f: StatementFacts, text: string, several: boolean): number {
    if (this.links.length === 1) return 1;
    if (this.failedOn >= 0 && !exitsTransaction(f)) return (this.failedOn << 16) | (1 << this.failedOn);
    const v = this.refreshView(f);
    const d = decide(f, text, several, v);
    if (v.unknownFunction) {
      v.unknownFunction = false;
      markStale(this.host.database);
    }
    switch (d) {
      case Dest.Primary:
        return 1;
      case Dest.Balance:
        return (this.balance << 16) | (1 << this.balance);
      case Dest.LeastLagged: {
        const i = this.linkOfNode(leastLaggedStandby({ nodes: this.host.ctx.state.nodes, primaryId: this.links[0]!.nodeId, settings: v.settings, random: Math.random }));
        return (i << 16) | (1 << i);
      }
      case Dest.All:
        return this.allDest();
      case Dest.Prepared: {
        const name = f.info.executeName ?? (f.info.session?.kind === 'deallocate' ? f.info.session.name : null);
        const p = name === null ? undefined : this.registry.statement(name);
        if (p === undefined) return f.info.executeName !== undefined ? 1 : this.liveMask;
        if (f.info.executeName === undefined) return (this.pick(p.mask) << 16) | p.mask;
        let t = this.statementTarget(name!, p);
        if (!(p.mask & (1 << t))) {
          if (this.open && this.open.members & (1 << t)) t = this.pick(p.mask);
          else this.recreate(p, t);
        }
        return (t << 16) | (1 << t);
      }
    }
  }

  /** "Both": every held backend (pgpool sends COMMIT to a standby outside a transaction too). */
  private allDest(): number {
    const fwd = this.failedOn >= 0 ? this.failedOn : 0;
    return (fwd << 16) | this.liveMask;
  }

  private refreshView(f: StatementFacts): RouteView {
    const v = this.view;
    const ctx = this.host.ctx;
    v.settings = routingSettings(ctx.config, (m) => ctx.log.warn(m));
    if (f.kind === Kind.Read && v.settings.statementLevel) this.balance = this.drawBalance();
    const b = this.links[this.balance]!;
    v.balanceIsPrimary = this.balance === 0;
    v.balanceLags = !v.balanceIsPrimary && isLagging(nodeById(ctx.state.nodes, b.nodeId), this.links[0]!.nodeId, v.settings);
    v.balancePoisoned = b.poisoned;
    v.pipelineOnPrimary = this.open !== null && this.pipelinePrimary;
    v.catalog = catalogOf(this.host.database);
    v.unnamedTempTable = this.unnamedTempTable;
    return v;
  }

  /** statement_level_load_balance: a new draw among the backends this session holds. */
  private drawBalance(): number {
    const ctx = this.host.ctx;
    const held = ctx.state.nodes.filter((n) => this.links.some((l) => l.nodeId === n.id && this.liveMask & l.bit));
    const id = selectLoadBalanceNode({
      nodes: held,
      primaryId: this.links[0]!.nodeId,
      settings: this.view.settings,
      database: this.host.database,
      applicationName: this.host.applicationName,
      random: Math.random,
    });
    return this.linkOfNode(id);
  }

  private linkOfNode(nodeId: number): number {
    for (const l of this.links) if (l.nodeId === nodeId && this.liveMask & l.bit) return l.index;
    return 0;
  }

  /** The backend of `mask` that answers: the open pipeline's, else the primary, else the first. */
  private pick(mask: number): number {
    const s = this.open;
    if (s !== null && s.fwd >= 0 && mask & (1 << s.fwd)) return s.fwd;
    if (mask & 1 || mask === 0) return 0;
    return 31 - Math.clz32(mask & -mask);
  }

  /** Bookkeeping after a statement went out: transaction state, prepared names, temp tables. */
  private sent(f: StatementFacts, text: string, mask: number): void {
    const s = f.info;
    if (this.links.length > 1) {
      const v = this.view;
      const mode = v.settings.disableOnWrite;
      // whether it reads only matters where it may make the transaction a writing one
      const judged = mode === 'always' || (mode !== 'off' && this.tx.inTx);
      this.tx.sent(f, judged ? readsOnly(f, text, v) : true, mode, v.settings.dmlRelations);
      const tx = s.tx?.kind;
      if (tx === 'commit' || tx === 'rollback' || tx === 'prepare_transaction') {
        for (const l of this.links) if (mask & l.bit) l.poisoned = false;
      }
    }
    const e = s.session;
    if (e !== undefined) {
      switch (e.kind) {
        case 'prepare':
          this.registry.preparedBySql(e.name, f, text, mask, this.pick(mask));
          break;
        case 'deallocate':
          if (e.name === null) this.registry.forgetAll();
          else this.registry.forget(e.name);
          break;
        case 'discard':
          if (e.what === 'all') this.registry.forgetAll();
          if (e.what === 'all' || e.what === 'temp') {
            this.tempTables.clear();
            this.unnamedTempTable = false;
          }
          break;
        case 'unrebuildable':
          if (e.reason === 'temp_table') {
            const name = e.detail.split('.').pop()!.toLowerCase();
            if (name === '?') this.unnamedTempTable = true;
            else this.tempTables.add(name);
          }
          break;
      }
    }
    if (/^(CREATE|ALTER|DROP) /.test(s.command)) markStale(this.host.database);
  }

  // ---- sending --------------------------------------------------------------------------

  private newStep(fwd: number, clientZ: boolean): Step {
    const s = new Step();
    s.fwd = fwd;
    s.clientZ = clientZ;
    return this.replies.add(s);
  }

  private sendStep(step: Step, mask: number, raw: Buffer): void {
    for (let i = 0; mask >> i; i++) {
      if (!((mask >> i) & 1)) continue;
      this.replies.join(step, i);
      this.links[i]!.inFlight++;
      this.send(i, raw);
    }
  }

  private sendMask(mask: number, raw: Buffer): void {
    for (let i = 0; mask >> i; i++) if ((mask >> i) & 1) this.send(i, raw);
  }

  private send(i: number, raw: Buffer): void {
    if (!this.links[i]!.write(raw)) this.host.pauseClient(true);
  }

  /**
   * What link `i` gets instead of the client's message: in a transaction that failed on one
   * backend, the others must not COMMIT what the client will see rolled back.
   */
  private rewrite(f: StatementFacts, i: number, raw: Buffer, isParse: boolean): Buffer {
    if (f.info.tx?.kind === 'commit' && this.failedOn >= 0 && i !== this.failedOn) {
      return isParse ? parseOf(cstringAt(raw, 5), 'ROLLBACK') : ROLLBACK_QUERY;
    }
    return raw;
  }

  private logNode(link: Link, what: string): void {
    this.host.ctx.log.log(`DB node id: ${link.nodeId} backend pid: ${link.conn.pid} statement: ${what}`);
  }

  private logMask(mask: number, what: string): void {
    for (const l of this.links) if (mask & l.bit) this.logNode(l, what);
  }

  /** notice_per_node_statement: the client hears which node runs the query, before its answer. */
  private noticeNodes(step: Step, mask: number, sql: string): void {
    for (const l of this.links) {
      if (!(mask & l.bit)) continue;
      const n = noticeResponse({ severity: 'NOTICE', code: '00000', message: `DB node id: ${l.nodeId} statement: ${sql}` });
      this.replies.prefix(step, n);
    }
  }

  // ---- backend output (LinkEvents, ReplySink) ----------------------------------------------

  beginBatch(): void {
    this.host.beginBatch();
  }

  endBatch(): void {
    this.host.endBatch();
  }

  linkBytes(index: number, bytes: Buffer): void {
    this.replies.bytes(index, bytes);
  }

  linkMessage(index: number, type: number, body: Buffer, raw: Buffer): void {
    if (type === E) {
      const link = this.links[index]!;
      const f = noticeFieldsOf(body);
      noteBackendError(link.nodeId, f.V ?? f.S ?? 'ERROR');
      const code = sqlstateOf(body);
      if (code === '57P01' || code === '57P02' || code === '57P03') {
        this.host.ctx.log.log({ node: link.nodeId, sqlstate: code }, 'backend is shutting down');
        if (index === 0 && code !== '57P03') {
          // the connection ends next: whether the client hears of it depends on whether a new
          // primary takes the session over (survive/), so the session decides what it says
          this.shutdownNotice = Buffer.from(raw);
          return;
        }
      }
    } else if (type === Z) this.links[index]!.inFlight--;
    this.replies.message(index, type, raw);
  }

  linkClosed(link: Link, error?: Error): void {
    this.host.linkClosed(link, error);
  }

  linkDrained(): void {
    this.host.backendDrained();
  }

  toClient(bytes: Buffer): boolean {
    return this.host.toClient(bytes);
  }

  pauseLink(index: number, paused: boolean): void {
    this.links[index]!.pause(paused);
  }

  /** The client's socket drained: every link may be read again. */
  resumeLinks(): void {
    for (const l of this.links) l.pause(false);
  }

  /**
   * A standby's connection failed or its node went down. If it owes the client nothing, the
   * session goes on without it (reads go to the primary); returns false when the session
   * cannot: the primary, or a backend in the middle of answering.
   */
  dropLink(link: Link): boolean {
    if (!(this.liveMask & link.bit)) return true;
    if (link.index === 0 || link.inFlight > 0) return false;
    this.liveMask &= ~link.bit;
    this.registry.dropLink(link.bit);
    if (this.balance === link.index) this.balance = 0;
    if (this.copyLink === link.index) this.copyLink = 0;
    return true;
  }

  stepDone(step: Step): void {
    if (step.swallowedErrors !== 0 && !step.failed && step.fwd >= 0) {
      // the nodes now differ (a SET only one of them took): pgpool calls this a kind mismatch
      const nodes = this.links.filter((l) => step.swallowedErrors & l.bit).map((l) => l.nodeId);
      this.host.ctx.log.warn({ nodes, node: this.links[step.fwd]!.nodeId }, `node ${nodes.join(', ')} failed a statement node ${this.links[step.fwd]!.nodeId} ran; reads avoid it until its transaction ends`);
    }
    for (const l of this.links) {
      const st = step.linkStatus[l.index];
      if (st === undefined) continue;
      if (l.index !== step.fwd) l.poisoned = st === 'E' || (l.poisoned && st !== 'I');
    }
    if (step.fwd >= 0 && step.z !== null) {
      if (step.status === 'E') this.failedOn = step.fwd;
      else if (this.failedOn === step.fwd) this.failedOn = -1;
    }
    if (!step.clientZ && step.local === null) return;
    this.batchDone++;
    this.status = step.status;
    if (step.status === 'I') this.txWrote = false;
    if (this.replies.size === 0 && this.open === null) {
      this.tx.settle(step.status, this.view.settings.disableOnWrite);
      if (step.status === 'I') this.failedOn = -1;
    }
    this.host.ready(step.status, step.failed);
  }

  /** The session ends: forget pending replies. */
  stop(): void {
    this.replies.clear();
    this.held = null;
    this.open = null;
  }
}

function nodeById(nodes: readonly NodeState[], id: number): NodeState | undefined {
  for (const n of nodes) if (n.id === id) return n;
  return undefined;
}

/** COMMIT, ROLLBACK and ROLLBACK TO end a failed transaction's exile to the node it failed on. */
function exitsTransaction(f: StatementFacts): boolean {
  const k = f.info.tx?.kind;
  return k === 'commit' || k === 'rollback' || k === 'rollback_to';
}
