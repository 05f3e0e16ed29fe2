/**
 * The relay of a native-replication session (pgpool's "replication mode"): independent
 * servers kept identical by sending every write to all of them and reads to one.
 *
 * The client's input is cut into units — a simple Query, or the extended-protocol messages up
 * to a Sync — handled one at a time (pgpool does the same; it keeps every node's transaction
 * in step). A unit that writes goes to the main node first and to the others once the main
 * node answered, so two sessions can never hold locks on different nodes in opposite order.
 * The client gets the main node's answer once every node answered and they agreed
 * (verdict.ts); when they did not, the minority is degenerated or the session ends, as
 * replication_stop_on_mismatch / failover_if_affected_tuples_mismatch say. Reads go to the
 * session's load-balance node and stream straight through.
 */
import { B, C, D, E, F, H, P, PASSTHROUGH, Q, S, Z } from '../routing/message-types';
import {
  errorResponse,
  Framer,
  type FrameSink,
  noticeFieldsOf,
  queryText,
  readyForQuery,
  simpleQuery,
  sqlstateOf,
  typeTable,
} from '@pgrelay/protocol';
import { isUsable } from '@pgrelay/cluster';
import { classify, insertLockComment, insertTarget, readsClock, rewriteTime, withClockDefaults, type StatementInfo } from '@pgrelay/sql';
import { noteBackendError, noteStatements } from '../admin';
import type { BackendConn } from '../backend-conn';
import { bool } from '../context';
import { fatal, type ClientError } from '../errors';
import { catalogOf, markStale } from '../routing/catalog';
import { decide, Dest, initialView, readsOnly, writesByFunction, type RouteView } from '../routing/decide';
import { Link, type LinkEvents } from '../routing/link';
import { afterCstring, cstringAt, SYNC } from '../routing/messages';
import type { TxStatus } from '../routing/replies';
import type { Router, RouterHost } from '../routing/router';
import { routingSettings } from '../routing/settings';
import { EMPTY_FACTS, factsOf, Kind, type StatementFacts } from '../routing/statement';
import { TxState } from '../routing/tx-state';
import { clockBind, clockParse } from './clock-param';
import { lockStatement, sequenceQuery, sequenceTables } from './insert-lock';
import { columnsQuery, noteTableColumns, tableColumns } from './clock-defaults';
import { bitCount, circumstantial, leadError, lowestBit, Mode, newStep, type Step } from './step';
import { allDown, verdictWaitMs, waitDown } from './wait-down';
import { describeAnswers, describeKinds, judge, type Answer } from './verdict';


/** CommandComplete always; DataRow too while a step captures a value. */
const TAGS = typeTable('C');
const TAGS_AND_ROWS = typeTable('CD');

const FLUSH = Buffer.from([H, 0, 0, 0, 4]);
/** Makes a node's transaction fail as the client's did elsewhere (an error, by design). */
const ABORT = simpleQuery("DO $pgrelay$BEGIN RAISE EXCEPTION 'pgrelay: transaction aborted to match the other nodes'; END$pgrelay$");
const NOW_QUERY = simpleQuery('SELECT pg_catalog.now()::text');

type Where = 'all' | 'main' | 'balance';

interface Held {
  type: number;
  raw: Buffer;
}

/** One client Query or Sync: its steps run one after another. */
interface Unit {
  plan: ((u: Unit) => Step | null)[];
  at: number;
  step: Step | null;
  /** Opened by a Flush: the client's further extended messages go straight to the step's targets. */
  open: boolean;
  status: TxStatus;
  failed: boolean;
  /** A hidden step failed: only cleanup steps run now. */
  broken: boolean;
  /** Captured by hidden steps. */
  now: string | null;
  hasSequence: boolean | undefined;
  implicitTx: boolean;
  text: string;
}

interface Batch {
  msgs: Buffer[];
  where: Where | null;
  /** Binds of statements whose clock became a parameter (clock-param.ts): index in msgs, parameter. */
  clockBinds: { at: number; param: number }[];
  /** Statements the batch runs (for insert_lock and the log). */
  texts: string[];
  /** Binds the unnamed statement without parsing it here. */
  bindsOldUnnamed: boolean;
  parsesUnnamed: boolean;
}

interface Prepared {
  f: StatementFacts;
  text: string;
  /** The parameter its clock reads became (0: none). */
  clockParam: number;
}

/** The members Session drives a router through (survive/ is never reached: dropLink never refuses). */
export type SessionFacing = Pick<Router, 'fromClient' | 'passthrough' | 'links' | 'busy' | 'status' | 'balanceNodeId' | 'dropLink' | 'resumeLinks' | 'stop'>;

