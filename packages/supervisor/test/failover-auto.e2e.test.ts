/** auto_failback, detach_false_primary and a switchover with the sample scripts, on real servers. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort, startCluster, startPgrelay, type Cluster } from '@pgrelay/testkit';
import { truePrimary } from '../src/failover';
import { connect, run } from './helpers';

const ROOT = path.resolve(__dirname, '../../..');
const SCRIPTS = path.join(ROOT, 'scripts/failover');
const BIN = path.join(ROOT, 'node_modules/.bin');

function pcppass(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pgrelay-pcppass-'));
  const file = path.join(dir, '.pcppass');
  fs.writeFileSync(file, '*:*:pcp_user:pcp_pass\n', { mode: 0o600 });
  return file;
}

let cluster: Cluster;

beforeEach(async () => {
  cluster = await startCluster({ standbys: 2 });
}, 60_000);

afterEach(async () => {
  await cluster?.stop();
});

test('auto_failback: a standby that failed and streams again is attached without an operator', async () => {
  const relay = await startPgrelay({
    cluster,
    conf: { health_check_period: 1, health_check_max_retries: 0, health_check_timeout: 2, auto_failback: 'on', auto_failback_interval: 1 },
  });
  try {
    cluster.nodes[2]!.kill9();
    await relay.waitForLog(/node 2 status changed from \w+ to down/, 15_000);
    await cluster.nodes[2]!.start();
    await relay.waitForLog(/request auto failback, node id:2/, 20_000);
    await relay.waitForLog(/node 2 status changed from down to waiting/, 5000);
  } finally {
    await relay.stop('fast');
  }
}, 60_000);

test('detach_false_primary: a standby promoted behind pgrelay\'s back is detached', async () => {
  const relay = await startPgrelay({ cluster, conf: { sr_check_period: 1, detach_false_primary: 'on', health_check_period: 0 } });
  try {
    await cluster.nodes[2]!.promote(); // node 1 still streams from node 0: node 0 is the true primary
    await relay.waitForLog(/detach_false_primary: node 2 is a false primary/, 15_000);
    await relay.waitForLog(/node 2 status changed from \w+ to down/, 5000);
    // Writes still go to the true primary.
    const c = await connect(relay.port);
    await c.query('CREATE TABLE IF NOT EXISTS fp_probe (v int)');
    await c.query('BEGIN');
    await c.query('INSERT INTO fp_probe VALUES (1)');
    expect((await c.query('SELECT inet_server_port() AS p')).rows[0].p).toBe(cluster.nodes[0]!.port);
    await c.query('COMMIT');
    await c.end();
  } finally {
    await relay.stop('fast');
  }
}, 60_000);

test('truePrimary: the primary the standbys stream from; lowest id when no standby streams', () => {
  const b = (id: number, port: number) => ({ id, hostname: '127.0.0.1', port }) as never;
  expect(truePrimary([b(0, 5000), b(2, 5002)], [{ host: '127.0.0.1', port: 5002 }])).toMatchObject({ id: 2 });
  expect(truePrimary([b(2, 5002), b(0, 5000)], [])).toMatchObject({ id: 0 });
  expect(truePrimary([b(0, 5000), b(2, 5002)], [{ host: '127.0.0.1', port: 5000 }, { host: '127.0.0.1', port: 5002 }])).toBeUndefined();
});

test('pcp_promote_node -s with the sample scripts: node 1 is promoted and node 2 follows it', async () => {
  const pcpPort = await freePort();
  const pass = pcppass();
  const relay = await startPgrelay({
    cluster,
    conf: {
      pcp_port: pcpPort,
      health_check_period: 0,
      search_primary_node_timeout: 20,
      failover_command: `${SCRIPTS}/failover.sh %d %h %p %D %m %H %M %P %r %R %N %S`,
      follow_primary_command: `${SCRIPTS}/follow_primary.sh %d %h %p %D %m %H %M %P %r %R`,
    },
    env: { PCP_USER: 'pcp_user', PCP_PORT: String(pcpPort), PCP_HOST: '127.0.0.1', PCPPASSFILE: pass, PCP_BIN: BIN },
  });
  try {
    const r = await run(path.join(BIN, 'pcp_promote_node'), ['-h', '127.0.0.1', '-p', String(pcpPort), '-U', 'pcp_user', '-w', '-s', '-n', '1'], { PCPPASSFILE: pass });
    expect(r.stdout).toBe('pcp_promote_node -- Command Successful\n');
    await relay.waitForLog(/follow_primary.sh: pcp_attach_node -n 2: exit 0/, 30_000);
    expect((await cluster.nodes[1]!.query('SELECT pg_is_in_recovery() AS r'))[0].r).toBe(false);
    const recv = await cluster.nodes[2]!.query("SELECT status, sender_port FROM pg_stat_wal_receiver");
    expect(recv[0]).toMatchObject({ status: 'streaming', sender_port: cluster.nodes[1]!.port });
    const c = await connect(relay.port);
    expect((await c.query('SELECT inet_server_port() AS p, pg_is_in_recovery() AS r')).rows[0]).toEqual({ p: cluster.nodes[1]!.port, r: false });
    await c.end();
  } finally {
    await relay.stop('fast');
  }
}, 90_000);
