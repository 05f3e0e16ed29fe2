/** One login to a node as the health check makes it: the supervisor's own test of a worker's report. */
import type { BackendConfig, PasswdSecret, PgpoolConfig } from '@pgrelay/config';
import { backendTarget } from '@pgrelay/proxy';
import { attemptLogin, healthLogin } from './health';

export async function probeNode(config: PgpoolConfig, passwd: Map<string, PasswdSecret>, aesKey: string | undefined, id: number): Promise<string | null> {
  const b = (config.backends as BackendConfig[]).find((x) => x.id === id);
  if (!b) return `node ${id} is not configured`;
  const hc = b.healthCheck;
  const login = healthLogin(hc, passwd, aesKey);
  const timeoutMs = (hc.timeout > 0 ? hc.timeout : 20) * 1000;
  const r = await attemptLogin(backendTarget(b, config), login, { connectTimeoutMs: hc.connect_timeout, timeoutMs }, new AbortController().signal);
  return r.ok ? null : r.reason;
}