export class NativeRouter implements LinkEvents, SessionFacing {
  readonly links: Link[];
  status: TxStatus = 'I';
  private live: number;
  private readonly tx = new TxState();
  private readonly view: RouteView;
  private readonly tempTables = new Set<string>();
  private readonly framers: Framer[];
  private pending: Held[] = [];
  private batch: Batch = emptyBatch();
  private unit: Unit | null = null;
  /** Output of the main node between units (notifications, a FATAL): sent when idle. */
  private deferred: Buffer[] = [];
  private readonly statements = new Map<string, Prepared>();
  private readonly portals = new Map<string, Prepared>();
  /** Where the unnamed statement exists, and its Parse (to re-create it elsewhere). */
  private unnamedMask = 0;
  private unnamedParse: Buffer | null = null;
  private stopped = false;
  /** Nodes dropped from this session that the cluster state still shows up (see park()). */
  private readonly unconfirmed = new Set<number>();
  private seenVersion: number;

  /** `conns[0]` is the main node; `balance` the load-balance node's index. */
  constructor(
    private readonly host: RouterHost,
    conns: readonly BackendConn[],
    public balance: number,
    /** Ends the session with this error (a mismatch it cannot go on after). */
    private readonly endSession: (err: ClientError) => void,
  ) {
    this.links = conns.map((conn, i) => new Link(i, conn, this));
    for (const l of this.links) l.conn.attach(l);
    this.live = (1 << conns.length) - 1;
    this.seenVersion = host.ctx.state.version;
    this.framers = this.links.map((l) => new Framer(this.tagSink(l.index), TAGS, 0x7fffffff));
    this.view = initialView(routingSettings(host.ctx.config), host.settings(), this.tx, balance === 0, this.tempTables);
  }

  get busy(): boolean {
    return this.unit !== null || this.pending.length > 0 || this.batch.msgs.length > 0;
  }

  get balanceNodeId(): number {
    return this.links[this.balance]!.nodeId;
  }

  private get cfg() {
    return this.host.ctx.config;
  }

  // ---- client input ---------------------------------------------------------------------

  fromClient(type: number, body: Buffer, raw: Buffer): void {
    this.message(type, body, raw);
  }

  message(type: number, body: Buffer, raw: Buffer): void {
    if (this.stopped) return;
    const u = this.unit;
    if (u !== null) {
      if (u.open && type !== Q && type !== F) this.intoOpenUnit(u, type, body, raw);
      else this.hold(type, raw);
      return;
    }
    switch (type) {
      case Q:
        this.query(body);
        break;
      case P:
      case B:
      case D:
      case E:
      case C:
        this.extended(type, body, raw);
        break;
      case H:
        this.flush();
        break;
      case S:
        this.sync();
        break;
      case F:
        this.start(this.unitFor('', [this.sequential(Buffer.from(raw), this.live, true)]));
        break;
      default:
        this.passthrough(raw);
    }
  }

  /** COPY data and other uninspected client bytes: to every node running the COPY. */
  passthrough(bytes: Buffer): void {
    const s = this.unit?.step;
    if (s && s.mode === Mode.Stream) {
      for (let i = 0; s.sent >> i; i++) if ((s.sent >> i) & 1 && this.live & (1 << i)) this.send(i, bytes);
      return;
    }
    if (this.unit !== null) this.hold(PASSTHROUGH, Buffer.from(bytes));
  }

  private hold(type: number, raw: Buffer): void {
    this.pending.push({ type, raw });
    if (this.pending.length === 64) this.host.pauseClient(true);
  }

  /** The unit ended: the client's held messages run now, until one starts a unit again. */
  private pump(): void {
    while (this.unit === null && this.pending.length > 0 && !this.stopped) {
      const h = this.pending.shift()!;
      if (h.type === PASSTHROUGH) continue; // COPY data without a COPY: the server would ignore it too
      this.message(h.type, h.raw.subarray(5), h.raw);
    }
    if (this.pending.length < 64) this.host.pauseClient(false);
  }

  // ---- simple Query ------------------------------------------------------------------------

