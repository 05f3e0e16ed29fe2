/**
 * A lost session's new backends: wait for the primary, log in to it as the client did
 * (the credentials its login produced: pool_passwd or its own password), connect the nodes
 * reads may go to as at login, and replay the session's state on each.
 */
import type { BackendConn } from '../backend-conn';
import { num, type WorkerContext } from '../context';
import type { Credentials } from '../credentials';
import { BackendRefusal, BackendUnreachable } from '../errors';
import { loginToNode, type LoginRequest } from '../login';
import { connectReadNodes } from '../routing/connect';
import type { SessionState } from '../session-state';
import { replayState, type Replayed } from './replay-state';
import { failoverGraceMs, NoNewPrimary, waitForPrimary } from './wait-primary';

export interface Rebuilt {
  conns: BackendConn[];
  poolKeys: string[];
  /** Link index of the load-balance node. */
  balance: number;
  /** What the primary took (the standbys take the same, without LISTEN). */
  replayed: Replayed;
  /** Per prepared statement: the links it exists on. */
  masks: Map<string, number>;
}

const RETRY_MS = 200;

export async function rebuild(ctx: WorkerContext, req: LoginRequest, credentials: Credentials, state: SessionState, lost: number, gone: () => boolean): Promise<Rebuilt> {
  const cfg = ctx.config;
  const timeoutMs = num(cfg, 'session_failover_timeout') * 1000;
  const deadline = Date.now() + timeoutMs;
  const replayMs = Math.max(num(cfg, 'connect_timeout'), 10_000);
  for (;;) {
    const id = await waitForPrimary(ctx, { lost, timeoutMs: deadline - Date.now(), graceMs: failoverGraceMs(cfg), gone });
    let primary: BackendConn | null = null;
    const opened: BackendConn[] = [];
    try {
      const login = await loginToNode(ctx, req, id, credentials);
      primary = login.conn;
      opened.push(primary);
      const reads = await connectReadNodes(ctx, req, credentials, primary);
      for (const b of reads.backends) opened.push(b.conn);
      const conns = [primary, ...reads.backends.map((b) => b.conn)];
      const results = await Promise.all(conns.map((c, i) => replayState(c, state, i === 0, replayMs)));
      const masks = new Map<string, number>();
      for (const name of state.prepared.keys()) {
        let mask = 0;
        results.forEach((r, i) => {
          if (!r.refused.includes(name)) mask |= 1 << i;
        });
        masks.set(name, mask);
      }
      return { conns, poolKeys: [login.poolKey, ...reads.backends.map((b) => b.poolKey)], balance: reads.balance, replayed: results[0]!, masks };
    } catch (e) {
      for (const c of opened) c.destroy();
      // the new primary may still be finishing its promotion, or be gone again: try until the deadline
      const transient = e instanceof BackendUnreachable || (e instanceof BackendRefusal && (e.sqlstate === '57P03' || e.sqlstate === '57P01'));
      if (!transient || gone()) throw e;
      if (Date.now() >= deadline) throw new NoNewPrimary(`could not connect to the new primary node ${id}: ${(e as Error).message}`);
      ctx.log.debug({ node: id, err: (e as Error).message }, 'new primary not reachable yet; retrying');
      await new Promise((r) => setTimeout(r, RETRY_MS));
    }
  }
}
