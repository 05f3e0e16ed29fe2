/**
 * How recovery logs in: as recovery_user with recovery_password (or, when that is empty, the
 * user's pool_passwd entry), to template1 as pgpool 4.3 does — the extension lives there —
 * unless recovery_database (4.7) is set explicitly.
 */
import type { BackendConfig, PasswdSecret, PgpoolConfig } from '@pgrelay/config';
import { BackendConn, backendTarget } from '@pgrelay/proxy';
import { healthLogin, type HealthLogin } from '../health';

/** With ssl: recovery talks to the nodes as the sessions do. */
export type RecoveryLogin = HealthLogin & { ssl: boolean };

export function recoveryLogin(config: PgpoolConfig, passwd: Map<string, PasswdSecret>, aesKey: string | undefined, database: string): RecoveryLogin {
  return { ...healthLogin({ user: String(config.recovery_user ?? ''), password: String(config.recovery_password ?? ''), database }, passwd, aesKey), ssl: config.ssl === true };
}

/** pgpool refuses an md5 hash as recovery_password (libpq cannot log in with one); it says so only once the login failed. */
export function isMd5Password(config: PgpoolConfig): boolean {
  return /^md5[0-9a-f]{32}$/.test(String(config.recovery_password ?? ''));
}

export async function openAs(b: BackendConfig, login: RecoveryLogin, database: string, timeoutMs: number): Promise<BackendConn> {
  return BackendConn.open(
    backendTarget(b, login),
    { user: login.user, database, application_name: 'pgrelay_recovery' },
    async () => ({ user: login.user, password: login.password, md5: login.md5 }),
    { connectMs: timeoutMs, loginMs: timeoutMs },
  );
}

/** A login error as one line, with the server's SQLSTATE when it gave one. */
export function describeLoginError(e: unknown): string {
  const err = e as Error & { sqlstate?: string };
  return err.sqlstate ? `${err.message} (SQLSTATE ${err.sqlstate})` : String(err?.message ?? e);
}