  private query(body: Buffer): void {
    const sql = queryText(body);
    const list = classify(sql);
    if (list.length > 0 && list[0]!.admin !== undefined) {
      const reply = this.host.answerAdmin(list, this.status);
      if (reply !== null) {
        this.view.session = this.host.settings();
        this.localReply(reply);
        return;
      }
    }
    this.host.sentQuery(list);
    if (this.view.session.logStatement) this.host.ctx.log.log(`statement: ${sql}`);
    const where = this.whereList(list, sql);
    for (const s of list) this.noteSent(factsOf(s), s.text, where);
    const raw = simpleQuery(sql);
    if (where !== 'all') {
      this.start(this.unitFor(sql, [this.readStep(raw, where)]));
      return;
    }
    const f = list.length === 1 ? factsOf(list[0]!) : EMPTY_FACTS;
    const copyIn = f.info.copy?.direction === 'from' && f.info.copy.stdio;
    // the client's COPY data must reach every node while the COPY runs: no main-first here
    if (copyIn) {
      this.start(this.unitFor(sql, [newStep(raw, this.live, Mode.Stream, { visible: true })]));
      return;
    }
    // BEGIN, SET, COMMIT wait for no lock: no need to wait for the main node first
    const mode = f.kind === Kind.All && f.info.command !== 'LOCK TABLE' ? Mode.Parallel : Mode.Sequential;
    this.start(
      this.writeUnit(sql, [sql], mode, (now, text) => (now === null && text === sql ? raw : simpleQuery(now === null ? text : (rewriteTime(text, now) ?? text))), { simple: true }),
    );
  }

  /** SHOW POOL_* and friends: pgrelay answers; one that asks the supervisor holds what follows. */
  private localReply(reply: Buffer | Promise<Buffer>): void {
    const done = (b: Buffer): void => {
      if (this.stopped) return;
      this.host.toClient(b);
      this.host.ready(this.status, false);
    };
    if (Buffer.isBuffer(reply)) {
      done(reply);
      return;
    }
    const u = this.unitFor('', []);
    this.unit = u;
    void reply.then(done, (e: Error) => done(Buffer.concat([errorResponse({ severity: 'ERROR', code: 'XX000', message: e.message }), readyForQuery(this.status)]))).finally(() => {
      if (this.unit !== u) return;
      this.unit = null;
      this.pump();
    });
  }

  /** Where a simple Query's statements go. */
  private whereList(list: readonly StatementInfo[], sql: string): Where {
    if (this.links.length === 1 || bitCount(this.live) === 1) return 'main';
    if (list.length === 0) return this.whereOne(EMPTY_FACTS, sql);
    if (list.length === 1) return this.whereOne(factsOf(list[0]!), sql);
    let where: Where = 'main';
    for (const s of list) if (this.whereOne(factsOf(s), s.text) === 'all') where = 'all';
    return where;
  }

  /** pgpool-compat §10 in native mode: writes to all, reads balanced, unbalanced reads to the main node. */
  private whereOne(f: StatementFacts, text: string): Where {
    const v = this.view;
    v.settings = routingSettings(this.cfg, (m) => this.host.ctx.log.warn(m));
    v.catalog = catalogOf(this.host.database);
    v.balanceIsPrimary = this.balance === 0;
    if (f.kind !== Kind.Read) return 'all';
    if (bool(this.cfg, 'replicate_select')) return 'all';
    const d = decide(f, text, false, v);
    if (v.unknownFunction) {
      v.unknownFunction = false;
      markStale(this.host.database);
    }
    if (d === Dest.Balance || d === Dest.LeastLagged) return this.balance === 0 ? 'main' : 'balance';
    if (d === Dest.Primary && !writesByFunction(f, v)) return 'main';
    return 'all';
  }

  /** Transaction and session bookkeeping after a statement went out. */
  private noteSent(f: StatementFacts, text: string, where: Where): void {
    const v = this.view;
    const mode = v.settings.disableOnWrite;
    const judged = mode === 'always' || (mode !== 'off' && this.tx.inTx);
    this.tx.sent(f, judged ? readsOnly(f, text, v) : true, mode, v.settings.dmlRelations);
    const e = f.info.session;
    if (e?.kind === 'unrebuildable' && e.reason === 'temp_table') this.tempTables.add(e.detail.split('.').pop()!.toLowerCase());
    else if (e?.kind === 'discard' && (e.what === 'all' || e.what === 'temp')) this.tempTables.clear();
    if (/^(CREATE|ALTER|DROP) /.test(f.info.command)) {
      markStale(this.host.database);
      // a table may have gained or lost a sequence or a clock default
      sequenceTables.forget(this.host.database);
      tableColumns.forget(this.host.database);
    }
    for (const l of this.links) {
      if (!(this.live & l.bit)) continue;
      if (where === 'all' || (where === 'main' && l.index === 0) || (where === 'balance' && l.index === this.balance)) noteStatements(l.nodeId, f.one);
    }
  }

  // ---- extended protocol -----------------------------------------------------------------

  private extended(type: number, body: Buffer, raw: Buffer): void {
    const b = this.batch;
    const at = b.msgs.length;
    b.msgs.push(this.noteExtended(type, body, raw, at));
  }

