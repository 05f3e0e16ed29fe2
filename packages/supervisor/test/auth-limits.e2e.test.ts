/** pool_hba.conf, pool_passwd kinds, the Unix socket, and the session limits, through real clients. */
import { encryptAes } from '@pgrelay/config';
import { startCluster, startPgrelay, type Cluster } from '@pgrelay/testkit';
import { Client } from 'pg';
import { connect, run } from './helpers';

let cluster: Cluster;

beforeAll(async () => {
  cluster = await startCluster({ standbys: 0 });
}, 60_000);

afterAll(async () => {
  await cluster?.stop();
});

const errorOf = (p: Promise<unknown>) => p.then(() => undefined, (e: { code?: string; message: string }) => e);

describe('pool_hba.conf', () => {
  test('methods by user: trust, md5, scram-sha-256, password, reject, and no matching line', async () => {
    const key = 'secret passphrase';
    const relay = await startPgrelay({
      cluster,
      hba: [
        'host all trust_user 127.0.0.1/32 trust',
        'host all md5_user 127.0.0.1/32 md5',
        'host all scram_user 127.0.0.1/32 scram-sha-256',
        'host all postgres 127.0.0.1/32 password',
        'host all rejected 127.0.0.1/32 reject',
      ].join('\n') + '\n',
      poolPasswd: `md5_user:${encryptAes('md5_pass', key)}\nscram_user:TEXTscram_pass\n`,
      keyFile: key + '\n',
    });
    try {
      const t = await connect(relay.port, { user: 'trust_user' });
      expect((await t.query('SELECT current_user AS u')).rows[0].u).toBe('trust_user');
      await t.end();
      // md5 from the client, AES entry decrypted with the key file, md5 to the backend.
      const m = await connect(relay.port, { user: 'md5_user', password: 'md5_pass' });
      expect((await m.query('SELECT current_user AS u')).rows[0].u).toBe('md5_user');
      await m.end();
      expect(await errorOf(connect(relay.port, { user: 'md5_user', password: 'bad' }))).toMatchObject({ code: '28P01' });
      const s = await connect(relay.port, { user: 'scram_user', password: 'scram_pass' });
      await s.end();
      expect(await errorOf(connect(relay.port, { user: 'scram_user', password: 'bad' }))).toMatchObject({ code: '28P01' });
      // `password`: clear text from the client; no pool_passwd entry, so the backend (trust) decides.
      const p = await connect(relay.port, { user: 'postgres', password: 'anything' });
      await p.end();
      expect(await errorOf(connect(relay.port, { user: 'rejected' }))).toMatchObject({ code: '28000', message: expect.stringMatching(/pool_hba.conf rejects connection/) });
      expect(await errorOf(connect(relay.port, { user: 'nobody_here' }))).toMatchObject({ code: '28000', message: expect.stringMatching(/no pool_hba.conf entry/) });
      // A failed login is logged with the client's address.
      await relay.waitForLog(/authentication failed.*"host":"127\.0\.0\.1"|"host":"127\.0\.0\.1".*authentication failed/, 2000);
    } finally {
      await relay.stop('fast');
    }
  });

  test('without pool_hba.conf: the backend decides the method; md5 hash entries work for md5 backends', async () => {
    const md5 = require('node:crypto').createHash('md5').update('md5_passmd5_user').digest('hex');
    const relay = await startPgrelay({ cluster, poolPasswd: `md5_user:md5${md5}\n` });
    try {
      const m = await connect(relay.port, { user: 'md5_user', password: 'md5_pass' });
      await m.end();
      expect(await errorOf(connect(relay.port, { user: 'md5_user', password: 'bad' }))).toMatchObject({ code: '28P01' });
      // scram backend and no usable entry: refused with a message naming pool_passwd.
      expect(await errorOf(connect(relay.port, { user: 'scram_user', password: 'scram_pass' }))).toMatchObject({ message: expect.stringMatching(/password/) });
    } finally {
      await relay.stop('fast');
    }
  });

  test('allow_clear_text_frontend_auth: no pool_passwd entry, the client password goes to the backend', async () => {
    const relay = await startPgrelay({ cluster, poolPasswd: '', conf: { allow_clear_text_frontend_auth: 'on' } });
    try {
      const s = await connect(relay.port, { user: 'scram_user', password: 'scram_pass' });
      expect((await s.query('SELECT current_user AS u')).rows[0].u).toBe('scram_user');
      await s.end();
      expect(await errorOf(connect(relay.port, { user: 'scram_user', password: 'wrong' }))).toMatchObject({ code: '28P01' });
    } finally {
      await relay.stop('fast');
    }
  });
});

