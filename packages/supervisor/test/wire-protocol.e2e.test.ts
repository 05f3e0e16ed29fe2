/** Issue 2 through real clients: node-postgres and psql against pgrelay in front of PostgreSQL 15. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Readable, Writable } from 'node:stream';
import { from as copyFrom, to as copyTo } from 'pg-copy-streams';
import { startCluster, startPgrelay, type Cluster, type Pgrelay } from '@pgrelay/testkit';
import { connect, psqlArgs, run, sendCancel } from './helpers';

let cluster: Cluster;
let relay: Pgrelay;

beforeAll(async () => {
  cluster = await startCluster({ standbys: 1 });
  relay = await startPgrelay({
    cluster,
    // Reads go to the standby (weight 0 on the primary keeps it deterministic); a session that
    // wrote reads its writes from the primary: the standby replays asynchronously, so a read
    // right after a COMMIT could miss it there (as through pgpool).
    conf: { num_init_children: 64, connection_cache: 'on', backend_weight0: 0, disable_load_balance_on_write: 'always' },
    poolPasswd: `md5_user:md5${require('node:crypto').createHash('md5').update('md5_passmd5_user').digest('hex')}\nscram_user:TEXTscram_pass\n`,
  });
}, 120_000);

afterAll(async () => {
  await relay?.stop('fast');
  await cluster?.stop();
});

describe('node-postgres through pgrelay', () => {
  test('parameterized query', async () => {
    const c = await connect(relay.port);
    const r = await c.query('SELECT $1::int + $2::int AS sum, $3::text AS t', [2, 40, 'hé']);
    expect(r.rows).toEqual([{ sum: 42, t: 'hé' }]);
    await c.end();
  });

  test('a named prepared statement reused 100 times', async () => {
    const c = await connect(relay.port);
    for (let i = 0; i < 100; i++) {
      const r = await c.query({ name: 'double', text: 'SELECT $1::int * 2 AS v', values: [i] });
      expect(r.rows[0].v).toBe(i * 2);
    }
    await c.end();
  });

  test('commit and rollback', async () => {
    const c = await connect(relay.port);
    await c.query('CREATE TABLE IF NOT EXISTS tx_t (v int)');
    await c.query('TRUNCATE tx_t');
    await c.query('BEGIN');
    await c.query('INSERT INTO tx_t VALUES (1)');
    await c.query('COMMIT');
    await c.query('BEGIN');
    await c.query('INSERT INTO tx_t VALUES (2)');
    await c.query('ROLLBACK');
    const r = await c.query('SELECT array_agg(v) AS vs FROM tx_t');
    expect(r.rows[0].vs).toEqual([1]);
    await c.end();
  });

  test('an error inside a transaction, ROLLBACK, then a working query', async () => {
    const c = await connect(relay.port);
    await c.query('BEGIN');
    await expect(c.query('SELECT 1/0')).rejects.toMatchObject({ code: '22012' });
    await expect(c.query('SELECT 1')).rejects.toMatchObject({ code: '25P02' });
    await c.query('ROLLBACK');
    expect((await c.query('SELECT 7 AS v')).rows[0].v).toBe(7);
    await c.end();
  });

  test('COPY in and out', async () => {
    const c = await connect(relay.port);
    await c.query('DROP TABLE IF EXISTS copy_t; CREATE TABLE copy_t (id int, name text)');
    const rows = Array.from({ length: 5000 }, (_, i) => `${i}\tname ${i}\n`).join('');
    await pipeline(Readable.from([rows]), c.query(copyFrom('COPY copy_t FROM STDIN')));
    expect((await c.query('SELECT count(*)::int AS n FROM copy_t')).rows[0].n).toBe(5000);
    let out = '';
    await pipeline(
      c.query(copyTo('COPY (SELECT * FROM copy_t ORDER BY id) TO STDOUT')),
      new Writable({ write(chunk, _e, cb) { out += chunk.toString(); cb(); } }),
    );
    expect(out).toBe(rows);
    await c.end();
  });

  test('LISTEN/NOTIFY between two clients, delivered to an idle listener', async () => {
    const listener = await connect(relay.port);
    const notifier = await connect(relay.port);
    await listener.query('LISTEN chan_e2e');
    const got = new Promise<{ channel: string; payload?: string }>((resolve) => listener.on('notification', resolve));
    await notifier.query("NOTIFY chan_e2e, 'hello'");
    const n = await got;
    expect(n).toMatchObject({ channel: 'chan_e2e', payload: 'hello' });
    await listener.end();
    await notifier.end();
  });

  test('a cancelled pg_sleep(10) returns 57014 within a second', async () => {
    const c = await connect(relay.port);
    const started = Date.now();
    const q = c.query('SELECT pg_sleep(10)');
    await new Promise((r) => setTimeout(r, 200));
    // As every driver does: a new connection carrying the cancel key pgrelay handed out.
    await sendCancel(relay.port, (c as any).processID, (c as any).secretKey);
    await expect(q).rejects.toMatchObject({ code: '57014' });
    expect(Date.now() - started).toBeLessThan(1500);
    expect((await c.query('SELECT 1 AS v')).rows[0].v).toBe(1);
    await c.end();
  });

  test('a 100k-row result', async () => {
    const c = await connect(relay.port);
    const r = await c.query("SELECT g AS id, repeat('x', 50) AS pad FROM generate_series(1, 100000) g");
    expect(r.rows.length).toBe(100000);
    expect(r.rows[99999].id).toBe(100000);
    await c.end();
  });

  test('md5 and scram users log in with pool_passwd; a wrong password is 28P01', async () => {
    const md5 = await connect(relay.port, { user: 'md5_user', password: 'md5_pass' });
    expect((await md5.query('SELECT current_user AS u')).rows[0].u).toBe('md5_user');
    await md5.end();
    const scram = await connect(relay.port, { user: 'scram_user', password: 'scram_pass' });
    expect((await scram.query('SELECT current_user AS u')).rows[0].u).toBe('scram_user');
    await scram.end();
    await expect(connect(relay.port, { user: 'md5_user', password: 'nope' })).rejects.toMatchObject({ code: '28P01' });
    await expect(connect(relay.port, { user: 'scram_user', password: 'nope' })).rejects.toMatchObject({ code: '28P01' });
  });
});

describe('connection cache', () => {
  test('the next client with the same user/database reuses the backend; its SET state is gone', async () => {
    const a = await connect(relay.port);
    const pidA = (await a.query('SELECT pg_backend_pid() AS p')).rows[0].p;
    await a.query("SET application_name = 'first_client'");
    await a.query('SET work_mem = 12345');
    await a.end();
    await new Promise((r) => setTimeout(r, 100));
    const b = await connect(relay.port);
    const r = await b.query("SELECT pg_backend_pid() AS p, current_setting('work_mem') AS wm");
    expect(r.rows[0].p).toBe(pidA);
    expect(r.rows[0].wm).not.toBe('12345kB');
    await b.end();
  });

  test('a client that leaves inside a transaction: the next one gets the backend with the transaction rolled back and its SET gone', async () => {
    const a = await connect(relay.port);
    await a.query('BEGIN');
    const pidA = (await a.query('SELECT /*NO LOAD BALANCE*/ pg_backend_pid() AS p')).rows[0].p;
    await a.query('SET work_mem = 23456');
    await a.end();
    await new Promise((r) => setTimeout(r, 100));
    const b = await connect(relay.port);
    const r = await b.query("SELECT /*NO LOAD BALANCE*/ pg_backend_pid() AS p, current_setting('work_mem') AS wm, now() = statement_timestamp() AS fresh");
    expect(r.rows[0]).toEqual({ p: pidA, wm: expect.not.stringMatching(/^23456/), fresh: true });
    await b.end();
  });

  test('a backend the client never sent anything to goes back to the cache without a reset', async () => {
    const primaryBackends = async () =>
      (await cluster.primary().query("SELECT pid, state_change::text AS at FROM pg_stat_activity WHERE datname = 'test' AND backend_type = 'client backend' AND pid <> pg_backend_pid() ORDER BY pid", [], { database: 'test' })) as { pid: number; at: string }[];
    const a = await connect(relay.port);
    await a.query('SELECT /*NO LOAD BALANCE*/ 1');
    await a.end();
    await new Promise((r) => setTimeout(r, 100));
    const before = await primaryBackends();
    expect(before.length).toBeGreaterThan(0);
    // reads go to the standby here: the session's primary connection is not written to
    const b = await connect(relay.port);
    expect((await b.query('SELECT 2 AS two')).rows).toEqual([{ two: 2 }]);
    await b.end();
    await new Promise((r) => setTimeout(r, 100));
    expect(await primaryBackends()).toEqual(before);
  });
});