  /** What an extended message means for the batch's destination; returns the message to send. */
  private noteExtended(type: number, body: Buffer, raw: Buffer, at: number): Buffer {
    const b = this.batch;
    if (type === P) {
      const name = cstringAt(body, 0);
      const textAt = afterCstring(body, 0);
      const text = cstringAt(body, textAt);
      const list = classify(text);
      const f = list.length === 0 ? EMPTY_FACTS : factsOf(list[0]!);
      const clock = f.kind !== Kind.Read ? clockParse(name, text, body, afterCstring(body, textAt)) : null;
      if (clock !== null) raw = clock.raw;
      this.statements.set(name, { f, text, clockParam: clock?.param ?? 0 });
      if (name !== '') {
        // a named statement may be executed anywhere later: it exists on every node
        this.widen('all');
        this.host.sentParse(name, text, body);
      } else {
        b.parsesUnnamed = true;
        this.unnamedParse = Buffer.from(raw);
      }
    } else if (type === B) {
      const portal = cstringAt(body, 0);
      const name = cstringAt(body, afterCstring(body, 0));
      const p = this.statements.get(name);
      if (p && p.clockParam > 0 && at >= 0) b.clockBinds.push({ at, param: p.clockParam });
      if (name === '' && !b.parsesUnnamed) b.bindsOldUnnamed = true;
      if (p) this.portals.set(portal, p);
      else this.portals.delete(portal);
    } else if (type === E) {
      const p = this.portals.get(cstringAt(body, 0));
      if (p === undefined) {
        this.widen('all');
        return raw;
      }
      const where = this.whereOne(p.f, p.text);
      this.widen(where);
      this.noteSent(p.f, p.text, where);
      if (where === 'all') b.texts.push(p.text);
    } else if (type === C) {
      if (body[0] === S) {
        const name = cstringAt(body, 1);
        this.statements.delete(name);
        if (name !== '') {
          this.host.closedStatement(name);
          this.widen('all');
        }
      }
    }
    return raw;
  }

  private widen(w: Where): void {
    const b = this.batch;
    if (b.where === null || w === 'all' || (w === 'main' && b.where === 'balance')) b.where = w;
  }

  private targetsOf(where: Where | null): number {
    if (where === 'balance') return 1 << this.balance;
    if (where === 'all') return this.live;
    return 1;
  }

  private takeBatch(): Batch {
    const b = this.batch;
    this.batch = emptyBatch();
    // nothing executed (Parse/Describe only): prepare it everywhere, it may run anywhere later
    if (b.where === null) b.where = bitCount(this.live) > 1 ? 'all' : 'main';
    return b;
  }

  /** The batch's messages (plus `end`) as one payload, the unnamed statement re-created where it is missing. */
  private batchPayload(b: Batch, targets: number, end: Buffer, now: string | null): Buffer {
    const msgs = b.msgs.slice();
    if (now !== null) for (const cb of b.clockBinds) msgs[cb.at] = clockBind(msgs[cb.at]!, cb.param, now);
    if (b.bindsOldUnnamed && (targets & ~this.unnamedMask) !== 0 && this.unnamedParse !== null) msgs.unshift(this.unnamedParse);
    if (b.parsesUnnamed || b.bindsOldUnnamed) this.unnamedMask = b.parsesUnnamed ? targets : this.unnamedMask | targets;
    msgs.push(end);
    return Buffer.concat(msgs);
  }

  private sync(): void {
    if (this.batch.msgs.length === 0) {
      // a Sync alone still gets a ReadyForQuery
      this.start(this.unitFor('', [this.readStep(SYNC, 'main')]));
      return;
    }
    const b = this.takeBatch();
    const where = b.where!;
    const text = b.texts.join('; ');
    if (where !== 'all') {
      this.start(this.unitFor(text, [this.readStep(this.batchPayload(b, this.targetsOf(where), SYNC, null), where)]));
      return;
    }
    this.start(this.writeUnit(text, b.texts, Mode.Sequential, (now) => this.batchPayload(b, this.live, SYNC, now), { clock: b.clockBinds.length > 0 }));
  }

  /**
   * A Flush before the Sync: the client waits for answers mid-pipeline, so the batch cannot
   * wait for the main node's ReadyForQuery. It goes to every node at once and stays open
   * until the Sync; the main node's output streams to the client.
   */
  private flush(): void {
    if (this.batch.msgs.length === 0) return;
    const b = this.takeBatch();
    const u = this.unitFor(b.texts.join('; '), [newStep(this.batchPayload(b, this.live, FLUSH, null), this.live, Mode.Stream, { visible: true })]);
    u.open = true;
    this.start(u);
  }

  private intoOpenUnit(u: Unit, type: number, body: Buffer, raw: Buffer): void {
    const s = u.step!;
    if (type !== H && type !== S) raw = this.noteExtended(type, body, raw, -1);
    this.batch = emptyBatch();
    for (let i = 0; s.sent >> i; i++) if ((s.sent >> i) & 1 && this.live & (1 << i)) this.send(i, raw);
    if (type === S) u.open = false;
  }

