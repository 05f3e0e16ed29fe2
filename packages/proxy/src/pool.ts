/**
 * The connection cache: backend connections left by clients that ended cleanly, kept per
 * (node, user, database, startup parameters) for the next client with the same key.
 */
import type { BackendConn } from './backend-conn';

export interface PoolLimits {
  /** Most idle connections this worker keeps in all (max_pool × its share of num_init_children). */
  maxIdle: number;
  /** connection_life_time in seconds; 0 = forever. */
  lifeTimeSec: number;
}

/** pgpool never caches connections to these databases. */
const NEVER_CACHED = new Set(['template0', 'template1', 'postgres', 'regression']);

export const isCacheable = (database: string): boolean => !NEVER_CACHED.has(database);

export function poolKey(nodeId: number, user: string, database: string, params: Map<string, string>): string {
  const keys = [...params.keys()].sort();
  let k = `${nodeId}\0${user}\0${database}`;
  for (const name of keys) k += `\0${name}=${params.get(name)}`;
  return k;
}

export class ConnectionPool {
  /** Idle connections per key; the most recently returned last. Map order = LRU across keys. */
  private readonly idle = new Map<string, BackendConn[]>();
  private count = 0;
  private readonly closeListeners = new WeakMap<BackendConn, () => void>();
  private readonly sweeper: NodeJS.Timeout;

  constructor(private limits: PoolLimits) {
    this.sweeper = setInterval(() => this.sweep(), 1000);
    this.sweeper.unref();
  }

  setLimits(limits: PoolLimits): void {
    this.limits = limits;
    while (this.count > this.limits.maxIdle) this.evictOldest();
  }

  get size(): number {
    return this.count;
  }

  /** Every idle connection with its key (for the operator's listings). */
  *entries(): IterableIterator<[string, BackendConn]> {
    for (const [key, list] of this.idle) for (const conn of list) yield [key, conn];
  }

  take(key: string): BackendConn | undefined {
    const list = this.idle.get(key);
    while (list && list.length > 0) {
      const conn = list.pop()!;
      this.count--;
      if (list.length === 0) this.idle.delete(key);
      this.unwatch(conn);
      if (!conn.closed) return conn;
    }
    return undefined;
  }

  put(key: string, conn: BackendConn): void {
    if (this.limits.maxIdle <= 0) {
      conn.close();
      return;
    }
    while (this.count >= this.limits.maxIdle) this.evictOldest();
    let list = this.idle.get(key);
    if (list) {
      this.idle.delete(key); // re-insert so this key becomes the most recently used
    } else {
      list = [];
    }
    list.push(conn);
    this.idle.set(key, list);
    this.count++;
    const onClose = () => this.forget(key, conn);
    this.closeListeners.set(conn, onClose);
    conn.socket.once('close', onClose);
  }

  private unwatch(conn: BackendConn): void {
    const l = this.closeListeners.get(conn);
    if (l) conn.socket.off('close', l);
    this.closeListeners.delete(conn);
  }

  /** Closes every idle connection to a node (it went down) or all of them. */
  drain(nodeId?: number): void {
    for (const [key, list] of this.idle) {
      for (const conn of list.splice(0)) {
        if (nodeId === undefined || conn.node.id === nodeId) conn.close();
        else list.push(conn);
      }
      if (list.length === 0) this.idle.delete(key);
    }
    this.count = [...this.idle.values()].reduce((n, l) => n + l.length, 0);
  }

  close(): void {
    clearInterval(this.sweeper);
    this.drain();
  }

  private forget(key: string, conn: BackendConn): void {
    const list = this.idle.get(key);
    if (!list) return;
    const i = list.indexOf(conn);
    if (i < 0) return;
    list.splice(i, 1);
    this.count--;
    if (list.length === 0) this.idle.delete(key);
  }

  private evictOldest(): void {
    const first = this.idle.entries().next();
    if (first.done) {
      this.count = 0;
      return;
    }
    const [key, list] = first.value;
    const conn = list.shift()!;
    this.count--;
    if (list.length === 0) this.idle.delete(key);
    conn.close();
  }

  private sweep(): void {
    if (this.limits.lifeTimeSec <= 0) return;
    const cutoff = Date.now() - this.limits.lifeTimeSec * 1000;
    for (const [key, list] of this.idle) {
      for (const conn of [...list]) if (conn.lastUsed < cutoff) {
        this.forget(key, conn);
        conn.close();
      }
    }
  }
}
