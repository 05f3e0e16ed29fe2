/**
 * Waits for the node a lost session can move to: the primary of the newest ClusterState,
 * once the supervisor has failed the lost node over (or named another primary). A lost
 * connection to a primary that stays up and primary — pg_terminate_backend, a backend
 * crash the supervisor's probe did not confirm — is not a failover, and the session ends
 * as it would have without pgrelay.
 */
import { isUsable, writeNodeId } from '@pgrelay/cluster';
import type { WorkerContext } from '../context';

export class NotAFailover extends Error {}
export class NoNewPrimary extends Error {}

const POLL_MS = 100;

export interface WaitOptions {
  /** The node whose connection was lost. */
  lost: number;
  /** Give up (NoNewPrimary) after this long. */
  timeoutMs: number;
  /** The lost node still up and primary after this long: NotAFailover. */
  graceMs: number;
  /** The client left: stop waiting. */
  gone(): boolean;
}

/** Resolves the id of the node to rebuild the session on. */
export async function waitForPrimary(ctx: WorkerContext, o: WaitOptions): Promise<number> {
  const started = Date.now();
  let lostWentDown = false;
  for (;;) {
    if (o.gone()) throw new Error('client left while its session waited for a new primary');
    const st = ctx.state;
    const lostNode = st.nodes.find((n) => n.id === o.lost);
    if (!lostNode || !isUsable(lostNode)) lostWentDown = true;
    const id = writeNodeId(st);
    if (id >= 0 && (id !== o.lost || lostWentDown)) return id;
    // The supervisor failed the node over (or detached it) and found no primary after it:
    // nothing is coming, so the session ends now rather than at session_failover_timeout.
    if (lostWentDown && id < 0 && !st.failingOver) throw new NoNewPrimary('no primary node was found after the failover');
    const waited = Date.now() - started;
    if (id === o.lost && !lostWentDown && waited >= o.graceMs) throw new NotAFailover(`node ${o.lost} is still up and the primary`);
    if (waited >= o.timeoutMs) throw new NoNewPrimary(`no primary node was found within ${Math.round(o.timeoutMs / 1000)} s (session_failover_timeout)`);
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}

/**
 * How long a lost primary may stay "up" before pgrelay believes it is: long enough for the
 * supervisor to probe it after a worker's report, or — without failover_on_backend_error —
 * for the health check to give up on it.
 */
export function failoverGraceMs(cfg: Record<string, unknown>): number {
  const n = (k: string) => Number(cfg[k] ?? 0);
  const probe = Math.max(n('connect_timeout'), 1000) + Math.max(n('health_check_timeout'), 1) * 1000 + 1000;
  if (cfg.failover_on_backend_error === true) return probe;
  const period = n('health_check_period');
  if (period <= 0) return probe;
  const retries = n('health_check_max_retries');
  return (period + retries * (n('health_check_retry_delay') + Math.max(n('health_check_timeout'), 1)) + 1) * 1000 + probe;
}