  // ---- units and their steps --------------------------------------------------------------

  private unitFor(text: string, steps: Step[]): Unit {
    return {
      plan: steps.map((s) => () => s),
      at: 0,
      step: null,
      open: false,
      status: this.status,
      failed: false,
      broken: false,
      now: null,
      hasSequence: undefined,
      implicitTx: false,
      text,
    };
  }

  private readStep(payload: Buffer, where: Where): Step {
    return newStep(payload, this.targetsOf(where), Mode.Stream, { visible: true });
  }

  private sequential(payload: Buffer, targets: number, visible: boolean): Step {
    return newStep(payload, targets, Mode.Sequential, { visible });
  }

  /**
   * A unit for every node: the insert lock and the main node's clock first when the
   * statement needs them (pgpool-compat §11), the client's statement, then COMMIT of the
   * transaction pgrelay opened for the lock.
   */
  private writeUnit(
    text: string,
    texts: string[],
    mode: Mode,
    payload: (now: string | null, text: string) => Buffer,
    /** clock: the statements read it (default: as readsClock says); simple: a simple Query, whose clock-reading column DEFAULTs can be written into its text. */
    { clock = texts.some(readsClock), simple = false }: { clock?: boolean; simple?: boolean } = {},
  ): Unit {
    const u = this.unitFor(text, []);
    const db = this.host.database;
    const single = texts.length === 1 ? texts[0]! : null;
    const comment = single === null ? null : insertLockComment(single);
    const insert = single !== null && this.status !== 'E' && /^\s*(\/\*.*?\*\/\s*)?insert\b/is.test(single) ? insertTarget(single) : null;
    const table = comment !== 'never' && bool(this.cfg, 'insert_lock') ? insert : null;
    if (table !== null) {
      const known = comment === 'force' ? true : sequenceTables.get(db, table);
      if (known === undefined) {
        u.plan.push(() =>
          newStep(simpleQuery(sequenceQuery(table)), 1, Mode.Parallel, {
            capture: true,
            onDone: (s) => {
              u.hasSequence = s.value === 't';
              sequenceTables.set(db, table, u.hasSequence);
            },
          }),
        );
      } else u.hasSequence = known;
      u.plan.push(() => {
        if (!u.hasSequence) return null;
        u.implicitTx = this.status === 'I';
        return this.sequential(simpleQuery((u.implicitTx ? 'BEGIN;' : '') + lockStatement(table)), this.live, false);
      });
    }
    let sent = single ?? text;
    if (simple && insert !== null && single !== null) {
      const known = tableColumns.get(db, insert);
      if (known === undefined) {
        u.plan.push(() => newStep(simpleQuery(columnsQuery(insert)), 1, Mode.Parallel, { capture: true, onDone: (s) => (sent = withClockDefaults(single, noteTableColumns(db, insert, s.value)) ?? single) }));
      } else sent = withClockDefaults(single, known) ?? single;
    }
    u.plan.push(() => (clock || (sent !== single && readsClock(sent)) ? newStep(NOW_QUERY, 1, Mode.Parallel, { capture: true, onDone: (s) => (u.now = s.value) }) : null));
    u.plan.push(() => newStep(payload(u.now, sent), this.live, mode, { visible: true }));
    u.plan.push(() => (u.implicitTx ? newStep(simpleQuery('COMMIT'), this.live, Mode.Parallel, { cleanup: true }) : null));
    return u;
  }

  private start(u: Unit): void {
    if (!this.holdsEveryNode()) return;
    this.unit = u;
    if (this.unconfirmed.size > 0 && !allDown(this.host.ctx, this.unconfirmed)) this.park(u);
    else {
      this.unconfirmed.clear();
      this.next(u);
    }
  }

  /**
   * The session lost a node the supervisor has not degenerated (yet): writing on without it
   * would leave it behind while it still counts as up (a backend killed by
   * pg_terminate_backend looks like this, and the supervisor's probe keeps such a node). So
   * the next unit waits for the node to be marked down; if it is not, the session ends.
   */
  private park(u: Unit): void {
    const ids = [...this.unconfirmed];
    void waitDown(this.host.ctx, ids, () => !this.stopped && this.unit === u).then((down) => {
      if (this.stopped || this.unit !== u) return;
      if (down) {
        this.unconfirmed.clear();
        this.next(u);
        return;
      }
      this.host.ctx.log.warn({ nodes: ids }, `node ${ids.join(', ')} left this session but is still attached after ${verdictWaitMs(this.host.ctx)} ms; ending the session so that no write misses it`);
      this.endSession(fatal('57P01', `terminating connection because the connection to backend node ${ids.join(', ')} was lost`, 'the node is still attached: this session cannot write to every node'));
    });
  }

