/**
 * Native replication keeps a session's nodes equal to the cluster's: a node attached later is
 * never missed by a write, and a node a session lost but the supervisor keeps (a terminated
 * backend) is never written around.
 */
import { startCluster, startPgrelay, type Cluster } from '@pgrelay/testkit';
import { Client } from 'pg';
import { connect } from './helpers';
import { ownPcp, writePcppass } from './pcp-tools';

let cluster2: Cluster;

afterAll(async () => {
  await cluster2?.stop();
});

test('a node attached while a session is open: that session ends before its next statement could miss it; new sessions write to it', async () => {
  cluster2 = await startCluster({ independent: 2, name: 'attach' });
  const relay = await startPgrelay({ cluster: cluster2, mode: 'native_replication' });
  const env = { PCPPASSFILE: writePcppass(relay.dir, ['*:*:pcp_user:pcp_pass']) };
  const pcp = ['-h', '127.0.0.1', '-p', String(relay.pcpPort), '-U', 'pcp_user', '-w', '-n', '1'];
  const setup = await connect(relay.port);
  await setup.query('CREATE TABLE a (id int)');
  await setup.end();
  expect((await ownPcp('pcp_detach_node', pcp, env)).code).toBe(0);
  await relay.waitForLog(/node 1 status changed from \w+ to down/);
  const old = await connect(relay.port); // holds node 0 only
  old.on('error', () => undefined);
  await old.query('INSERT INTO a VALUES (1)');
  expect((await ownPcp('pcp_attach_node', pcp, env)).code).toBe(0);
  await relay.waitForLog(/node 1 status changed from down to waiting/);
  await expect(old.query('INSERT INTO a VALUES (2)')).rejects.toThrow(/backend node 1 was attached/);
  await old.end().catch(() => undefined);
  const fresh = await connect(relay.port);
  await fresh.query('INSERT INTO a VALUES (3)');
  await fresh.end();
  expect(await cluster2.nodes[0]!.query('SELECT id FROM a ORDER BY id', [], { database: 'test' })).toEqual([{ id: 1 }, { id: 3 }]);
  expect(await cluster2.nodes[1]!.query('SELECT id FROM a ORDER BY id', [], { database: 'test' })).toEqual([{ id: 3 }]);
}, 60_000);

test('a backend of node 1 terminated while node 1 stays up: the session ends instead of writing without node 1', async () => {
  const c3 = await startCluster({ independent: 2, name: 'terminate' });
  try {
    const relay = await startPgrelay({ cluster: c3, mode: 'native_replication', conf: { health_check_timeout: 1 } });
    const c = new Client({ host: '127.0.0.1', port: relay.port, user: 'postgres', database: 'test', application_name: 'victim' });
    await c.connect();
    c.on('error', () => undefined);
    await c.query('CREATE TABLE t (id int)');
    const [row] = await c3.nodes[1]!.query("SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity WHERE application_name = 'victim'", [], { database: 'test' });
    expect(row.ok).toBe(true);
    await relay.waitForLog(/node 1 accepts connections, so it is not failed over/);
    await expect(c.query('INSERT INTO t VALUES (1)')).rejects.toThrow(/connection to backend node 1 was lost/);
    await c.end().catch(() => undefined);
    // nothing was written on node 0 alone
    expect(await c3.nodes[0]!.query('SELECT count(*)::int AS n FROM t', [], { database: 'test' })).toEqual([{ n: 0 }]);
    const d = await connect(relay.port);
    expect((await d.query('SHOW POOL_NODES')).rows.map((r) => r.status)).toEqual(['up', 'up']);
    await d.end();
  } finally {
    await c3.stop();
  }
}, 60_000);
