import * as fs from 'node:fs';
import { Client } from 'pg';
import { type Cluster, startCluster } from '@pgrelay/testkit';
import { processesIn, until } from './procs';

let cluster: Cluster;

beforeAll(async () => {
  const t0 = Date.now();
  cluster = await startCluster({ name: 'kit1', pgConf: { work_mem: '7MB', application_name: "it's quoted" } });
  process.stdout.write(`1-node cluster started in ${Date.now() - t0} ms\n`);
});

afterAll(async () => {
  await cluster?.stop();
});

test('a single node: settings, pgConf, connection string, log file', async () => {
  expect(cluster.nodes).toHaveLength(1);
  const n = cluster.nodes[0];
  expect(n.socketDir).toBe(`${cluster.baseDir}/node0`);
  expect(n.logFile).toBe(`${cluster.baseDir}/node0/node0.log`);
  const rows = await n.query<{ name: string; setting: string }>(
    `SELECT name, setting FROM pg_settings WHERE name IN
       ('wal_level','archive_mode','fsync','max_connections','work_mem','cluster_name','unix_socket_directories','application_name')
     ORDER BY name`,
  );
  const s = Object.fromEntries(rows.map((r) => [r.name, r.setting]));
  expect(s).toMatchObject({
    wal_level: 'replica',
    archive_mode: 'on',
    fsync: 'off',
    max_connections: '200',
    work_mem: String(7 * 1024),
    cluster_name: 'node0',
    unix_socket_directories: n.socketDir,
  });
  const c = new Client({ connectionString: n.connectionString('trust_user', 'test') });
  await c.connect();
  expect((await c.query('SELECT current_database() AS d')).rows[0].d).toBe('test');
  await c.end();
  // Unix socket in the node's own dir, trust for everyone.
  const u = new Client({ host: n.socketDir, port: n.port, user: 'md5_user', database: 'postgres' });
  await u.connect();
  await u.end();
  await n.query('SELECT pg_catalog.pg_terminate_backend(-1)').catch(() => {}); // writes a WARNING
  expect(n.log()).toMatch(/WARNING/);
});

test('stop modes, restart, and query right after start', async () => {
  const n = cluster.nodes[0];
  for (const mode of ['smart', 'fast', 'immediate'] as const) {
    await n.stop(mode);
    expect(n.isRunning()).toBe(false);
    expect(n.pid()).toBeUndefined();
    expect(processesIn(n.dataDir)).toEqual([]);
    await n.start();
    expect(await n.query('SELECT 1 AS one')).toEqual([{ one: 1 }]);
  }
  const before = n.pid();
  await n.restart();
  expect(n.pid()).not.toBe(before);
  await n.stop();
  await n.stop(); // already stopped: no-op
  await n.start();
  await n.start(); // already running: no-op
});

test('kill9 with a busy backend: the orphan is reaped and start works', async () => {
  const n = cluster.nodes[0];
  const busy = new Client({ connectionString: n.connectionString() });
  busy.on('error', () => {});
  await busy.connect();
  const sleeping = busy.query('SELECT pg_sleep(30)').catch((e: Error) => e);
  await until(async () => (await n.query("SELECT count(*)::int AS c FROM pg_stat_activity WHERE query LIKE 'SELECT pg_sleep%'"))[0].c === 1);
  n.kill9();
  await until(() => !n.isRunning(), 5000, 'postmaster death');
  const t0 = Date.now();
  await n.start();
  process.stdout.write(`restart after kill9 took ${Date.now() - t0} ms\n`);
  expect(await n.query('SELECT pg_is_in_recovery() AS r')).toEqual([{ r: false }]);
  await sleeping;
  await busy.end().catch(() => {});
});

test('pause/resume and kill9 refuse a node that is not running', async () => {
  const n = cluster.nodes[0];
  await n.stop();
  expect(() => n.kill9()).toThrow(/not running/);
  expect(() => n.pause()).toThrow(/not running/);
  await n.start();
  expect(fs.existsSync(n.dataDir)).toBe(true);
});