describe('sockets and limits', () => {
  test('psql over the Unix socket in unix_socket_directories', async () => {
    const relay = await startPgrelay({ cluster });
    try {
      const r = await run('psql', ['-X', '-h', relay.socketDir, '-p', String(relay.port), '-U', 'postgres', '-d', 'test', '-At', '-c', 'SELECT 40 + 2']);
      expect(r.stderr).toBe('');
      expect(r.stdout.trim()).toBe('42');
    } finally {
      await relay.stop('fast');
    }
  });

  test('num_init_children: the client over the limit waits; with reserved_connections it gets 53300', async () => {
    const queued = await startPgrelay({ cluster, conf: { num_init_children: 2 } });
    try {
      const a = await connect(queued.port);
      const b = await connect(queued.port);
      let thirdIn = false;
      const third = connect(queued.port).then((c) => {
        thirdIn = true;
        return c;
      });
      await new Promise((r) => setTimeout(r, 300));
      expect(thirdIn).toBe(false);
      await a.end();
      const c = await third;
      expect((await c.query('SELECT 1 AS v')).rows[0].v).toBe(1);
      await Promise.all([b.end(), c.end()]);
    } finally {
      await queued.stop('fast');
    }
    const refusing = await startPgrelay({ cluster, conf: { num_init_children: 3, reserved_connections: 1 } });
    try {
      const a = await connect(refusing.port);
      const b = await connect(refusing.port);
      expect(await errorOf(connect(refusing.port))).toMatchObject({ code: '53300', message: 'Sorry, too many clients already' });
      await Promise.all([a.end(), b.end()]);
    } finally {
      await refusing.stop('fast');
    }
  });

  test('client_idle_limit ends an idle session with 57000; a busy one is left alone', async () => {
    const relay = await startPgrelay({ cluster, conf: { client_idle_limit: 1 } });
    try {
      const idle = new Client({ host: '127.0.0.1', port: relay.port, user: 'postgres', database: 'test' });
      const ended = new Promise<{ code?: string; message: string }>((resolve) => idle.on('error', resolve));
      await idle.connect();
      const busy = await connect(relay.port);
      await busy.query('SELECT pg_sleep(1.6)');
      const err = await ended;
      expect(err.code).toBe('57000');
      expect((await busy.query('SELECT 1 AS v')).rows[0].v).toBe(1);
      await busy.end();
      await idle.end().catch(() => undefined);
    } finally {
      await relay.stop('fast');
    }
  });
});

describe('operating the process', () => {
  test('reload applies a live setting, logs it, and logs what needs a restart; `pgrelay stop` stops', async () => {
    const relay = await startPgrelay({ cluster });
    try {
      const fs = require('node:fs') as typeof import('node:fs');
      fs.appendFileSync(relay.confPath, "log_statement = on\nnum_init_children = 7\n");
      const bin = require('node:path').resolve(__dirname, '../dist/bin/pgrelay.js');
      const reload = await run(process.execPath, [bin, '-f', relay.confPath, 'reload']);
      expect(reload.code).toBe(0);
      await relay.waitForLog(/"key":"log_statement","before":false,"after":true/, 5000);
      await relay.waitForLog(/"key":"num_init_children".*changed but needs a restart/, 5000);
      await relay.waitForLog(/configuration reloaded/, 5000);
      const c = await connect(relay.port);
      await c.query("SELECT 'logged statement'");
      await c.end();
      await relay.waitForLog(/statement: SELECT 'logged statement'/, 5000);
      const stop = await run(process.execPath, [bin, '-f', relay.confPath, '-m', 'fast', 'stop']);
      expect(stop.code).toBe(0);
      expect(stop.stderr).toMatch(/stop request sent to pgpool \(pid: \d+\)\. waiting for termination\.+done\./);
      expect(await relay.exited).toBe(0);
    } finally {
      await relay.stop('fast');
    }
  });

  test('a second pgrelay with the same pid file refuses to start', async () => {
    const first = await startPgrelay({ cluster });
    try {
      const bin = require('node:path').resolve(__dirname, '../dist/bin/pgrelay.js');
      const r = await run(process.execPath, [bin, '-n', '-f', first.confPath], {}, 20_000);
      expect(r.code).toBe(1);
      expect(r.stdout + r.stderr).toMatch(/pid file found. is another pgpool\(\d+\) is running\?/);
    } finally {
      await first.stop('fast');
    }
  });
});


