/**
 * Native replication's SQL-level failure detection (the seed document's "SQL response
 * differs" rules), first part: a statement that succeeds on some nodes and fails on others.
 */
import { connect } from './helpers';
import { nativeClusters, nativeSetup as setup, nodeStatuses as statuses } from './native-tools';

afterAll(async () => {
  await Promise.all(nativeClusters.map((c) => c.stop()));
});

test('replication_stop_on_mismatch = on: an INSERT into a table missing on node 2 degenerates node 2; the client carries on', async () => {
  const { cluster, relay } = await setup(3, { replication_stop_on_mismatch: true });
  for (const n of cluster.nodes.slice(0, 2)) await n.query('CREATE TABLE only01 (id int)', [], { database: 'test' });
  const c = await connect(relay.port);
  const r = await c.query('INSERT INTO only01 VALUES (1)');
  expect(r.rowCount).toBe(1);
  // the decision is logged with every node's answer
  const line = JSON.parse(await relay.waitForLog(/replication_stop_on_mismatch is on: degenerating the minority, node 2/));
  expect(line.msg).toMatch(/0\[C\] 1\[C\] 2\[E: relation "only01" does not exist\]/);
  expect(line.answers).toEqual({ node0: 'INSERT 0 1', node1: 'INSERT 0 1', node2: 'ERROR 42P01: relation "only01" does not exist' });
  await relay.waitForLog(/node 2 status changed from \w+ to down/);
  // the session goes on with nodes 0 and 1
  await c.query('INSERT INTO only01 VALUES (2)');
  expect((await c.query('SELECT count(*)::int AS n FROM only01')).rows[0].n).toBe(2);
  await c.end();
  expect(await statuses(relay)).toEqual(['up', 'up', 'down']);
  for (const n of cluster.nodes.slice(0, 2)) expect(await n.query('SELECT id FROM only01 ORDER BY id', [], { database: 'test' })).toEqual([{ id: 1 }, { id: 2 }]);
}, 60_000);

test('replication_stop_on_mismatch = off: node 2 stays up and the client gets the error', async () => {
  const { cluster, relay } = await setup(3, { replication_stop_on_mismatch: false });
  for (const n of cluster.nodes.slice(0, 2)) await n.query('CREATE TABLE only01 (id int)', [], { database: 'test' });
  const c = await connect(relay.port);
  c.on('error', () => undefined); // the session ends after the error
  await expect(c.query('INSERT INTO only01 VALUES (1)')).rejects.toThrow(/failed to read kind from backend/);
  await relay.waitForLog(/replication_stop_on_mismatch is off, so this is a process failure/);
  await c.end().catch(() => undefined);
  expect(await statuses(relay)).toEqual(['up', 'up', 'up']);
}, 60_000);

test('the main node in the minority is degenerated too: the session ends, the next one has node 1 as its main node', async () => {
  const { cluster, relay } = await setup(3, { replication_stop_on_mismatch: true });
  for (const n of cluster.nodes.slice(1)) await n.query('CREATE TABLE only12 (id int)', [], { database: 'test' });
  const c = await connect(relay.port);
  c.on('error', () => undefined);
  await expect(c.query('INSERT INTO only12 VALUES (1)')).rejects.toThrow(/failed to read kind from backend/);
  await relay.waitForLog(/node 0 status changed from \w+ to down/);
  await c.end().catch(() => undefined);
  const d = await connect(relay.port);
  expect((await d.query('SHOW POOL_NODES')).rows.map((r) => [r.status, r.role])).toEqual([
    ['down', 'replica'],
    ['up', 'main'],
    ['up', 'replica'],
  ]);
  await d.query('INSERT INTO only12 VALUES (2)');
  await d.end();
  for (const n of cluster.nodes.slice(1)) expect(await n.query('SELECT id FROM only12 ORDER BY id', [], { database: 'test' })).toEqual([{ id: 1 }, { id: 2 }]);
}, 60_000);
