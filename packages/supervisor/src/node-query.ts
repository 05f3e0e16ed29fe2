/** Runs one query on one node as sr_check_user: the supervisor's own look at a server. */
import type { BackendConfig, PasswdSecret, PgpoolConfig } from '@pgrelay/config';
import { BackendConn, backendTarget } from '@pgrelay/proxy';
import { srCheckLogin } from './primary';

export type Rows = (string | null)[][];

export async function queryNode(config: PgpoolConfig, passwd: Map<string, PasswdSecret>, b: BackendConfig, sql: string): Promise<Rows> {
  const login = srCheckLogin(config, passwd);
  const timeoutMs = Number(config.connect_timeout) || 10000;
  const conn = await BackendConn.open(
    backendTarget(b, config),
    { user: login.user, database: login.database, application_name: 'pgrelay_check' },
    async () => ({ user: login.user, password: login.password, md5: login.md5 }),
    { connectMs: timeoutMs, loginMs: timeoutMs },
  );
  try {
    return await conn.query(sql, timeoutMs);
  } finally {
    conn.close();
  }
}
