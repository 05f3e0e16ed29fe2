/**
 * Issue 6, streaming replication: after a failover, pcp_recovery_node rebuilds the old primary
 * with the shipped scripts (pg_basebackup from the new primary) and brings it back as a
 * standby while pgbench writes through pgrelay. Real cluster, real pgrelay, our pcp client
 * and Debian's.
 */
import fs from 'node:fs';
import path from 'node:path';
import { startCluster, type Cluster, type Pgrelay } from '@pgrelay/testkit';
import { Client } from 'pg';
import { run } from './helpers';
import { DEBIAN_BIN, haveRecoveryExtension, installScripts, logEvents, nodeInfo, OWN_BIN, pcp, relayForRecovery } from './recovery-tools';

// scripts/setup installs pgpool2 and postgresql-15-pgpool2: without them these tests fail, they do not hide.
const suite = describe;

suite('online recovery in streaming replication mode', () => {
  let cluster: Cluster;
  let relay: Pgrelay;
  let failbackFile: string;

  beforeAll(async () => {
    cluster = await startCluster({ standbys: 1 });
    failbackFile = path.join(cluster.baseDir, 'failback.out');
    relay = await relayForRecovery(cluster, { failback_command: `echo %d %h %p %D %m %P >> ${failbackFile}` });
    // Every node gets the scripts, as an operator would: whichever is primary runs them.
    for (const n of cluster.nodes) installScripts(n, cluster);
    const init = await run('pgbench', ['-i', '-q', '-s', '1', '-h', '127.0.0.1', '-p', String(relay.port), '-U', 'postgres', 'test']);
    expect(init.code).toBe(0);
    await cluster.waitForCatchup();
  }, 60_000);

  afterAll(async () => {
    await relay?.stop('fast');
    await cluster?.stop();
  });

  test('kill -9 of the primary, failover; pcp_recovery_node brings it back as a standby under pgbench -c 8 with no failed transaction', async () => {
    const [old, next] = cluster.nodes as [Cluster['nodes'][0], Cluster['nodes'][0]];
    old.kill9();
    await relay.waitForLog(/failover done. shutdown host/, 20_000);
    expect((await next.query('SELECT pg_is_in_recovery() AS r'))[0].r).toBe(false);
    expect((await nodeInfo(relay, 0)).status).toBe('down');

    const bench = run('pgbench', ['-c', '8', '-j', '2', '-T', '6', '-h', '127.0.0.1', '-p', String(relay.port), '-U', 'postgres', 'test'], {}, 60_000);
    await new Promise((r) => setTimeout(r, 1000));
    const started = Date.now();
    const rec = await pcp(OWN_BIN, 'pcp_recovery_node', relay, ['-n', '0']);
    const recoveryMs = Date.now() - started;
    expect(rec).toEqual({ code: 0, stdout: 'pcp_recovery_node -- Command Successful\n', stderr: '' });
    const b = await bench;
    expect(b.stdout).toMatch(/number of failed transactions: 0 \(0\.000%\)/);
    expect(b.stderr).not.toMatch(/error|abort/i);
    expect(b.code).toBe(0);

    // Every step logged with its duration; print them for the record.
    const steps = logEvents(relay, /^node recovery, .* took \d+ ms$/).map((e) => `${e.step} ${e.ms} ms`);
    console.log(`pcp_recovery_node -n 0 under pgbench -c 8: ${recoveryMs} ms (${steps.join(', ')})`);
    expect(steps.map((s) => s.replace(/ \d+ ms$/, ''))).toEqual(['connecting to the main node', '1st stage', 'remote start', 'waiting for the postmaster', 'failback']);
    expect(relay.log()).toMatch(/recovery done \(node 0 in \d+ ms/);

    // The node is back: attached, a standby, streaming from the new primary.
    const info = await nodeInfo(relay, 0);
    expect(['waiting', 'up']).toContain(info.status);
    expect(info.role).toBe('standby');
    expect((await old.query('SELECT pg_is_in_recovery() AS r'))[0].r).toBe(true);
    const receiver = await old.query('SELECT status, sender_port FROM pg_stat_wal_receiver');
    expect(receiver[0]).toMatchObject({ status: 'streaming', sender_port: next.port });
    expect(fs.readFileSync(failbackFile, 'utf8')).toBe(`0 127.0.0.1 ${old.port} ${old.dataDir} 0 1\n`);
    expect(fs.readFileSync(path.join(relay.dir, 'pgpool_status'), 'utf8')).toBe('up\nup\n');

    await cluster.waitForCatchup();
    const count = async (n: typeof old) => (await n.query<{ n: string }>('SELECT count(*) AS n FROM pgbench_history', [], { database: 'test' }))[0].n;
    const [onPrimary, onRecovered] = [await count(next), await count(old)];
    console.log(`pgbench_history: ${onPrimary} rows on the primary, ${onRecovered} on the recovered node`);
    expect(Number(onPrimary)).toBeGreaterThan(0);
    expect(onRecovered).toBe(onPrimary);

    // It takes reads again: plain SELECTs of new sessions are balanced onto it too.
    for (let i = 0; i < 30; i++) {
      const c = new Client({ host: '127.0.0.1', port: relay.port, user: 'postgres', database: 'test' });
      await c.connect();
      await c.query('SELECT count(*) FROM pgbench_branches');
      await c.end();
    }
    const admin = new Client({ host: '127.0.0.1', port: relay.port, user: 'postgres', database: 'test' });
    await admin.connect();
    const nodes = (await admin.query('SHOW POOL_NODES')).rows;
    await admin.end();
    const node0 = nodes.find((r) => r.node_id === '0');
    expect(Number(node0.select_cnt)).toBeGreaterThan(0);
    expect(node0.status).toBe('up');
  }, 90_000);

  test("Debian's pcp_recovery_node rebuilds a detached, still running standby", async () => {
    const node = cluster.nodes[0]!;
    const pidBefore = node.pid();
    const detach = await pcp(DEBIAN_BIN, 'pcp_detach_node', relay, ['-n', '0']);
    expect(detach.stdout).toBe('pcp_detach_node -- Command Successful\n');
    await relay.waitForLog(/node 0 status changed from \w+ to down/, 5000);

    const rec = await pcp(DEBIAN_BIN, 'pcp_recovery_node', relay, ['-n', '0']);
    expect(rec).toEqual({ code: 0, stdout: 'pcp_recovery_node -- Command Successful\n', stderr: '' });
    expect(node.pid()).toBeDefined();
    expect(node.pid()).not.toBe(pidBefore);
    expect(['waiting', 'up']).toContain((await nodeInfo(relay, 0)).status);
    expect((await node.query('SELECT pg_is_in_recovery() AS r'))[0].r).toBe(true);

    // Already attached: pgpool's ERROR, exit code 0.
    expect(await pcp(DEBIAN_BIN, 'pcp_recovery_node', relay, ['-n', '0'])).toEqual({
      code: 0,
      stdout: '',
      stderr: 'ERROR:  node recovery failed, node id: 0 is alive\n\n',
    });
    expect(await pcp(OWN_BIN, 'pcp_recovery_node', relay, ['-n', '1'])).toEqual({
      code: 0,
      stdout: '',
      stderr: 'ERROR:  process recovery request failed\nDETAIL:  primary server cannot be recovered by online recovery.\n\n',
    });
  }, 60_000);
});
