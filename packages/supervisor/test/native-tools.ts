/** Shared by the native replication e2e tests: independent servers with a pgrelay in native mode. */
import { startCluster, startPgrelay, type Cluster, type Pgrelay } from '@pgrelay/testkit';
import { connect } from './helpers';

/** Clusters started by nativeSetup(), for afterAll to stop. */
export const nativeClusters: Cluster[] = [];

export async function nativeSetup(nodes: number, conf: Record<string, boolean | number>): Promise<{ cluster: Cluster; relay: Pgrelay }> {
  const cluster = await startCluster({ independent: nodes, name: 'native' });
  nativeClusters.push(cluster);
  const relay = await startPgrelay({ cluster, mode: 'native_replication', conf });
  return { cluster, relay };
}

/** SHOW POOL_NODES status column, through pgrelay. */
export async function nodeStatuses(relay: Pgrelay): Promise<string[]> {
  const c = await connect(relay.port);
  const rows = (await c.query('SHOW POOL_NODES')).rows;
  await c.end();
  return rows.map((r) => r.status);
}
