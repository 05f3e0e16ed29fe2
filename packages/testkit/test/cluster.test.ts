import * as fs from 'node:fs';
import { Client } from 'pg';
import { type Cluster, startCluster } from '@pgrelay/testkit';
import { processesIn, until } from './procs';

// One 3-node cluster walked through a failover story; the tests run in order and build on
// each other (node0 is stopped and node2 promoted towards the end).
let cluster: Cluster;
let startMs = 0;

beforeAll(async () => {
  const t0 = Date.now();
  cluster = await startCluster({ standbys: 2, name: 'kit3' });
  startMs = Date.now() - t0;
});

afterAll(async () => {
  await cluster?.stop();
});

async function login(port: number, user: string, password?: string): Promise<string> {
  const c = new Client({ host: '127.0.0.1', port, user, password, database: 'test', connectionTimeoutMillis: 5000 });
  c.on('error', () => {});
  await c.connect();
  try {
    return (await c.query('SELECT current_user AS u')).rows[0].u;
  } finally {
    await c.end();
  }
}

test('a primary and two streaming standbys start in a few seconds', async () => {
  process.stdout.write(`3-node cluster started in ${startMs} ms\n`);
  expect(startMs).toBeLessThan(10_000);
  const [p, s1, s2] = cluster.nodes;
  expect(cluster.nodes.map((n) => n.id)).toEqual([0, 1, 2]);
  expect(cluster.primary()).toBe(p);
  expect(new Set(cluster.nodes.map((n) => n.port)).size).toBe(3);
  expect((await p.query('SELECT pg_is_in_recovery() AS r'))[0].r).toBe(false);
  for (const s of [s1, s2]) expect((await s.query('SELECT pg_is_in_recovery() AS r'))[0].r).toBe(true);
  const rep = await p.query('SELECT application_name, state FROM pg_stat_replication ORDER BY 1');
  expect(rep).toEqual([
    { application_name: 'node1', state: 'streaming' },
    { application_name: 'node2', state: 'streaming' },
  ]);
  expect(fs.statSync(p.dataDir).uid).toBe(fs.statSync(cluster.baseDir).uid);
});

test('a write on the primary is visible on both standbys after waitForCatchup', async () => {
  const p = cluster.primary();
  await p.query('CREATE TABLE kit (id int PRIMARY KEY, v text)', [], { database: 'test' });
  await p.query('INSERT INTO kit SELECT g, md5(g::text) FROM generate_series(1, 1000) g', [], { database: 'test' });
  await cluster.waitForCatchup();
  for (const s of cluster.nodes.slice(1)) {
    const [r] = await s.query('SELECT count(*)::int AS n FROM kit', [], { database: 'test' });
    expect(r.n).toBe(1000);
  }
});

test('trust, md5 and scram users log in over TCP; a wrong password is 28P01', async () => {
  const { trust, md5, scram } = cluster.users;
  for (const n of cluster.nodes) {
    expect(await login(n.port, trust.user)).toBe(trust.user);
    expect(await login(n.port, md5.user, md5.password)).toBe(md5.user);
    expect(await login(n.port, scram.user, scram.password)).toBe(scram.user);
    expect(await login(n.port, 'postgres')).toBe('postgres');
  }
  const port = cluster.nodes[0].port;
  await expect(login(port, md5.user, 'wrong')).rejects.toMatchObject({ code: '28P01' });
  await expect(login(port, scram.user, 'wrong')).rejects.toMatchObject({ code: '28P01' });
  const secrets = await cluster.nodes[0].query<{ rolname: string; kind: string }>(
    "SELECT rolname, left(rolpassword, 13) AS kind FROM pg_authid WHERE rolname IN ('md5_user', 'scram_user') ORDER BY 1",
  );
  expect(secrets[0].kind.startsWith('md5')).toBe(true);
  expect(secrets[1].kind).toBe('SCRAM-SHA-256');
  // md5_user may create databases and tables in `test` (pgbench -i needs both).
  await cluster.nodes[0].query('CREATE TABLE md5_owned (x int)', [], { ...md5, database: 'test' });
});

