/**
 * What happens to a session's backend connections when its client leaves: back to the
 * connection cache after reset_query_list, or closed (a statement still running is cancelled
 * first, so it does not go on for nobody).
 */
import net from 'node:net';
import { cancelRequest } from '@pgrelay/protocol';
import { socketPathOf, type BackendConn } from './backend-conn';
import { bool, type WorkerContext } from './context';
import { isCacheable } from './pool';

export async function releaseBackend(ctx: WorkerContext, backend: BackendConn, key: string, database: string | null, clean: boolean): Promise<void> {
  const cfg = ctx.config;
  const keep = clean && !backend.closed && bool(cfg, 'connection_cache') && database !== null && isCacheable(database);
  if (!keep) {
    if (!clean && !backend.closed) cancelOn(backend);
    backend.close();
    return;
  }
  try {
    // a connection this client never sent anything to is as the last reset left it
    if (!backend.untouched) await backend.reset(resetStatements(cfg.reset_query_list as string[] | string, backend.txStatus), 10_000);
    ctx.pool.put(key, backend);
  } catch (e) {
    ctx.log.debug({ err: (e as Error).message }, 'reset failed; closing backend connection');
    backend.destroy();
  }
}

/** reset_query_list, with ABORT dropped when no transaction is open (as pgpool does). */
export function resetStatements(list: string | string[], txStatus: 'I' | 'T' | 'E'): string[] {
  return (Array.isArray(list) ? list : list.split(';'))
    .map((s) => s.trim())
    .filter((s) => s !== '' && !(txStatus === 'I' && /^abort$/i.test(s)));
}

/** A CancelRequest for what `b` is running, on a connection of its own. */
export function cancelOn(b: BackendConn): void {
  if (b.pid === 0) return;
  const sockPath = socketPathOf(b.node);
  const s = sockPath ? net.connect(sockPath) : net.connect(b.node.port, b.node.host);
  s.on('connect', () => s.end(cancelRequest(b.pid, b.secret)));
  s.on('error', () => s.destroy());
}