describe('psql through pgrelay', () => {
  test('multi-statement strings', async () => {
    const r = await run('psql', [...psqlArgs(relay.port), '-At', '-c', 'SELECT 1; SELECT 2; SELECT 3']);
    expect(r.code).toBe(0);
    expect(r.stdout.trim().split('\n')).toEqual(['1', '2', '3']);
  });

  test('\\copy in and out', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pgrelay-copy-'));
    const src = path.join(dir, 'in.csv');
    const dst = path.join(dir, 'out.csv');
    fs.writeFileSync(src, Array.from({ length: 1000 }, (_, i) => `${i},row ${i}`).join('\n') + '\n');
    const script = `DROP TABLE IF EXISTS pcopy; CREATE TABLE pcopy (id int, name text);\n\\copy pcopy from '${src}' csv\n\\copy (select * from pcopy order by id) to '${dst}' csv\n`;
    const r2 = await new Promise<{ code: number; out: string }>((resolve) => {
      const p = require('node:child_process').spawn('psql', [...psqlArgs(relay.port), '-q']);
      let out = '';
      p.stdout.on('data', (d: Buffer) => (out += d));
      p.stderr.on('data', (d: Buffer) => (out += d));
      p.on('close', (code: number) => resolve({ code, out }));
      p.stdin.end(script);
    });
    expect(r2.code).toBe(0);
    expect(fs.readFileSync(dst, 'utf8')).toBe(fs.readFileSync(src, 'utf8'));
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('a wrong password gives 28P01 and an unknown database 3D000', async () => {
    const bad = await run('psql', [...psqlArgs(relay.port, 'md5_user'), '-c', 'SELECT 1'], { PGPASSWORD: 'wrong', PGCONNECT_TIMEOUT: '5' });
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/password authentication failed for user "md5_user"/);
    const c = connect(relay.port, { user: 'md5_user', password: 'wrong' });
    await expect(c).rejects.toMatchObject({ code: '28P01' });
    const nodb = await run('psql', [...psqlArgs(relay.port, 'postgres', 'no_such_db'), '-c', 'SELECT 1']);
    expect(nodb.code).not.toBe(0);
    expect(nodb.stderr).toMatch(/database "no_such_db" does not exist/);
    await expect(connect(relay.port, { database: 'no_such_db' })).rejects.toMatchObject({ code: '3D000' });
  });
});
