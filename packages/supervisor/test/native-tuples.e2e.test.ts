/**
 * Native replication's SQL-level failure detection, second part: INSERT/UPDATE/DELETE row
 * counts that differ between nodes, and cancels that must not look like a difference.
 */
import { connect, sendCancel } from './helpers';
import { nativeClusters, nativeSetup as setup, nodeStatuses as statuses } from './native-tools';

afterAll(async () => {
  await Promise.all(nativeClusters.map((c) => c.stop()));
});

test('failover_if_affected_tuples_mismatch = on: an UPDATE matching a different row count on node 2 degenerates it', async () => {
  const { cluster, relay } = await setup(3, { failover_if_affected_tuples_mismatch: true });
  for (const n of cluster.nodes) await n.query('CREATE TABLE acc (id int, v int)', [], { database: 'test' });
  for (const n of cluster.nodes) await n.query('INSERT INTO acc VALUES (1, 0), (2, 0)', [], { database: 'test' });
  await cluster.nodes[2]!.query('INSERT INTO acc VALUES (3, 0)', [], { database: 'test' });
  const c = await connect(relay.port);
  await expect(c.query('UPDATE acc SET v = v + 1')).rejects.toThrow(/pgpool detected difference of the number of inserted, updated or deleted tuples/);
  const line = await relay.waitForLog(/Number of affected tuples are/);
  expect(line).toMatch(/Number of affected tuples are: UPDATE 2 UPDATE 2 UPDATE 3/);
  expect(line).toMatch(/degenerating node 2/);
  await relay.waitForLog(/node 2 status changed from \w+ to down/);
  // the main node kept its answer's side: the session goes on with nodes 0 and 1
  expect((await c.query('UPDATE acc SET v = v + 1')).rowCount).toBe(2);
  await c.end();
  expect(await statuses(relay)).toEqual(['up', 'up', 'down']);
}, 60_000);

test('a 1-1 row-count split between two nodes keeps the group with the youngest node id (node 0)', async () => {
  const { cluster, relay } = await setup(2, { failover_if_affected_tuples_mismatch: true });
  for (const n of cluster.nodes) await n.query('CREATE TABLE acc (id int)', [], { database: 'test' });
  await cluster.nodes[1]!.query('INSERT INTO acc VALUES (1)', [], { database: 'test' });
  const c = await connect(relay.port);
  await expect(c.query('DELETE FROM acc')).rejects.toThrow(/difference of the number of inserted, updated or deleted tuples/);
  expect(await relay.waitForLog(/Number of affected tuples are/)).toMatch(/DELETE 0 DELETE 1.*degenerating node 1/);
  await relay.waitForLog(/node 1 status changed from \w+ to down/);
  await c.end();
  expect(await statuses(relay)).toEqual(['up', 'down']);
}, 60_000);

test('failover_if_affected_tuples_mismatch = off: the client gets the error, its transaction is aborted on every node, nobody is degenerated', async () => {
  const { cluster, relay } = await setup(2, { failover_if_affected_tuples_mismatch: false });
  for (const n of cluster.nodes) await n.query('CREATE TABLE acc (id int)', [], { database: 'test' });
  await cluster.nodes[1]!.query('INSERT INTO acc VALUES (1)', [], { database: 'test' });
  const c = await connect(relay.port);
  await c.query('BEGIN');
  await c.query('CREATE TABLE made_in_tx (id int)');
  await expect(c.query('DELETE FROM acc')).rejects.toThrow(/difference of the number/);
  await expect(c.query('SELECT 1')).rejects.toThrow(/current transaction is aborted/);
  await c.query('ROLLBACK');
  await c.end();
  expect(await statuses(relay)).toEqual(['up', 'up']);
  for (const n of cluster.nodes) expect(await n.query("SELECT to_regclass('made_in_tx') AS t", [], { database: 'test' })).toEqual([{ t: null }]);
}, 60_000);

test('cancel: a write cancelled on the main node is not run on the others, one the main node finished is not cancelled on them; no mismatch', async () => {
  const { cluster, relay } = await setup(3, { replication_stop_on_mismatch: true });
  const c = await connect(relay.port);
  await c.query('CREATE TABLE slow (id int, v int)');
  await c.query('INSERT INTO slow VALUES (1, 0)');
  const { processID, secretKey } = c as unknown as { processID: number; secretKey: number };
  const cancelSoon = (): void => void new Promise((r) => setTimeout(r, 500)).then(() => sendCancel(relay.port, processID, secretKey));
  cancelSoon();
  await expect(c.query('UPDATE slow SET v = v + 1 WHERE pg_sleep(3) IS NOT NULL')).rejects.toThrow(/canceling statement due to user request/);
  // once the main node ran it, the others only replay it: a cancel then reaches nobody
  const replayed = c.query('UPDATE slow SET v = v + 1000 WHERE pg_sleep(2) IS NOT NULL');
  void new Promise((r) => setTimeout(r, 3000)).then(() => sendCancel(relay.port, processID, secretKey));
  expect((await replayed).rowCount).toBe(1);
  await c.query('BEGIN');
  await c.query('UPDATE slow SET v = v + 10');
  cancelSoon();
  await expect(c.query('UPDATE slow SET v = v + 100 WHERE pg_sleep(3) IS NOT NULL')).rejects.toThrow(/canceling statement/);
  // the client's transaction failed: the other nodes' must not commit the first UPDATE
  expect((await c.query('COMMIT')).command).toBe('ROLLBACK');
  await c.end();
  expect(relay.log()).not.toMatch(/answered differently/);
  expect(await statuses(relay)).toEqual(['up', 'up', 'up']);
  for (const n of cluster.nodes) expect(await n.query('SELECT v FROM slow', [], { database: 'test' })).toEqual([{ v: 1000 }]);
}, 60_000);
