/**
 * pgpool's check that the recovered node's postmaster is up: log in as recovery_user, first to
 * `postgres` (pgpool: 4 tries with 3 s sleeps, 12 s), then to `template1` until
 * recovery_timeout has passed. Same budgets, but tried every second: a server that is up a
 * moment after pgpool_remote_start returned should not cost a 3 s wait in a recovery meant to
 * be short.
 */
import type { BackendConfig } from '@pgrelay/config';
import type { Logger } from '@pgrelay/proxy';
import { RecoveryFailure } from './errors';
import { describeLoginError, openAs, type RecoveryLogin } from './login';

const POSTGRES_PHASE_MS = 12_000;
const RETRY_MS = 1_000;

export interface WaitOptions {
  recoveryTimeoutSec: number;
  /** Bounds one login attempt. */
  attemptMs: number;
  log: Logger;
  sleep?: (ms: number) => Promise<void>;
}

export async function waitForPostmaster(b: BackendConfig, login: RecoveryLogin, opts: WaitOptions): Promise<void> {
  const { log } = opts;
  const sleep = opts.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const phases: Array<{ database: string; budgetMs: number }> = [
    { database: 'postgres', budgetMs: POSTGRES_PHASE_MS },
    { database: 'template1', budgetMs: opts.recoveryTimeoutSec * 1000 },
  ];
  for (const phase of phases) {
    const deadline = Date.now() + phase.budgetMs;
    for (let attempt = 0; ; attempt++) {
      log.log(
        { node: b.id, database: phase.database, attempt },
        `checking if postmaster is started: trying to connect to postmaster on hostname:${b.hostname} database:${phase.database} user:${login.user} (retry ${attempt} times)`,
      );
      try {
        (await openAs(b, login, phase.database, opts.attemptMs)).close();
        return;
      } catch (e) {
        const why = describeLoginError(e);
        log.log({ node: b.id, database: phase.database, err: why }, `checking if postmaster is started: failed to connect to postmaster on hostname:${b.hostname} database:${phase.database} user:${login.user}: ${why}`);
        // A missing `postgres` database will not appear: go on to template1 at once.
        if ((e as { sqlstate?: string }).sqlstate === '3D000') break;
      }
      const left = deadline - Date.now();
      if (left <= 0) break;
      await sleep(Math.min(RETRY_MS, left));
    }
  }
  throw new RecoveryFailure(
    'recovery is checking if postmaster is started',
    `postmaster on hostname:"${b.hostname}" database:"template1" user:"${login.user}" failed to start in ${opts.recoveryTimeoutSec} second`,
  );
}
