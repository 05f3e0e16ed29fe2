/**
 * One node's health check loop (pgpool's health_check<N> process): check at once, then again
 * health_check_period seconds after each check ends; retries with health_check_retry_delay
 * between; a node that is down or unused when its turn comes is skipped (and counted so).
 * Settings are read at each check, so a reload applies from the next one.
 */
import { backendTarget } from '@pgrelay/proxy';
import path from 'node:path';
import type { BackendConfig, HealthCheckConfig, PgpoolConfig } from '@pgrelay/config';
import type { NodeStatus } from '@pgrelay/cluster';
import type { Logger } from '@pgrelay/proxy';
import { attemptLogin, type AttemptResult } from './attempt';
import { downRequested, DOWN_REQUEST_FILE } from './down-request';
import type { HealthLogin } from './login';
import type { NodeHealthStats } from './stats';

export interface HealthFailure {
  nodeId: number;
  /** The last attempt's failure, for the log and the operator. */
  reason: string;
  /** pgpool's `(timeout:1)`: the last attempt ran out of health_check_timeout (pgpool then restarts every child). */
  timedOut: boolean;
  /** Attempts made: 1 + retries. */
  attempts: number;
}

export interface NodeLoopDeps {
  config(): PgpoolConfig;
  backend(id: number): BackendConfig | undefined;
  login(hc: HealthCheckConfig): HealthLogin;
  status(id: number): NodeStatus | undefined;
  logdir(): string;
  stats: NodeHealthStats;
  log: Logger;
  onFailure(nodeId: number, cause: string, failure: HealthFailure): void;
}

export class NodeLoop {
  private readonly abort = new AbortController();
  private wakeUp: (() => void) | null = null;
  readonly done: Promise<void>;

  constructor(readonly id: number, private readonly deps: NodeLoopDeps) {
    this.done = this.run();
  }

  /** Ends the loop; an attempt in flight is abandoned and leaves no outcome. */
  stop(): Promise<void> {
    this.abort.abort();
    this.wakeUp?.();
    return this.done;
  }

  /** The settings may have changed: recompute when the next check is due. */
  wake(): void {
    this.wakeUp?.();
  }

  private get stopped(): boolean {
    return this.abort.signal.aborted;
  }

  private async run(): Promise<void> {
    let lastEnd = -Infinity;
    while (!this.stopped) {
      const b = this.deps.backend(this.id);
      const periodMs = b ? b.healthCheck.period * 1000 : 0;
      if (!b || periodMs <= 0) {
        this.deps.stats.periodOff();
        await this.sleepUntil(Infinity);
        continue;
      }
      const due = lastEnd + periodMs;
      if (Date.now() < due) {
        await this.sleepUntil(due);
        continue;
      }
      try {
        await this.checkOnce(b);
      } catch (e) {
        // A bug here must not end health checking for the node.
        this.deps.log.error({ node: this.id, err: (e as Error).stack }, `health check of node ${this.id} failed unexpectedly: ${(e as Error).message}`);
      }
      lastEnd = Date.now();
    }
  }

  private async checkOnce(b: BackendConfig): Promise<void> {
    const { stats, log } = this.deps;
    const id = this.id;
    const hc = b.healthCheck;
    const t0 = performance.now();
    stats.begin(Date.now());
    const status = this.deps.status(id);
    if (status !== 'up' && status !== 'waiting') {
      stats.skipped(Date.now());
      return;
    }
    const login = this.deps.login(hc);
    if (login.problem) log.warn({ node: id, user: login.user }, login.problem);
    const target = backendTarget(b, this.deps.config());
    const limits = { connectTimeoutMs: hc.connect_timeout, timeoutMs: hc.timeout * 1000 };

    let retries = 0;
    let result: AttemptResult;
    for (;;) {
      result = this.testHook(await attemptLogin(target, login, limits, this.abort.signal));
      if (this.stopped) return;
      if (result.ok) {
        if (retries > 0) log.log({ node: id }, `health check retrying on DB node: ${id} succeeded`);
        break;
      }
      this.logAttempt(b, result);
      if (retries >= hc.max_retries) break;
      retries++;
      stats.retried();
      log.log({ node: id, round: retries, reason: result.reason }, `health check retrying on DB node: ${id} (round:${retries})`);
      await this.pause(hc.retry_delay * 1000);
      if (this.stopped) return;
    }

    const durationMs = performance.now() - t0;
    if (result.ok) {
      stats.succeeded(Date.now());
      stats.finished(retries, durationMs);
      return;
    }
    // The flag is reloadable: the one in force now decides.
    const allow = this.deps.backend(id)?.allowToFailover ?? b.allowToFailover;
    stats.failed(Date.now(), allow);
    stats.finished(retries, durationMs);
    if (!allow) {
      log.log({ node: id, reason: result.reason }, `health check failed on node ${id} but failover is disallowed for the node`);
      return;
    }
    const timeout = result.timedOut ? 1 : 0;
    log.log({ node: id, reason: result.reason, attempts: retries + 1 }, `health check failed on node ${id} (timeout:${timeout})`);
    this.deps.onFailure(id, `health check failed: ${result.reason}`, {
      nodeId: id,
      reason: result.reason,
      timedOut: result.timedOut,
      attempts: retries + 1,
    });
  }

  /** health_check_test: a successful login still fails when backend_down_request says so. */
  private testHook(r: AttemptResult): AttemptResult {
    if (!r.ok || this.deps.config().health_check_test !== true) return r;
    const dir = this.deps.logdir();
    const asked = downRequested(dir, this.id);
    if (asked === 'missing') {
      this.deps.log.warn({ node: this.id }, `check_backend_down_request: failed to open file ${path.join(dir, DOWN_REQUEST_FILE)}`);
      return r;
    }
    if (!asked) return r;
    return { ok: false, stage: 'login', timedOut: false, reason: `${DOWN_REQUEST_FILE} asks for node ${this.id} to be treated as down (health_check_test)` };
  }

  private logAttempt(b: BackendConfig, r: Exclude<AttemptResult, { ok: true }>): void {
    const fields = { node: this.id, reason: r.reason };
    if (r.stage !== 'connect') return this.deps.log.log(fields, r.reason);
    const socket = b.hostname === '' || b.hostname.startsWith('/');
    const where = socket ? 'by unix domain socket' : `on "${b.hostname}:${b.port}"`;
    this.deps.log.log(fields, `failed to connect to PostgreSQL server ${where}`);
  }

  /** A retry delay: only stop() cuts it short. */
  private pause(ms: number): Promise<void> {
    const signal = this.abort.signal;
    if (signal.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      timer.unref();
      signal.addEventListener('abort', done, { once: true });
    });
  }

  /** Resolves at `deadline`, on wake() or on stop(). */
  private sleepUntil(deadline: number): Promise<void> {
    if (this.stopped) return Promise.resolve();
    return new Promise((resolve) => {
      const ms = deadline - Date.now();
      const timer = Number.isFinite(ms) ? setTimeout(() => done(), Math.max(0, ms)) : null;
      timer?.unref();
      const done = () => {
        if (timer) clearTimeout(timer);
        this.wakeUp = null;
        resolve();
      };
      this.wakeUp = done;
    });
  }
}
