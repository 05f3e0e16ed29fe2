/** One connection to a PostgreSQL backend: connect, log in, and then carry a session's bytes. */
import net from 'node:net';
import path from 'node:path';
import {
  authRequestOf,
  Framer,
  type FrameSink,
  noticeFieldsOf,
  parameterStatusOf,
  simpleQuery,
  sqlstateOf,
  startupMessage,
  terminate,
  typeTable,
} from '@pgrelay/protocol';
import { AUTH_OK, BackendAuthenticator, methodOfRequest } from './backend-auth';
import type { AuthMethod, Credentials } from './credentials';
import { BackendRefusal, BackendUnreachable, ClientError } from './errors';
import { MessageQueue, type Message } from './message-queue';
import { SYNC } from './routing/messages';
import { negotiateSsl } from './backend-ssl';

export interface NodeTarget {
  id: number;
  host: string;
  port: number;
  /** ssl = on: ask the server for SSL over TCP (a Unix socket never uses it). */
  ssl?: boolean;
}

/** Where a configured backend is, and how pgrelay talks to it. */
export const backendTarget = (b: { id: number; hostname: string; port: number }, config: { ssl?: unknown }): NodeTarget => ({
  id: b.id,
  host: b.hostname,
  port: b.port,
  ssl: config.ssl === true,
});

/** Receives a backend's traffic while a session owns the connection. */
export interface BackendOwner {
  /** Around each chunk from the backend, so many small writes to the client become one. */
  beginBatch(): void;
  endBatch(): void;
  backendPassthrough(bytes: Buffer): void;
  backendMessage(type: number, body: Buffer, raw: Buffer): void;
  backendClosed(conn: BackendConn, error?: Error): void;
  /** The backend took what was queued for it: the client may send more. */
  backendDrained(): void;
}

/** Asked once the backend names its authentication method; returns what to log in with. */
export type CredentialSource = (method: AuthMethod) => Promise<Credentials>;

const Z = 0x5a;
const E = 0x45;
const S = 0x53;
const K = 0x4b;
const R = 0x52;
const N = 0x4e;
const D = 0x44;
const STARTUP_TYPES = typeTable('RSKZENvC');
const QUERY_TYPES = typeTable('RSKZENvCD');
/** While relaying, only transaction state, errors and parameter changes matter. */
const RELAY_TYPES = typeTable('ZSE');
const MAX_BACKEND_MESSAGE = 0x7fffffff;

/** Where PostgreSQL listens: '' means the Unix socket in /tmp, '/dir' a socket directory. */
export function socketPathOf(target: NodeTarget): string | undefined {
  if (target.host === '') return path.join('/tmp', `.s.PGSQL.${target.port}`);
  if (target.host.startsWith('/')) return path.join(target.host, `.s.PGSQL.${target.port}`);
  return undefined;
}

export class BackendConn implements FrameSink {
  readonly params = new Map<string, string>();
  pid = 0;
  secret = 0;
  txStatus: 'I' | 'T' | 'E' = 'I';
  authMethod: AuthMethod = 'trust';
  /** The clear-text password a client gave, kept to re-check the next client on reuse. */
  clientPassword: string | undefined;
  readonly createdAt = Date.now();
  lastUsed = Date.now();
  sessionsServed = 0;
  /** socket.bytesWritten when the session state was last known fresh (after login, after a reset). */
  private writtenWhenClean = 0;
  closed = false;
  private lastError: Error | undefined;

  private readonly framer: Framer;
  private owner: BackendOwner | null = null;
  private queue: MessageQueue | null = new MessageQueue();

  private constructor(readonly node: NodeTarget, readonly socket: net.Socket) {
    this.framer = new Framer(this, STARTUP_TYPES, MAX_BACKEND_MESSAGE);
    socket.setNoDelay(true);
    socket.on('data', (chunk) => this.onData(chunk));
    socket.on('error', (err) => this.onClose(err));
    socket.on('close', () => this.onClose());
    socket.on('drain', () => this.owner?.backendDrained());
  }

  /**
   * Connects and logs in. Rejects with BackendUnreachable (network, timeout),
   * BackendRefusal (the server said no: its ErrorResponse is kept for the client) or
   * ClientError (pgrelay cannot satisfy the server's authentication).
   */
  static async open(
    node: NodeTarget,
    startup: Record<string, string>,
    credentials: CredentialSource,
    timeouts: { connectMs: number; loginMs: number },
  ): Promise<BackendConn> {
    let socket = await connectSocket(node, timeouts.connectMs);
    if (node.ssl && socketPathOf(node) === undefined) {
      try {
        socket = await negotiateSsl(socket, node.id, timeouts.connectMs);
      } catch (e) {
        socket.destroy();
        throw e;
      }
    }
    const conn = new BackendConn(node, socket);
    try {
      await conn.login(startup, credentials, timeouts.loginMs);
      conn.writtenWhenClean = socket.bytesWritten;
    } catch (e) {
      conn.destroy();
      throw e;
    }
    return conn;
  }

