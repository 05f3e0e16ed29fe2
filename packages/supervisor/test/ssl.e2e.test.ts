/** ssl = on: clients that ask for SSL get it (psql, node-postgres); pool_hba.conf's hostssl/hostnossl see it. */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { startCluster, startPgrelay, type Cluster, type Pgrelay } from '@pgrelay/testkit';
import { psqlArgs, run } from './helpers';

let cluster: Cluster;
let relay: Pgrelay;
let dir: string;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pgrelay-ssl-'));
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=localhost', '-days', '2', '-keyout', path.join(dir, 'server.key'), '-out', path.join(dir, 'server.crt')], { stdio: 'ignore' });
  cluster = await startCluster({ standbys: 0 });
  relay = await startPgrelay({
    cluster,
    conf: { ssl: true, ssl_cert: path.join(dir, 'server.crt'), ssl_key: path.join(dir, 'server.key') },
    // the same user may come in over SSL only from 127.0.0.1; plain TCP is refused
    hba: 'local all all trust\nhostssl all all 127.0.0.1/32 trust\nhostnossl all all 127.0.0.1/32 reject\n',
  });
}, 120_000);

afterAll(async () => {
  await relay?.stop('fast');
  await cluster?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

test('psql with sslmode=require gets an SSL connection and its queries answered', async () => {
  const r = await run('psql', [...psqlArgs(relay.port), '-At', '-c', 'SELECT 40 + 2', '-c', '\\conninfo'], { PGSSLMODE: 'require' });
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  expect(r.stdout).toMatch(/^42\n/);
  expect(r.stdout).toMatch(/SSL connection \(protocol: TLSv1\.[23]/);
});

test('node-postgres over SSL: parameters, a prepared statement and a large result', async () => {
  const c = new Client({ host: '127.0.0.1', port: relay.port, user: 'postgres', database: 'test', ssl: { rejectUnauthorized: false } });
  await c.connect();
  expect((await c.query({ name: 'add', text: 'SELECT $1::int + $2::int AS s', values: [2, 3] })).rows).toEqual([{ s: 5 }]);
  const big = await c.query("SELECT g, repeat('x', 1000) AS pad FROM generate_series(1, 5000) g");
  expect(big.rowCount).toBe(5000);
  expect(big.rows[4999]).toEqual({ g: 5000, pad: 'x'.repeat(1000) });
  await c.end();
});

test('without SSL the hostnossl reject line applies: 28000', async () => {
  const r = await run('psql', [...psqlArgs(relay.port), '-c', 'SELECT 1'], { PGSSLMODE: 'disable' });
  expect(r.code).not.toBe(0);
  expect(r.stderr).toMatch(/pool_hba\.conf rejects connection|rejects connection/);
});

test('bytes sent after the SSLRequest before the handshake: FATAL 08P01, and other clients carry on', async () => {
  const startup = Buffer.alloc(8);
  startup.writeInt32BE(8, 0);
  startup.writeInt32BE(80877103, 4);
  const reply = await new Promise<Buffer>((resolve, reject) => {
    const s = net.connect(relay.port, '127.0.0.1');
    const chunks: Buffer[] = [];
    s.on('connect', () => s.write(Buffer.concat([startup, Buffer.from('junk after the request')])));
    s.on('data', (d) => chunks.push(d));
    s.on('close', () => resolve(Buffer.concat(chunks)));
    s.on('error', reject);
  });
  expect(String.fromCharCode(reply[0]!)).toBe('E');
  expect(reply.toString('latin1')).toContain('C08P01');
  expect(reply.toString('latin1')).toContain('received unencrypted data after SSL request');
  const r = await run('psql', [...psqlArgs(relay.port), '-At', '-c', 'SELECT 7'], { PGSSLMODE: 'require' });
  expect(r.stdout.trim()).toBe('7');
});

test('ssl = on with a key file that cannot be read: pgrelay does not start and names ssl_key', async () => {
  const bad = await startPgrelay({ cluster, conf: { ssl: true, ssl_cert: path.join(dir, 'server.crt'), ssl_key: path.join(dir, 'missing.key') }, waitReady: false });
  const code = await bad.exited;
  expect(code).not.toBe(0);
  expect(bad.log()).toMatch(/could not set up SSL: ssl_key: could not read \\?".*missing\.key/);
}, 60_000);

describe('SSL to the backends', () => {
  let strict: Cluster;
  let relay2: Pgrelay;

  beforeAll(async () => {
    strict = await startCluster({ standbys: 0, name: 'sslbackend' });
    const node = strict.primary();
    const { uid, gid } = fs.statSync(node.dataDir);
    for (const f of ['server.crt', 'server.key']) {
      const to = path.join(node.dataDir, f);
      fs.copyFileSync(path.join(dir, f), to);
      fs.chmodSync(to, 0o600);
      fs.chownSync(to, uid, gid);
    }
    await node.query('ALTER SYSTEM SET ssl = on');
    // the server takes TCP clients over SSL only
    fs.writeFileSync(path.join(node.dataDir, 'pg_hba.conf'), 'local all all trust\nhostssl all all 127.0.0.1/32 trust\nhostnossl all all 127.0.0.1/32 reject\n');
    await node.query('SELECT pg_reload_conf()');
    await new Promise((r) => setTimeout(r, 300));
    relay2 = await startPgrelay({
      cluster: strict,
      conf: { ssl: true, ssl_cert: path.join(dir, 'server.crt'), ssl_key: path.join(dir, 'server.key'), health_check_period: 1, sr_check_period: 1 },
    });
  }, 120_000);

  afterAll(async () => {
    await relay2?.stop('fast');
    await strict?.stop();
  });

  test('sessions, health checks and the sr check reach a server that refuses plain TCP', async () => {
    const plain = await run('psql', ['-X', '-h', '127.0.0.1', '-p', String(strict.primary().port), '-U', 'postgres', '-d', 'test', '-c', 'SELECT 1'], { PGSSLMODE: 'disable' });
    expect(plain.stderr).toMatch(/no encryption|rejects/);
    const c = new Client({ host: '127.0.0.1', port: relay2.port, user: 'postgres', database: 'test' });
    await c.connect();
    expect((await c.query('SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()')).rows).toEqual([{ ssl: true }]);
    await c.end();
    // three health checks later the node is still up, and nothing failed to log in
    await new Promise((r) => setTimeout(r, 3000));
    const d = new Client({ host: '127.0.0.1', port: relay2.port, user: 'postgres', database: 'test' });
    await d.connect();
    expect((await d.query('SHOW POOL_NODES')).rows.map((r) => [r.status, r.role])).toEqual([['up', 'primary']]);
    await d.end();
    expect(relay2.log()).not.toMatch(/health check failed|rejects connection/);
  }, 60_000);
});
