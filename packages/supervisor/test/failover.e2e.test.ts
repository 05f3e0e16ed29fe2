/**
 * Issue 4 end to end: real primary + 2 standbys, the shipped sample scripts, pgbench load.
 * Which node is primary is read from the servers themselves (pg_is_in_recovery()).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startCluster, startPgrelay, type Cluster, type Pgrelay } from '@pgrelay/testkit';
import { Client } from 'pg';
import { connect, run } from './helpers';
import { relayWithScripts, ROOT } from './session-survival-tools';

async function primaryPort(port: number): Promise<number> {
  const c = await connect(port);
  try {
    const r = await c.query('SELECT inet_server_port() AS port, pg_is_in_recovery() AS rec');
    expect(r.rows[0].rec).toBe(false);
    return r.rows[0].port;
  } finally {
    await c.end();
  }
}

/** Keeps trying one write through pgrelay until it works; returns when it did. */
async function firstWrite(port: number, deadlineMs: number): Promise<number> {
  const end = Date.now() + deadlineMs;
  for (;;) {
    try {
      // query_timeout: an attempt that never gets an answer is reported, not waited on forever
      const c = new Client({ host: '127.0.0.1', port, user: 'postgres', database: 'test', connectionTimeoutMillis: 2000, query_timeout: 10_000 });
      c.on('error', () => undefined);
      await c.connect();
      await c.query('INSERT INTO fo_probe VALUES (now())');
      await c.end();
      return Date.now();
    } catch (e) {
      if (/Query read timeout/.test((e as Error).message)) console.warn('a write through pgrelay got no answer in 10 s during the failover');
      if (Date.now() > end) throw new Error('no write succeeded through pgrelay in time');
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

describe('failover of the primary', () => {
  let cluster: Cluster;
  let relay: Pgrelay;

  beforeAll(async () => {
    cluster = await startCluster({ standbys: 2 });
    relay = await relayWithScripts(cluster);
    const c = await connect(relay.port);
    await c.query('CREATE TABLE fo_probe (t timestamptz)');
    await c.end();
    const init = await run('pgbench', ['-i', '-q', '-s', '1', '-h', '127.0.0.1', '-p', String(relay.port), '-U', 'postgres', 'test']);
    expect(init.code).toBe(0);
    await cluster.waitForCatchup();
  }, 120_000);

  afterAll(async () => {
    await relay?.stop('fast');
    await cluster?.stop();
  });

  test('kill -9 of the primary under pgbench -c 16: a standby is promoted, the other follows, writes resume', async () => {
    const bench = run('pgbench', ['-c', '16', '-j', '2', '-T', '12', '-h', '127.0.0.1', '-p', String(relay.port), '-U', 'postgres', 'test'], {}, 60_000);
    await new Promise((r) => setTimeout(r, 2000));
    const killedAt = Date.now();
    cluster.nodes[0]!.kill9();
    const wroteAt = await firstWrite(relay.port, 30_000);
    const ms = wroteAt - killedAt;
    // health_check_period (1) + retries (2 × 1 s) + promotion: the bound of the issue.
    console.log(`kill -9 of the primary to the first successful write through pgrelay: ${ms} ms`);
    expect(ms).toBeLessThan(1000 + 2 * 1000 + 3 * 3000 + 10_000);
    await relay.waitForLog(/execute command: .*failover\.sh 0 /, 5000);
    await relay.waitForLog(/failover done. shutdown host/, 20_000);
    const newPrimary = await primaryPort(relay.port);
    expect(newPrimary).not.toBe(cluster.nodes[0]!.port);
    // follow_primary.sh ran for the other standby and attached it again.
    await relay.waitForLog(/follow_primary.sh: pcp_attach_node -n \d: exit 0/, 30_000);
    console.log(`failover and follow primary done ${Date.now() - killedAt} ms after the kill`);
    const other = cluster.nodes.find((n) => n.id !== 0 && n.port !== newPrimary)!;
    const receiver = await other.query("SELECT status, sender_port FROM pg_stat_wal_receiver");
    expect(receiver[0]).toMatchObject({ status: 'streaming', sender_port: newPrimary });
    // pgbench's clients whose write was in flight get 08007 and stop; the others carry on to -T
    const b = await bench;
    expect(b.stdout).toMatch(/number of transactions actually processed/);
    const status = fs.readFileSync(path.join(relay.dir, 'pgpool_status'), 'utf8');
    expect(status.split('\n')[0]).toBe('down');
  }, 150_000);
});

describe('detection', () => {
  let cluster: Cluster;

  beforeEach(async () => {
    cluster = await startCluster({ standbys: 1 });
  }, 60_000);

  afterEach(async () => {
    // A test may leave a node stopped (SIGSTOP): wake it so it can be shut down.
    for (const n of cluster.nodes) if (n.isRunning()) n.resume();
    await cluster?.stop();
  });

  test('pg_ctl stop -m fast on the primary: failover from 57P01 without waiting for the health check', async () => {
    const relay = await relayWithScripts(cluster, { health_check_period: 0, follow_primary_command: '' });
    try {
      const c = await connect(relay.port);
      c.on('error', () => undefined);
      const started = Date.now();
      await cluster.nodes[0]!.stop('fast');
      await relay.waitForLog(/failover done. shutdown host/, 20_000);
      expect(Date.now() - started).toBeLessThan(15_000);
      expect(relay.log()).toMatch(/execute command: .*failover\.sh 0 /);
      expect(await primaryPort(relay.port)).toBe(cluster.nodes[1]!.port);
    } finally {
      await relay.stop('fast');
    }
  }, 60_000);

  test('a killed standby goes down; a session on the primary keeps its transaction', async () => {
    const relay = await relayWithScripts(cluster);
    try {
      const c = await connect(relay.port);
      await c.query('CREATE TABLE IF NOT EXISTS keep_tx (v int)');
      await c.query('BEGIN');
      await c.query('INSERT INTO keep_tx VALUES (1)');
      cluster.nodes[1]!.kill9();
      await relay.waitForLog(/node 1 status changed from \w+ to down/, 15_000);
      await c.query('INSERT INTO keep_tx VALUES (2)');
      await c.query('COMMIT');
      expect((await c.query('SELECT count(*)::int AS n FROM keep_tx')).rows[0].n).toBe(2);
      await c.end();
      // Only the standby failed: no promotion happened.
      expect(relay.log()).not.toMatch(/promoting node/);
    } finally {
      await relay.stop('fast');
    }
  }, 60_000);

  test('a SIGSTOPped standby is detected by health_check_timeout; a blip shorter than the retries is not', async () => {
    const relay = await relayWithScripts(cluster, { health_check_timeout: 1, health_check_max_retries: 2, health_check_retry_delay: 2 });
    try {
      // 1 s blip: the first attempt may time out, a retry 2 s later succeeds.
      cluster.nodes[1]!.pause();
      await new Promise((r) => setTimeout(r, 1000));
      cluster.nodes[1]!.resume();
      await new Promise((r) => setTimeout(r, 6000));
      expect(relay.log()).not.toMatch(/node 1 status changed from \w+ to down/);
      // A real stop: detected after timeout + retries.
      cluster.nodes[1]!.pause();
      await relay.waitForLog(/node 1 status changed from \w+ to down/, 20_000);
      expect(relay.log()).toMatch(/health check failed on node 1/);
    } finally {
      cluster.nodes[1]!.resume();
      await relay.stop('fast');
    }
  }, 60_000);

  test('DISALLOW_TO_FAILOVER: the failure is logged and no failover_command runs', async () => {
    const relay = await relayWithScripts(cluster, { backend_flag1: 'DISALLOW_TO_FAILOVER' });
    try {
      cluster.nodes[1]!.kill9();
      await relay.waitForLog(/health check failed on node 1 but failover is disallowed for the node/, 15_000);
      expect(relay.log()).not.toMatch(/execute command/);
      const r = await run(path.join(ROOT, 'node_modules/.bin/pcp_node_info'), ['-h', '127.0.0.1', '-p', String(relay.pcpPort), '-U', 'pcp_user', '-w', '-n', '1'], { PCPPASSFILE: writePcppass() });
      expect(r.stdout).not.toMatch(/ down /);
    } finally {
      await relay.stop('fast');
    }
  }, 60_000);

  test('failover_on_backend_error off: a dead backend under a session does not fail the node over', async () => {
    const relay = await relayWithScripts(cluster, { health_check_period: 0, failover_on_backend_error: 'off', failover_on_backend_shutdown: 'off' });
    try {
      const c = await connect(relay.port);
      c.on('error', () => undefined);
      cluster.nodes[0]!.kill9();
      await relay.waitForLog(/not executing failover because failover_on_backend_error is off/, 10_000);
      expect(relay.log()).not.toMatch(/starting degeneration/);
    } finally {
      await relay.stop('fast');
    }
  }, 60_000);

  test('a backend process killed alone (pg_terminate_backend) is a process failure, not a node failure', async () => {
    const relay = await relayWithScripts(cluster, { health_check_period: 0 });
    try {
      const c = await connect(relay.port);
      c.on('error', () => undefined);
      // the pid of its connection to the primary: a plain SELECT may be balanced to the standby
      const pid = (await c.query('/*NO LOAD BALANCE*/ SELECT pg_backend_pid() AS p')).rows[0].p;
      await cluster.nodes[0]!.query('SELECT pg_terminate_backend($1)', [pid]);
      await relay.waitForLog(/backend process failure on node 0 .* not failed over/, 25_000);
      expect(relay.log()).not.toMatch(/starting degeneration/);
      const again = await connect(relay.port);
      expect((await again.query('SELECT 1 AS v')).rows[0].v).toBe(1);
      await again.end();
    } finally {
      await relay.stop('fast');
    }
  }, 60_000);
});

describe('pgpool_status', () => {
  test('node states survive a restart of pgrelay; -D discards them', async () => {
    const cluster = await startCluster({ standbys: 1 });
    try {
      const first = await relayWithScripts(cluster, { health_check_period: 0 });
      const pcppass = writePcppass();
      const detach = await run(path.join(ROOT, 'node_modules/.bin/pcp_detach_node'), ['-h', '127.0.0.1', '-p', String(first.pcpPort), '-U', 'pcp_user', '-w', '-n', '1'], { PCPPASSFILE: pcppass });
      expect(detach.stdout).toMatch(/Command Successful/);
      await first.waitForLog(/node 1 status changed from \w+ to down/, 5000);
      const statusFile = path.join(first.dir, 'pgpool_status');
      expect(fs.readFileSync(statusFile, 'utf8')).toBe('up\ndown\n');
      await first.stop('fast');

      // Same logdir: the second run reads the file.
      const second = await startPgrelay({ cluster, conf: { logdir: first.dir, health_check_period: 0 } });
      const info = await run(path.join(ROOT, 'node_modules/.bin/pcp_node_info'), ['-h', '127.0.0.1', '-p', String(second.pcpPort), '-U', 'pcp_user', '-w', '-n', '1'], { PCPPASSFILE: pcppass });
      expect(info.stdout.split(' ')[4]).toBe('down');
      await second.stop('fast');

      const third = await startPgrelay({ cluster, conf: { logdir: first.dir, health_check_period: 0 }, args: ['-D'] });
      const info3 = await run(path.join(ROOT, 'node_modules/.bin/pcp_node_info'), ['-h', '127.0.0.1', '-p', String(third.pcpPort), '-U', 'pcp_user', '-w', '-n', '1'], { PCPPASSFILE: pcppass });
      expect(info3.stdout.split(' ')[4]).toBe('waiting');
      await third.stop('fast');
    } finally {
      await cluster.stop();
    }
  }, 60_000);
});

function writePcppass(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pgrelay-pcppass-'));
  const file = path.join(dir, '.pcppass');
  fs.writeFileSync(file, '*:*:pcp_user:pcp_pass\n', { mode: 0o600 });
  return file;
}
