/**
 * One health check attempt, as pgpool makes it: connect, send the startup packet, authenticate,
 * then disconnect without a query. health_check_timeout bounds the attempt (pgpool's alarm is
 * set per attempt, not across retries); connect_timeout bounds only the TCP connect.
 * A SIGSTOPped postmaster accepts the TCP connection (the kernel does) and never answers, so
 * only the attempt timer catches it.
 */
import { BackendConn, type NodeTarget } from '@pgrelay/proxy';
import type { HealthLogin } from './login';

export type AttemptResult =
  | { ok: true }
  | { ok: false; stage: 'connect' | 'login' | 'timeout' | 'aborted'; reason: string; timedOut: boolean };

export interface AttemptLimits {
  /** ms; 0 = none. */
  connectTimeoutMs: number;
  /** ms; 0 = none. */
  timeoutMs: number;
}

export function attemptLogin(target: NodeTarget, login: HealthLogin, limits: AttemptLimits, signal: AbortSignal): Promise<AttemptResult> {
  if (signal.aborted) return Promise.resolve({ ok: false, stage: 'aborted', reason: 'health check stopped', timedOut: false });
  // With no connect_timeout the socket is still given up once the attempt is over, not left to the kernel.
  const connectMs = limits.connectTimeoutMs > 0 ? limits.connectTimeoutMs : limits.timeoutMs;
  const opening = BackendConn.open(
    target,
    { user: login.user, database: login.database },
    async () => ({ user: login.user, password: login.password, md5: login.md5 }),
    { connectMs, loginMs: limits.timeoutMs },
  );

  return new Promise((resolve) => {
    let done = false;
    const finish = (r: AttemptResult) => {
      if (done) return;
      done = true;
      if (timer) clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      resolve(r);
    };
    const onAbort = () => finish({ ok: false, stage: 'aborted', reason: 'health check stopped', timedOut: false });
    signal.addEventListener('abort', onAbort, { once: true });
    const timer =
      limits.timeoutMs > 0
        ? setTimeout(() => {
            const s = limits.timeoutMs / 1000;
            finish({ ok: false, stage: 'timeout', timedOut: true, reason: `no answer from node ${target.id} within health_check_timeout (${s} s)` });
          }, limits.timeoutMs)
        : null;
    opening.then(
      (conn) => {
        // Also when the attempt already timed out: the late connection is closed, not leaked.
        conn.close();
        finish({ ok: true });
      },
      (err: Error) => finish(describeFailure(err, target, login)),
    );
  });
}

function describeFailure(err: Error, target: NodeTarget, login: HealthLogin): AttemptResult {
  // BackendUnreachable (network, connect_timeout) is the error carrying a nodeId; proxy does not export the class.
  if (typeof (err as { nodeId?: unknown }).nodeId === 'number') return { ok: false, stage: 'connect', timedOut: false, reason: err.message };
  const sqlstate = (err as { sqlstate?: string }).sqlstate;
  const detail = sqlstate ? `${err.message} (SQLSTATE ${sqlstate})` : err.message;
  return {
    ok: false,
    stage: 'login',
    timedOut: false,
    reason: `login to node ${target.id} as user "${login.user}" to database "${login.database}" failed: ${detail}`,
  };
}
