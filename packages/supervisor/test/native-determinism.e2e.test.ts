/**
 * Native replication makes what it can deterministic: clock reads in writes take the main
 * node's value (timestamp rewriting) and inserts into tables with sequences run under a
 * table lock taken main node first (insert_lock), so every node stores the same values.
 */
import { startCluster, startPgrelay, type Cluster, type Pgrelay } from '@pgrelay/testkit';
import { connect } from './helpers';

let cluster: Cluster;
let relay: Pgrelay;

beforeAll(async () => {
  cluster = await startCluster({ independent: 3, name: 'determinism' });
  relay = await startPgrelay({ cluster, mode: 'native_replication', conf: { num_init_children: 16, replication_stop_on_mismatch: true, log_per_node_statement: true } });
}, 60_000);

afterAll(async () => {
  await cluster?.stop();
});

const onEveryNode = <T = any>(sql: string): Promise<T[][]> => Promise.all(cluster.nodes.map((n) => n.query<T>(sql, [], { database: 'test' })));

function expectIdentical(results: unknown[][]): void {
  expect(results[0]!.length).toBeGreaterThan(0);
  for (const r of results.slice(1)) expect(r).toEqual(results[0]);
}

test('INSERT … VALUES (now()) and the other clock reads store the same value on every node', async () => {
  const c = await connect(relay.port);
  await c.query(`CREATE TABLE clock (k text, ts timestamptz, lts timestamp, d date, t time, tz timetz, lit timestamp)`);
  await c.query(`INSERT INTO clock VALUES ('simple', now(), LOCALTIMESTAMP, CURRENT_DATE, LOCALTIME(2), CURRENT_TIME, 'now'::timestamp)`);
  await c.query(`INSERT INTO clock (k, ts) VALUES ('extended', pg_catalog.now())`.replace("'extended'", '$1'), ['extended']);
  await c.query('BEGIN');
  await c.query(`INSERT INTO clock (k, ts, lit) VALUES ('in tx', CURRENT_TIMESTAMP(3), timestamp 'now')`);
  await c.query(`UPDATE clock SET lts = now() WHERE k = 'extended'`);
  await c.query('COMMIT');
  // a named prepared statement runs many times: each run gets the main node's time of that run
  for (const k of ['named 1', 'named 2']) await c.query({ name: 'ins', text: 'INSERT INTO clock (k, ts, d) VALUES ($1, now(), CURRENT_DATE)', values: [k] });
  await c.end();
  const rows = await onEveryNode(`SELECT k, ts::text, lts::text, d::text, t::text, tz::text, lit::text FROM clock ORDER BY k`);
  expectIdentical(rows);
  expect(rows[0]!.map((r) => r.k)).toEqual(['extended', 'in tx', 'named 1', 'named 2', 'simple']);
  expect(rows[0]![2]!.ts).not.toBe(rows[0]![3]!.ts);
  // microseconds and all: one clock reading, not three
  expect(rows[0]![2]!.ts).toMatch(/\.\d+/);
});

test('column DEFAULTs that read the clock are written into simple-protocol INSERTs: the same value on every node', async () => {
  const c = await connect(relay.port);
  await c.query(`CREATE TABLE stamped (id int, note text DEFAULT 'x', created timestamptz DEFAULT now(), day date DEFAULT CURRENT_DATE, later timestamp DEFAULT (LOCALTIMESTAMP + interval '1 day'))`);
  await c.query(`INSERT INTO stamped (id) VALUES (1), (2)`);
  await c.query(`INSERT INTO stamped VALUES (3)`);
  await c.query(`INSERT INTO stamped (id, created) VALUES (4, DEFAULT)`);
  await c.query(`INSERT INTO stamped DEFAULT VALUES`);
  await c.query('BEGIN');
  await c.query(`INSERT INTO stamped (id, note) VALUES (6, 'in tx')`);
  await c.query('COMMIT');
  await c.end();
  const rows = await onEveryNode(`SELECT id, note, created::text, day::text, later::text FROM stamped ORDER BY id NULLS LAST`);
  expectIdentical(rows);
  expect(rows[0]!.map((r) => [r.id, r.note])).toEqual([[1, 'x'], [2, 'x'], [3, 'x'], [4, 'x'], [6, 'in tx'], [null, 'x']]);
  for (const r of rows[0]!) expect(r.created).toMatch(/\.\d+/);
  // what the client sent is what each node ran, with the main node's clock in it
  expect(relay.log()).toMatch(/statement: INSERT INTO stamped \(id, created, day, later\) VALUES \(1, \('[^']+'::timestamptz\)::timestamp with time zone/);
});

test('SERIAL inserts from 8 concurrent clients get the same ids on every node (insert_lock)', async () => {
  const setup = await connect(relay.port);
  await setup.query('CREATE TABLE ser (id serial PRIMARY KEY, who text)');
  await setup.end();
  await Promise.all(
    Array.from({ length: 8 }, async (_, i) => {
      const c = await connect(relay.port);
      for (let j = 0; j < 40; j++) {
        if (j % 10 === 9) {
          await c.query('BEGIN');
          await c.query('INSERT INTO ser (who) VALUES ($1)', [`c${i}-${j}`]);
          await c.query('COMMIT');
        } else await c.query(`INSERT INTO ser (who) VALUES ('c${i}-${j}')`);
      }
      await c.end();
    }),
  );
  const rows = await onEveryNode('SELECT id, who FROM ser ORDER BY id');
  expect(rows[0]!.length).toBe(320);
  expectIdentical(rows);
  expect(relay.log()).not.toMatch(/mismatch/);
  // log_per_node_statement: every insert took the lock on every node, the main node first
  const lines = relay
    .log()
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l).msg as string)
    .filter((m) => /^DB node id: \d/.test(m));
  for (const node of [0, 1, 2]) {
    expect(lines.filter((m) => m.startsWith(`DB node id: ${node} `) && m.endsWith('LOCK TABLE "ser" IN SHARE ROW EXCLUSIVE MODE')).length).toBe(320);
  }
  const one = lines.filter((m) => m.endsWith("INSERT INTO ser (who) VALUES ('c3-5')")).map((m) => Number(m.split(' ')[3]));
  expect(one[0]).toBe(0);
  expect([...one].sort()).toEqual([0, 1, 2]);
  // whether ser has a sequence was asked on the main node only, and then remembered
  const asked = lines.filter((m) => m.includes("to_regclass('\"ser\"')"));
  expect(asked.length).toBeGreaterThanOrEqual(1);
  expect(asked.length).toBeLessThanOrEqual(8);
  for (const m of asked) expect(m).toMatch(/^DB node id: 0 /);
}, 60_000);

test("insert_lock's own transaction: a deferred constraint failing at its COMMIT reaches the client, nothing is stored", async () => {
  const c = await connect(relay.port);
  await c.query('CREATE TABLE parent (id int PRIMARY KEY)');
  await c.query('CREATE TABLE child (id serial, pid int REFERENCES parent DEFERRABLE INITIALLY DEFERRED)');
  await expect(c.query('INSERT INTO child (pid) VALUES (42)')).rejects.toThrow(/violates foreign key constraint/);
  // the session is usable and out of any transaction
  expect((await c.query('INSERT INTO parent VALUES (42)')).rowCount).toBe(1);
  expect((await c.query('INSERT INTO child (pid) VALUES (42) RETURNING id')).rows).toEqual([{ id: 2 }]);
  await c.end();
  for (const rows of await onEveryNode('SELECT id, pid FROM child')) expect(rows).toEqual([{ id: 2, pid: 42 }]);
});