  private async login(startup: Record<string, string>, credentials: CredentialSource, timeoutMs: number): Promise<void> {
    const timer = timeoutMs > 0 ? setTimeout(() => this.fail(new BackendUnreachable(this.node.id, `timed out logging in to node ${this.node.id}`)), timeoutMs) : null;
    try {
      this.socket.write(startupMessage(startup));
      let auth: BackendAuthenticator | null = null;
      for (;;) {
        const m = await this.next();
        if (m.type === R) {
          const { code, data } = authRequestOf(m.body);
          if (auth === null) {
            const method = methodOfRequest(code) ?? 'trust';
            this.authMethod = method;
            const creds = await credentials(method);
            auth = new BackendAuthenticator(this.node.id, creds);
          }
          const reply = await auth.step(code, data);
          if (reply) this.socket.write(reply);
          if (code === AUTH_OK) continue;
        } else if (m.type === S) {
          const p = parameterStatusOf(m.body);
          this.params.set(p.name, p.value);
        } else if (m.type === K) {
          this.pid = m.body.readInt32BE(0);
          this.secret = m.body.readInt32BE(4);
        } else if (m.type === Z) {
          this.txStatus = String.fromCharCode(m.body[0]!) as 'I';
          this.queue = null;
          return;
        } else if (m.type === E) {
          const f = noticeFieldsOf(m.body);
          throw new BackendRefusal(Buffer.from(m.raw), f.C, f.M ?? 'backend refused the connection');
        }
        // NoticeResponse and NegotiateProtocolVersion during login are dropped.
      }
    } finally {
      if (timer) clearTimeout(timer);
    }
  }

  private onData(chunk: Buffer): void {
    const owner = this.owner;
    owner?.beginBatch();
    try {
      this.framer.push(chunk);
    } catch (e) {
      // A malformed stream from a backend: nothing more from it can be trusted.
      this.lastError = e as Error;
      this.fail(e as Error);
    } finally {
      owner?.endBatch();
    }
  }

  private next(): Promise<Message> {
    if (this.queue === null) this.queue = new MessageQueue();
    return this.queue.next();
  }

  private fail(e: Error): void {
    this.queue?.fail(e);
    this.destroy();
  }

  // FrameSink: during login/reset messages go to the queue, while relaying to the owner.
  message(type: number, body: Buffer, raw: Buffer): void {
    if (this.owner !== null) {
      if (type === Z) this.txStatus = String.fromCharCode(body[0]!) as 'I';
      else if (type === S) {
        const p = parameterStatusOf(body);
        this.params.set(p.name, p.value);
      }
      this.owner.backendMessage(type, body, raw);
    } else if (this.queue !== null) {
      this.queue.push({ type, body, raw });
    }
    // An idle pooled connection may get a NOTICE or ParameterStatus; nothing to do.
  }

  passthrough(bytes: Buffer): void {
    this.owner?.backendPassthrough(bytes);
  }

  attach(owner: BackendOwner): void {
    this.owner = owner;
    this.framer.setInspect(RELAY_TYPES);
    this.sessionsServed++;
    // It can die between the login that opened it and this attach (the primary killed while
    // the session still connected its read node): its close went to nobody, and a statement
    // written to it would wait forever. The new owner hears of it once it is set up.
    if (this.closed) {
      setImmediate(() => {
        if (this.owner !== owner) return;
        this.owner = null;
        owner.backendClosed(this, this.lastError ?? new BackendUnreachable(this.node.id, `node ${this.node.id} closed the connection`));
      });
    }
  }

  detach(): void {
    this.owner = null;
    this.lastUsed = Date.now();
  }

  /**
   * Nothing was sent since the login or the last reset: the backend's session state is as
   * fresh as a reset would leave it (a replay of SETs after a failover writes, so counts).
   */
  get untouched(): boolean {
    return this.socket.bytesWritten === this.writtenWhenClean;
  }

  write(buf: Buffer): boolean {
    return this.socket.write(buf);
  }

