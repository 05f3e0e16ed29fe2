/**
 * Native replication mode on three independent servers (no streaming replication): writes
 * reach every node and the client gets one answer, reads are balanced, pgbench leaves the
 * three nodes identical.
 */
import { startCluster, startPgrelay, type Cluster, type Pgrelay } from '@pgrelay/testkit';
import { connect, run } from './helpers';

let cluster: Cluster;
let relay: Pgrelay;

beforeAll(async () => {
  cluster = await startCluster({ independent: 3, name: 'native' });
  relay = await startPgrelay({ cluster, mode: 'native_replication', conf: { num_init_children: 16 } });
}, 60_000);

afterAll(async () => {
  await cluster?.stop();
});

const onEveryNode = <T = any>(sql: string): Promise<T[][]> => Promise.all(cluster.nodes.map((n) => n.query<T>(sql, [], { database: 'test' })));

test('SHOW POOL_NODES: node 0 is the main node, the others replicas', async () => {
  const c = await connect(relay.port);
  const rows = (await c.query('SHOW POOL_NODES')).rows;
  await c.end();
  expect(rows.map((r) => [r.node_id, r.role])).toEqual([['0', 'main'], ['1', 'replica'], ['2', 'replica']]);
});

test('writes reach every node, in simple and extended protocol, and the client gets one answer', async () => {
  const c = await connect(relay.port);
  await c.query('CREATE TABLE w (id int PRIMARY KEY, v text)');
  const simple = await c.query("INSERT INTO w VALUES (1, 'a'), (2, 'b')");
  expect(simple.rowCount).toBe(2);
  const ext = await c.query('INSERT INTO w VALUES ($1, $2) RETURNING id', [3, 'c']);
  expect(ext.rows).toEqual([{ id: 3 }]);
  await c.query('BEGIN');
  const upd = await c.query("UPDATE w SET v = v || 'x' WHERE id < 3");
  expect(upd.rowCount).toBe(2);
  await c.query('COMMIT');
  await expect(c.query('INSERT INTO w VALUES (1, $1)', ['dup'])).rejects.toThrow(/duplicate key/);
  expect((await c.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
  await c.end();
  for (const rows of await onEveryNode('SELECT id, v FROM w ORDER BY id')) {
    expect(rows).toEqual([
      { id: 1, v: 'ax' },
      { id: 2, v: 'bx' },
      { id: 3, v: 'c' },
    ]);
  }
});

test('reads are balanced over the three nodes by weight', async () => {
  const ports = cluster.nodes.map((n) => String(n.port));
  const hits = [0, 0, 0];
  // one session per read: the session's load-balance node is drawn at login
  for (let i = 0; i < 90; i++) {
    const c = await connect(relay.port);
    const { rows } = await c.query('SHOW port');
    await c.end();
    hits[ports.indexOf(rows[0].port)]!++;
  }
  expect(hits.reduce((a, b) => a + b, 0)).toBe(90);
  for (const h of hits) expect(h).toBeGreaterThan(12);
});

async function expectNodesAgree(): Promise<void> {
  const sums = await onEveryNode<Record<string, string>>(
    `SELECT (SELECT sum(abalance) FROM pgbench_accounts)::text AS a, (SELECT sum(bbalance) FROM pgbench_branches)::text AS b,
            (SELECT sum(tbalance) FROM pgbench_tellers)::text AS t, (SELECT count(*) FROM pgbench_history)::text AS h,
            (SELECT sum(delta) FROM pgbench_history)::text AS d, (SELECT count(*) FROM pgbench_accounts)::text AS n`,
  );
  // pgbench truncates pgbench_history before each run; on a loaded machine a 3 s run is short
  expect(Number(sums[0]![0]!.h)).toBeGreaterThan(0);
  expect(sums[1]).toEqual(sums[0]);
  expect(sums[2]).toEqual(sums[0]);
  // the history's CURRENT_TIMESTAMP is the main node's on every node
  const mtimes = await onEveryNode<{ m: string }>("SELECT md5(string_agg(mtime::text, ',' ORDER BY tid, bid, aid, delta, mtime)) AS m FROM pgbench_history");
  expect(mtimes[1]).toEqual(mtimes[0]);
  expect(mtimes[2]).toEqual(mtimes[0]);
}

async function pgbench(args: string[]): Promise<number> {
  const r = await run('pgbench', [...args, '-h', '127.0.0.1', '-p', String(relay.port), '-U', 'postgres', 'test'], {}, 60_000);
  expect(r.stderr).not.toMatch(/error|aborted/i);
  expect(r.code).toBe(0);
  const tps = Number(/tps = ([\d.]+)/.exec(r.stdout)?.[1]);
  expect(tps).toBeGreaterThan(0);
  return tps;
}

test('pgbench -i and pgbench -c 8 -T 10 (tpcb-like): sum(abalance) and row counts identical on all three nodes', async () => {
  const init = await run('pgbench', ['-i', '-q', '-s', '1', '-h', '127.0.0.1', '-p', String(relay.port), '-U', 'postgres', 'test']);
  expect(init.stderr).not.toMatch(/error/i);
  expect(init.code).toBe(0);
  const tps = await pgbench(['-c', '8', '-j', '2', '-T', '10']);
  process.stdout.write(`native replication, 3 nodes, pgbench -c 8 -j 2 -T 10: ${tps} tps\n`);
  await expectNodesAgree();
}, 90_000);

test.each(['extended', 'prepared'])('pgbench -M %s -c 8 -T 3 keeps the nodes identical', async (mode) => {
  await pgbench(['-M', mode, '-c', '8', '-j', '2', '-T', '3']);
  await expectNodesAgree();
}, 60_000);