  /**
   * A node attached after this session logged in (failback, the end of an online recovery)
   * would miss its writes: pgpool restarts every child then, pgrelay ends the session at its
   * next statement, before anything goes out without that node.
   */
  private holdsEveryNode(): boolean {
    const st = this.host.ctx.state;
    if (st.version === this.seenVersion) return true;
    this.seenVersion = st.version;
    for (const n of st.nodes) {
      if (!isUsable(n) || this.unconfirmed.has(n.id) || this.links.some((l) => l.nodeId === n.id && this.live & l.bit)) continue;
      this.host.ctx.log.log({ node: n.id }, `node ${n.id} joined after this session started; ending the session so that no write misses it`);
      this.endSession(fatal('57P01', `terminating connection because backend node ${n.id} was attached`, 'a native replication session writes to every node; connect again to include it'));
      return false;
    }
    return true;
  }

  /** Runs the unit's next step, or ends the unit. */
  private next(u: Unit): void {
    while (u.at < u.plan.length) {
      const s = u.plan[u.at++]!(u);
      if (s === null || (u.broken && !s.cleanup)) continue;
      s.targets &= this.live;
      if (s.targets === 0) continue;
      u.step = s;
      this.run(s);
      return;
    }
    u.step = null;
    this.endUnit(u);
  }

  private run(s: Step): void {
    s.lead = lowestBit(s.targets);
    s.inspect = s.capture || bitCount(s.targets) > 1;
    if (s.capture) this.framers[s.lead]!.setInspect(TAGS_AND_ROWS);
    const first = s.mode === Mode.Sequential ? 1 << s.lead : s.targets;
    s.rest = s.targets & ~first;
    this.sendStep(s, first);
  }

  private sendStep(s: Step, mask: number): void {
    const logged = this.view.session.logPerNodeStatement;
    for (let i = 0; mask >> i; i++) {
      if (!((mask >> i) & 1)) continue;
      const bit = 1 << i;
      s.sent |= bit;
      s.waiting |= bit;
      s.answers[i] = { nodeId: this.links[i]!.nodeId, error: null, tags: [] };
      // a CancelRequest goes to the links with something in flight: once the main node ran a
      // write, the others only replay it, and a cancel there would leave them behind
      if (s.mode !== Mode.Sequential || i === s.lead) {
        s.cancellable |= bit;
        this.links[i]!.inFlight++;
      }
      this.send(i, s.payload);
      if (logged) {
        const what = s.payload[0] === Q ? queryText(s.payload.subarray(5)) : (this.unit?.text ?? '');
        this.host.ctx.log.log(`DB node id: ${this.links[i]!.nodeId} backend pid: ${this.links[i]!.conn.pid} statement: ${what}`);
      }
    }
  }

  private send(i: number, raw: Buffer): void {
    if (!this.links[i]!.write(raw)) this.host.pauseClient(true);
  }

  // ---- backend output (LinkEvents) ---------------------------------------------------------

  beginBatch(): void {
    this.host.beginBatch();
  }

  endBatch(): void {
    this.host.endBatch();
  }

  linkBytes(index: number, bytes: Buffer): void {
    const s = this.unit?.step;
    if (!s || !(s.waiting & (1 << index))) {
      this.unsolicited(index, bytes);
      return;
    }
    if (s.inspect) this.framers[index]!.push(bytes);
    else this.output(s, index, bytes);
  }

  linkMessage(index: number, type: number, body: Buffer, raw: Buffer): void {
    const s = this.unit?.step;
    const bit = 1 << index;
    if (type === E) {
      const f = noticeFieldsOf(body);
      noteBackendError(this.links[index]!.nodeId, f.V ?? f.S ?? 'ERROR');
      if (s && s.waiting & bit) {
        const a = s.answers[index]!;
        a.error ??= { code: sqlstateOf(body) ?? 'XX000', message: f.M ?? '' };
      }
    }
    if (!s || !(s.waiting & bit)) {
      this.unsolicited(index, raw);
      return;
    }
    if (type !== Z) {
      this.output(s, index, raw);
      return;
    }
    if (s.cancellable & bit) this.links[index]!.inFlight--;
    s.waiting &= ~bit;
    if (index === s.lead) {
      s.status = String.fromCharCode(raw[5]!) as TxStatus;
      if (s.rest !== 0) {
        const err = leadError(s);
        // a cancel or a lock timeout on the main node is not the other nodes' business
        if (err !== null && circumstantial(err.code)) s.rest = 0;
        else {
          const rest = s.rest & this.live;
          s.rest = 0;
          this.sendStep(s, rest);
        }
      }
    }
    this.maybeDone(s);
  }

