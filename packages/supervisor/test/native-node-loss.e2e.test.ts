/** Native replication: a node killed under load is degenerated and the clients carry on with the others. */
import { startCluster, startPgrelay, type Cluster } from '@pgrelay/testkit';
import { connect, run } from './helpers';

let cluster: Cluster;

afterAll(async () => {
  await cluster?.stop();
});

test('kill -9 of node 2 under pgbench -c 8: node 2 degenerates, pgbench finishes without errors, nodes 0 and 1 agree', async () => {
  cluster = await startCluster({ independent: 3, name: 'nodeloss' });
  const relay = await startPgrelay({ cluster, mode: 'native_replication', conf: { num_init_children: 16 } });
  const init = await run('pgbench', ['-i', '-q', '-s', '1', '-h', '127.0.0.1', '-p', String(relay.port), '-U', 'postgres', 'test']);
  expect(init.code).toBe(0);
  const bench = run('pgbench', ['-c', '8', '-j', '2', '-T', '8', '-h', '127.0.0.1', '-p', String(relay.port), '-U', 'postgres', 'test'], {}, 60_000);
  await new Promise((r) => setTimeout(r, 3000));
  cluster.nodes[2]!.kill9();
  await relay.waitForLog(/node 2 status changed from \w+ to down/, 30_000);
  const r = await bench;
  expect(r.stderr).not.toMatch(/error|aborted/i);
  expect(r.code).toBe(0);
  expect(Number(/number of transactions actually processed: (\d+)/.exec(r.stdout)?.[1])).toBeGreaterThan(10);
  const c = await connect(relay.port);
  expect((await c.query('SHOW POOL_NODES')).rows.map((x) => x.status)).toEqual(['up', 'up', 'down']);
  await c.end();
  const sums = await Promise.all(
    cluster.nodes.slice(0, 2).map((n) =>
      n.query(`SELECT (SELECT sum(abalance) FROM pgbench_accounts)::text AS a, (SELECT count(*) FROM pgbench_history)::text AS h, (SELECT sum(bbalance) FROM pgbench_branches)::text AS b`, [], { database: 'test' }),
    ),
  );
  expect(sums[1]).toEqual(sums[0]);
}, 90_000);