test('completed WAL segments are archived into archiveDir', async () => {
  const p = cluster.primary();
  await p.query('CREATE TABLE walgen AS SELECT generate_series(1, 100) g');
  const [{ f }] = await p.query<{ f: string }>('SELECT pg_walfile_name(pg_current_wal_lsn()) AS f');
  await p.query('SELECT pg_switch_wal()');
  await until(() => fs.existsSync(`${cluster.archiveDir}/${f}`), 10_000, `archived ${f}`);
  // waitForCatchup copes with the primary sitting at the start of a fresh segment.
  await cluster.waitForCatchup(10_000);
});

test('pause makes connects hang, resume lets them through', async () => {
  const s = cluster.nodes[2];
  s.pause();
  const t0 = Date.now();
  await expect(s.query('SELECT 1', [], { connectTimeoutMs: 500 })).rejects.toThrow(/timeout/i);
  expect(Date.now() - t0).toBeGreaterThanOrEqual(450);
  expect(s.isRunning()).toBe(true);
  s.resume();
  expect(await s.query('SELECT 1 AS one', [], { connectTimeoutMs: 5000 })).toEqual([{ one: 1 }]);
});

test('kill9 then start: the primary recovers and standbys reconnect', async () => {
  const p = cluster.nodes[0];
  const oldPid = p.pid();
  p.kill9();
  await until(() => !p.isRunning(), 5000, 'postmaster death');
  expect(p.pid()).toBeUndefined();
  expect(() => cluster.primary()).toThrow(/no running primary/);
  await p.start();
  expect(p.pid()).not.toBe(oldPid);
  await p.query('INSERT INTO kit VALUES (1001, $1)', ['after-crash'], { database: 'test' });
  await cluster.waitForCatchup(20_000);
  const [r] = await cluster.nodes[1].query('SELECT v FROM kit WHERE id = 1001', [], { database: 'test' });
  expect(r.v).toBe('after-crash');
});

test('failover: stop the primary, promote a standby, the other one follows it', async () => {
  const [old, s1, s2] = cluster.nodes;
  await old.stop('fast');
  await s2.promote();
  expect((await s2.query('SELECT pg_is_in_recovery() AS r'))[0].r).toBe(false);
  expect(cluster.primary()).toBe(s2);
  await s1.follow(s2);
  await s2.query("INSERT INTO kit VALUES (1002, 'on-new-primary')", [], { database: 'test' });
  await cluster.waitForCatchup(20_000);
  const [r] = await s1.query('SELECT v FROM kit WHERE id = 1002', [], { database: 'test' });
  expect(r.v).toBe('on-new-primary');
});

test('addStandby clones the current primary', async () => {
  const t0 = Date.now();
  const s3 = await cluster.addStandby();
  process.stdout.write(`addStandby took ${Date.now() - t0} ms\n`);
  expect(s3.id).toBe(3);
  expect(cluster.nodes[3]).toBe(s3);
  await cluster.primary().query("INSERT INTO kit VALUES (1003, 'x')", [], { database: 'test' });
  await cluster.waitForCatchup();
  expect(await s3.query('SELECT count(*)::int AS n FROM kit', [], { database: 'test' })).toEqual([{ n: 1003 }]);
});

test('stop() leaves no process of the cluster and removes baseDir', async () => {
  // A paused postmaster ignores SIGQUIT until continued: stop() must cope.
  cluster.nodes[1].pause();
  expect(processesIn(cluster.baseDir).length).toBeGreaterThan(0);
  await cluster.stop();
  expect(processesIn(cluster.baseDir)).toEqual([]);
  expect(fs.existsSync(cluster.baseDir)).toBe(false);
  await cluster.stop(); // idempotent
});