  /** The links' CommandComplete framers: tags (and a captured value) noted, bytes passed on. */
  private tagSink(index: number): FrameSink {
    return {
      message: (type, body, raw) => {
        const s = this.unit?.step;
        if (!s) return;
        if (type === C) s.answers[index]?.tags.push(cstringAt(body, 0));
        else if (type === D && s.capture && index === s.lead && s.value === null) s.value = firstColumn(body);
        this.output(s, index, raw);
      },
      passthrough: (bytes) => {
        const s = this.unit?.step;
        if (s) this.output(s, index, bytes);
      },
    };
  }

  /** The lead's output: streamed, or kept until every node answered. Others' is dropped. */
  private output(s: Step, index: number, bytes: Buffer): void {
    if (index !== s.lead) return;
    if (s.mode === Mode.Stream && s.visible) {
      if (!this.host.toClient(bytes)) this.links[index]!.pause(true);
    } else s.output.push(bytes);
  }

  /** Between units only the main node speaks for the session (a NOTIFY, its FATAL at shutdown). */
  private unsolicited(index: number, bytes: Buffer): void {
    if (index !== 0) return;
    if (this.unit === null) this.host.toClient(bytes);
    else this.deferred.push(Buffer.from(bytes));
  }

  linkClosed(link: Link, error?: Error): void {
    this.host.linkClosed(link, error);
  }

  linkDrained(): void {
    this.host.backendDrained();
  }

  resumeLinks(): void {
    for (const l of this.links) l.pause(false);
  }

  // ---- a step is answered -------------------------------------------------------------------

  private maybeDone(s: Step): void {
    if (s.waiting !== 0 || s.rest !== 0 || this.unit?.step !== s) return;
    const u = this.unit;
    if (s.capture) this.framers[s.lead]!.setInspect(TAGS);
    const answers: Answer[] = [];
    for (let i = 0; i < this.links.length; i++) if (s.sent & this.live & (1 << i) && s.answers[i]) answers.push(s.answers[i]!);
    if (answers.length > 1 && !this.consistent(u, s, answers)) return;
    s.onDone?.(s);
    u.status = s.status;
    const err = leadError(s);
    if (s.visible) {
      if (err !== null) u.failed = true;
    } else if (err !== null && !s.quiet) {
      // pgrelay's own statement failed on every node (a LOCK refused, the COMMIT of its
      // implicit transaction): the client hears why, and only cleanup runs after it
      if (!s.cleanup) u.broken = true;
      u.failed = true;
      s.visible = true;
    }
    if (s.visible && s.mode !== Mode.Stream) for (const b of s.output) this.host.toClient(b);
    this.next(u);
  }

  /**
   * The nodes' answers to one step. Returns false when the session cannot go on (it was
   * ended); may change what the client gets (the affected-tuples error) and adds an abort.
   */
  private consistent(u: Unit, s: Step, answers: Answer[]): boolean {
    const v = judge(answers);
    if (v.kind === 'agree') return true;
    const log = this.host.ctx.log;
    const cfg = this.cfg;
    const statement = u.text || queryText(s.payload.subarray(5));
    const ctx = { answers: describeAnswers(answers), minority: v.losers, statement };
    if (v.kind === 'kind_mismatch') {
      const stop = bool(cfg, 'replication_stop_on_mismatch');
      const detail = `kind mismatch among backends. Possible last query was: "${statement}" kind details are: ${describeKinds(answers)}`;
      if (!stop) {
        log.warn(ctx, `nodes answered differently; replication_stop_on_mismatch is off, so this is a process failure: ending the session (${describeKinds(answers)})`);
        this.endSession(fatal('XX000', 'failed to read kind from backend', detail));
        return false;
      }
      log.warn(ctx, `nodes answered differently; replication_stop_on_mismatch is on: degenerating the minority, node ${v.losers.join(', ')} (${describeKinds(answers)})`);
      this.degenerate(v.losers, `statement result mismatch: ${describeKinds(answers)}`);
      if (v.mainLost) {
        this.endSession(fatal('XX000', 'failed to read kind from backend', detail));
        return false;
      }
      return true;
    }
    const counts = answers.map((a) => a.tags.join(',')).join(' ');
    const failover = bool(cfg, 'failover_if_affected_tuples_mismatch');
    log.warn(
      ctx,
      `pgpool detected difference of the number of inserted, updated or deleted tuples. Number of affected tuples are: ${counts}; ` +
        (failover ? `failover_if_affected_tuples_mismatch is on: degenerating node ${v.losers.join(', ')}` : 'failover_if_affected_tuples_mismatch is off: aborting the transaction'),
    );
    if (failover) {
      this.degenerate(v.losers, `affected tuples mismatch: ${counts}`);
      if (v.mainLost) {
        this.endSession(fatal('XX001', `pgpool detected difference of the number of inserted, updated or deleted tuples. Possible last query was: "${statement}"`));
        return false;
      }
    }
    // the client hears an error instead of the main node's CommandComplete, and the
    // transaction it ran in is aborted on every node before anything else runs
    s.output = [
      errorResponse({
        severity: 'ERROR',
        code: 'XX001',
        message: `pgpool detected difference of the number of inserted, updated or deleted tuples. Possible last query was: "${statement}"`,
        hint: 'check data consistency between main and other db node',
      }),
    ];
    u.failed = true;
    if (s.status === 'T') u.plan.splice(u.at, 0, () => newStep(ABORT, this.live, Mode.Parallel, { cleanup: true, quiet: true }));
    return true;
  }

