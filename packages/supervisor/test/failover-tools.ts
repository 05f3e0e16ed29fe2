/**
 * pgrelay running the shipped failover scripts (scripts/failover/*.sh) with a fast health
 * check, as the failover, session-survival and recovery tests need it.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort, startPgrelay, type Cluster, type Pgrelay } from '@pgrelay/testkit';

export const ROOT = path.resolve(__dirname, '../../..');
export const OWN_BIN = path.join(ROOT, 'node_modules/.bin');
const SCRIPTS = path.join(ROOT, 'scripts/failover');

/** A .pcppass for pcp.conf's pcp_user, in a directory of its own. */
export function pcppassFile(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pgrelay-pcppass-'));
  const file = path.join(dir, '.pcppass');
  fs.writeFileSync(file, '*:*:pcp_user:pcp_pass\n', { mode: 0o600 });
  return file;
}

export async function relayWithScripts(
  cluster: Cluster,
  conf: Record<string, string | number | boolean> = {},
  env: Record<string, string> = {},
): Promise<Pgrelay> {
  const pcpPort = await freePort();
  return startPgrelay({
    cluster,
    conf: {
      pcp_port: pcpPort,
      num_init_children: 80,
      health_check_period: 1,
      health_check_max_retries: 2,
      health_check_retry_delay: 1,
      health_check_timeout: 3,
      connect_timeout: 2000,
      search_primary_node_timeout: 30,
      failover_command: `${SCRIPTS}/failover.sh %d %h %p %D %m %H %M %P %r %R %N %S`,
      follow_primary_command: `${SCRIPTS}/follow_primary.sh %d %h %p %D %m %H %M %P %r %R`,
      ...conf,
    },
    // follow_primary.sh attaches the node again with pcp_attach_node
    env: { PCP_USER: 'pcp_user', PCP_PORT: String(pcpPort), PCP_HOST: '127.0.0.1', PCPPASSFILE: pcppassFile(), PCP_BIN: OWN_BIN, ...env },
  });
}