  /**
   * Runs statements as simple queries, swallowing their results (used for the reset
   * between clients). Starts with a Sync so an unfinished extended-protocol batch ends first.
   * A statement that fails does not stop the ones after it (they were sent together); the
   * first failure is reported.
   */
  async reset(statements: string[], timeoutMs: number): Promise<void> {
    this.owner = null;
    this.framer.setInspect(STARTUP_TYPES);
    this.queue = new MessageQueue();
    const timer = setTimeout(() => this.fail(new Error('reset timed out')), timeoutMs);
    try {
      // one write for all of them: each write is a syscall, and the backend answers in order
      this.socket.write(Buffer.concat([SYNC, ...statements.map(simpleQuery)]));
      await this.until(Z);
      for (const sql of statements) {
        const err = await this.until(Z);
        if (err) throw new Error(`reset query "${sql}" failed: ${err}`);
      }
      this.writtenWhenClean = this.socket.bytesWritten;
    } finally {
      clearTimeout(timer);
      this.queue = null;
      this.framer.setInspect(RELAY_TYPES);
    }
  }

  /**
   * Runs one simple query on an idle, unowned connection and returns its rows as text
   * (used by the supervisor's checks, never on a client's connection).
   */
  async query(sql: string, timeoutMs: number): Promise<(string | null)[][]> {
    this.framer.setInspect(QUERY_TYPES);
    this.queue = new MessageQueue();
    const rows: (string | null)[][] = [];
    const timer = setTimeout(() => this.fail(new Error(`query timed out after ${timeoutMs} ms`)), timeoutMs);
    try {
      this.socket.write(simpleQuery(sql));
      let error: string | undefined;
      for (;;) {
        const m = await this.next();
        if (m.type === D) rows.push(dataRowValues(m.body));
        else if (m.type === E) error = noticeFieldsOf(m.body).M ?? 'query failed';
        else if (m.type === Z) break;
      }
      if (error !== undefined) throw new Error(error);
      return rows;
    } finally {
      clearTimeout(timer);
      this.queue = null;
    }
  }

  /** Consumes messages up to the next of `type`; returns the SQLSTATE of an error seen on the way. */
  private async until(type: number): Promise<string | undefined> {
    let err: string | undefined;
    for (;;) {
      const m = await this.next();
      if (m.type === E) err = sqlstateOf(m.body);
      else if (m.type === S) {
        const p = parameterStatusOf(m.body);
        this.params.set(p.name, p.value);
      } else if (m.type === Z) this.txStatus = String.fromCharCode(m.body[0]!) as 'I';
      if (m.type === type) return err;
      if (m.type === N) continue;
    }
  }

  /** Polite close: Terminate, then end. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (!this.socket.destroyed) this.socket.end(terminate());
    this.socket.destroySoon?.();
  }

  destroy(): void {
    this.closed = true;
    this.framer.stop();
    this.socket.destroy();
  }

  /** The socket is gone. An owner still attached did not expect it: tell it why. */
  private onClose(err?: Error): void {
    this.closed = true;
    const why = err ?? this.lastError;
    this.queue?.fail(why ?? new BackendUnreachable(this.node.id, `node ${this.node.id} closed the connection`));
    const owner = this.owner;
    this.owner = null;
    owner?.backendClosed(this, why);
  }
}

function dataRowValues(body: Buffer): (string | null)[] {
  const n = body.readInt16BE(0);
  const out: (string | null)[] = [];
  let i = 2;
  for (let c = 0; c < n; c++) {
    const len = body.readInt32BE(i);
    i += 4;
    if (len < 0) out.push(null);
    else {
      out.push(body.toString('utf8', i, i + len));
      i += len;
    }
  }
  return out;
}

function connectSocket(node: NodeTarget, timeoutMs: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const sockPath = socketPathOf(node);
    const socket = sockPath ? net.connect(sockPath) : net.connect(node.port, node.host);
    const timer =
      timeoutMs > 0
        ? setTimeout(() => {
            socket.destroy();
            reject(new BackendUnreachable(node.id, `timed out connecting to node ${node.id} (${node.host}:${node.port}) after ${timeoutMs} ms`));
          }, timeoutMs)
        : null;
    socket.once('connect', () => {
      if (timer) clearTimeout(timer);
      socket.removeAllListeners('error');
      resolve(socket);
    });
    socket.once('error', (err) => {
      if (timer) clearTimeout(timer);
      reject(new BackendUnreachable(node.id, `could not connect to node ${node.id} (${node.host}:${node.port}): ${err.message}`));
    });
  });
}

export { ClientError };
