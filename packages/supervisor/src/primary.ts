/** Finds the primary at start: ALWAYS_PRIMARY if flagged, else the node not in recovery. */
import type { BackendConfig, PasswdSecret, PgpoolConfig } from '@pgrelay/config';
import { queryNode } from './node-query';
import type { NodeTable } from './node-table';

export interface CheckLogin {
  user: string;
  password?: string;
  md5?: string;
  database: string;
}

/** sr_check_user's login: sr_check_password, else pool_passwd's entry. */
export function srCheckLogin(config: PgpoolConfig, passwd: Map<string, PasswdSecret>): CheckLogin {
  const user = String(config.sr_check_user);
  const given = String(config.sr_check_password ?? '');
  const secret = passwd.get(user);
  const login: CheckLogin = { user, database: String(config.sr_check_database || 'postgres') };
  if (given !== '') {
    if (given.startsWith('md5')) login.md5 = given;
    else if (given.startsWith('TEXT')) login.password = given.slice(4);
    else login.password = given;
  } else if (secret?.kind === 'text' || secret?.kind === 'aes') login.password = secret.password;
  else if (secret?.kind === 'md5') login.md5 = secret.hash;
  return login;
}

export async function isInRecovery(config: PgpoolConfig, passwd: Map<string, PasswdSecret>, b: BackendConfig): Promise<boolean> {
  const rows = await queryNode(config, passwd, b, 'SELECT pg_is_in_recovery()');
  return rows[0]?.[0] === 't';
}

/** Looks for the primary until one answers or search_primary_node_timeout passes (0 = forever). */
export async function findPrimary(
  config: PgpoolConfig,
  passwd: Map<string, PasswdSecret>,
  table: NodeTable,
  opts: { onePass: boolean },
): Promise<boolean> {
  const backends = (config.backends as BackendConfig[]).filter((b) => table.node(b.id)?.status !== 'down');
  const forced = backends.find((b) => b.alwaysPrimary);
  if (forced) {
    table.setPrimary(forced.id, 'backend_flag ALWAYS_PRIMARY');
    return true;
  }
  const timeoutSec = Number(config.search_primary_node_timeout);
  const deadline = timeoutSec > 0 ? Date.now() + timeoutSec * 1000 : Infinity;
  const errors = new Map<number, string>();
  for (;;) {
    for (const b of backends) {
      try {
        if (!(await isInRecovery(config, passwd, b))) {
          table.setPrimary(b.id, 'pg_is_in_recovery() is false');
          return true;
        }
      } catch (e) {
        errors.set(b.id, (e as Error).message);
      }
    }
    const why = [...errors].map(([id, m]) => `node ${id}: ${m}`).join('; ') || 'every node is a standby';
    if (opts.onePass) {
      table.log.warn(`no primary node found yet, still searching: ${why}`);
      return false;
    }
    if (Date.now() >= deadline || backends.length === 0) {
      table.log.log(`no primary node found (searched for ${timeoutSec} s: ${why})`);
      table.setPrimary(-1, `no primary found within search_primary_node_timeout`);
      return false;
    }
    await new Promise((r) => setTimeout(r, 1000));
  }
}