  /** Drops the nodes from this session at once and asks the supervisor to degenerate them. */
  private degenerate(nodeIds: number[], cause: string): void {
    for (const id of nodeIds) {
      this.host.ctx.report({ t: 'backend_failure', nodeId: id, cause, kind: 'mismatch' });
      const link = this.links.find((l) => l.nodeId === id);
      if (!link || link.index === 0) continue;
      this.forget(link);
      link.conn.detach();
      link.conn.close();
    }
  }

  /** The unit is over: keep every node's transaction in the state the client sees, then ReadyForQuery. */
  private endUnit(u: Unit): void {
    if (u.status === 'E') {
      let behind = 0;
      for (const l of this.links) if (this.live & l.bit && l.conn.txStatus === 'T') behind |= l.bit;
      if (behind !== 0) {
        // a cancelled statement, a read that failed on the balance node: the nodes still in
        // a healthy transaction must not commit what the client sees rolled back
        u.plan.push(() => newStep(ABORT, behind, Mode.Parallel, { cleanup: true, quiet: true }));
        this.next(u);
        return;
      }
    }
    this.unit = null;
    this.status = u.status;
    if (!u.open) {
      this.host.toClient(readyForQuery(u.status));
      if (this.deferred.length > 0) {
        const d = this.deferred;
        this.deferred = [];
        for (const b of d) this.host.toClient(b);
      }
      if (this.batch.msgs.length === 0) this.tx.settle(u.status, this.view.settings.disableOnWrite);
      this.host.ready(u.status, u.failed);
    }
    this.pump();
  }

  // ---- nodes leaving ----------------------------------------------------------------------

  /**
   * A node's connection failed or the node went down. The session goes on without any node
   * but the main one — once the cluster state shows it down (park()); a step waiting for it
   * carries on with the others.
   */
  dropLink(link: Link): boolean {
    if (!(this.live & link.bit)) return true;
    const s = this.unit?.step;
    // Without the main node the session has no writes to go on with (pgpool drops every
    // session when any node fails in this mode); nor when the client is in the middle of
    // this node's answer (a read). Ended here: a streaming session's failover does not apply.
    if (link.index === 0 || (s && s.visible && s.lead === link.index && s.waiting & link.bit)) {
      this.endSession(fatal('57P01', `terminating connection because backend node ${link.nodeId} was lost`, link.index === 0 ? 'it was the main node of this native replication session' : 'it was answering this session'));
      return true;
    }
    this.forget(link);
    this.host.ctx.log.log({ node: link.nodeId }, `node ${link.nodeId} left this session; writes go to the remaining nodes`);
    return true;
  }

  private forget(link: Link): void {
    this.live &= ~link.bit;
    const n = this.host.ctx.state.nodes.find((x) => x.id === link.nodeId);
    if (n !== undefined && isUsable(n)) this.unconfirmed.add(link.nodeId);
    if (this.balance === link.index) this.balance = 0;
    const s = this.unit?.step;
    if (s && (s.waiting | s.rest) & link.bit) {
      s.waiting &= ~link.bit;
      s.rest &= ~link.bit;
      link.inFlight = 0;
      // may finish the step; not from inside the caller's own bookkeeping
      queueMicrotask(() => this.maybeDone(s));
    }
  }

  stop(): void {
    this.stopped = true;
    this.unit = null;
    this.pending = [];
    this.batch = emptyBatch();
  }
}

function emptyBatch(): Batch {
  return { msgs: [], where: null, clockBinds: [], texts: [], bindsOldUnnamed: false, parsesUnnamed: false };
}

function firstColumn(body: Buffer): string | null {
  if (body.readInt16BE(0) < 1) return null;
  const len = body.readInt32BE(2);
  return len < 0 ? null : body.toString('utf8', 6, 6 + len);
}
