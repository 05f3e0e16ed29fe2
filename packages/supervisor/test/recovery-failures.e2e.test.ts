/**
 * Issue 6, failures: a recovery step that fails (script exit code, remote start, a node that
 * never comes up, no login to the primary) stops the recovery where it is, logs why, leaves
 * the node down and the service running, and pcp_recovery_node prints pgpool's ERROR (exit
 * code 0, as pgpool's own). Only one recovery at a time. Compared with pgpool-II 4.3.5 itself.
 */
import path from 'node:path';
import { startCluster, type Cluster, type Pgrelay } from '@pgrelay/testkit';
import { connect } from './helpers';
import { debianPcp, haveDebianPcp, startRealPgpool, writePcppass } from './pcp-tools';
import { DEBIAN_BIN, haveRecoveryExtension, installScripts, logEvents, nodeInfo, OWN_BIN, pcp, reconfigure, relayForRecovery, RECOVERY_SCRIPTS, writeServerFile } from './recovery-tools';
import fs from 'node:fs';

// scripts/setup installs pgpool2 and postgresql-15-pgpool2: without them these tests fail, they do not hide.
const suite = describe;

const STAGES = {
  fail_stage: '#!/bin/sh\necho "fail_stage: giving up" >&2\nexit 1\n',
  slow_stage: '#!/bin/sh\nsleep 3\nexit 1\n',
  ok_stage: '#!/bin/sh\nexit 0\n',
};

suite('online recovery failures', () => {
  let cluster: Cluster;
  let relay: Pgrelay;

  beforeAll(async () => {
    cluster = await startCluster({ standbys: 1 });
    relay = await relayForRecovery(cluster, { health_check_period: 0 });
    installScripts(cluster.nodes[0]!, cluster, { replace: STAGES });
    // Node 1 is detached but keeps running: the recoveries below are attempts to bring it back.
    expect((await pcp(OWN_BIN, 'pcp_detach_node', relay, ['-n', '1'])).stdout).toBe('pcp_detach_node -- Command Successful\n');
    await relay.waitForLog(/node 1 status changed from \w+ to down/, 5000);
  }, 60_000);

  afterAll(async () => {
    await relay?.stop('fast');
    await cluster?.stop();
  });

  /** The node stayed down and clients still write through pgrelay. */
  async function serviceUnaffected(): Promise<void> {
    expect((await nodeInfo(relay, 1)).status).toBe('down');
    const c = await connect(relay.port);
    await c.query('CREATE TABLE IF NOT EXISTS still_here (v int)');
    await c.query('INSERT INTO still_here VALUES (1)');
    await c.end();
  }

  const lastFailure = () => String(logEvents(relay, /^recovery of node 1 failed after \d+ ms/).pop()?.msg ?? '');

  test('a 1st stage script that exits 1: the same ERROR as pgpool-II, node down, service running', async () => {
    await reconfigure(relay, { recovery_1st_stage_command: 'fail_stage' });
    const expected = { code: 0, stdout: '', stderr: 'ERROR:  executing recovery, execution of command failed at "1st stage"\nDETAIL:  command:"fail_stage"\n\n' };
    expect(await pcp(OWN_BIN, 'pcp_recovery_node', relay, ['-n', '1'])).toEqual(expected);
    expect(await pcp(DEBIAN_BIN, 'pcp_recovery_node', relay, ['-n', '1'])).toEqual(expected);
    expect(lastFailure()).toMatch(/failed at "1st stage" \(command:"fail_stage"; node 0 answered: pgpool_recovery failed; .*\); node 1 stays down \(connecting to the main node \d+ ms, 1st stage \d+ ms \(failed\)\)/);
    await serviceUnaffected();

    // pgpool-II 4.3.5 on the same cluster and configuration says exactly the same.
    const pgpool = await startRealPgpool(relay);
    try {
      const env = { PCPPASSFILE: writePcppass(pgpool.dir, ['*:*:pcp_user:pcp_pass']) };
      const tcp = ['-h', '127.0.0.1', '-p', String(pgpool.pcpPort), '-U', 'pcp_user', '-w'];
      await debianPcp('pcp_detach_node', [...tcp, '-n', '1'], env);
      for (let i = 0; i < 50 && !/down/.test((await debianPcp('pcp_node_info', [...tcp, '-n', '1'], env)).stdout); i++) await new Promise((r) => setTimeout(r, 100));
      expect(await debianPcp('pcp_recovery_node', [...tcp, '-n', '1'], env)).toEqual(expected);
    } finally {
      await pgpool.stop();
    }
  }, 60_000);

  test('a second request while one runs is refused; the first still ends with its own answer', async () => {
    await reconfigure(relay, { recovery_1st_stage_command: 'slow_stage' });
    const first = pcp(OWN_BIN, 'pcp_recovery_node', relay, ['-n', '1']);
    await relay.waitForLog(/pgpool_recovery\('slow_stage'/, 5000);
    const second = await pcp(DEBIAN_BIN, 'pcp_recovery_node', relay, ['-n', '1']);
    expect(second.stderr).toBe('FATAL:  process recovery request failed\nDETAIL:  pgpool-II is already processing another recovery request.\n\n');
    expect(await pcp(OWN_BIN, 'pcp_recovery_node', relay, ['-n', '1'])).toEqual(second);
    expect((await first).stderr).toBe('ERROR:  executing recovery, execution of command failed at "1st stage"\nDETAIL:  command:"slow_stage"\n\n');
    await serviceUnaffected();
  }, 30_000);

  test('pgpool_remote_start fails: its error quoted as pgpool does', async () => {
    await reconfigure(relay, { recovery_1st_stage_command: 'ok_stage' });
    const start = path.join(cluster.nodes[0]!.dataDir, 'pgpool_remote_start');
    writeServerFile(start, '#!/bin/sh\nexit 3\n', 0o755);
    try {
      expect(await pcp(OWN_BIN, 'pcp_recovery_node', relay, ['-n', '1'])).toEqual({
        code: 0,
        stdout: '',
        stderr: 'ERROR:  executing remote start failed with error: "ERROR:  pgpool_remote_start failed\n"\n\n',
      });
      expect(lastFailure()).toMatch(/node 1 stays down \(connecting to the main node \d+ ms, 1st stage \d+ ms, remote start \d+ ms \(failed\)\)/);
      await serviceUnaffected();
    } finally {
      writeServerFile(start, fs.readFileSync(path.join(RECOVERY_SCRIPTS, 'pgpool_remote_start'), 'utf8'), 0o755);
    }
  }, 30_000);

  test('no login to the primary: pgpool\'s "unable to connect to main node"', async () => {
    await reconfigure(relay, { recovery_user: 'nobody_here' });
    expect(await pcp(OWN_BIN, 'pcp_recovery_node', relay, ['-n', '1'])).toEqual({ code: 0, stdout: '', stderr: 'ERROR:  node recovery failed, unable to connect to main node: 0 \n\n' });
    expect(lastFailure()).toMatch(/login to node 0 as "nobody_here" to database "template1": ./);
    await reconfigure(relay, { recovery_user: 'postgres' });
    await serviceUnaffected();
  }, 30_000);

  test('a node that never comes up: recovery_timeout, then the same node recovers once the scripts are right', async () => {
    await cluster.nodes[1]!.stop();
    await reconfigure(relay, { recovery_1st_stage_command: 'ok_stage', recovery_timeout: 1 });
    // A remote start that "succeeds" without starting anything.
    const start = path.join(cluster.nodes[0]!.dataDir, 'pgpool_remote_start');
    writeServerFile(start, '#!/bin/sh\nexit 0\n', 0o755);
    const started = Date.now();
    const r = await pcp(OWN_BIN, 'pcp_recovery_node', relay, ['-n', '1']);
    writeServerFile(start, fs.readFileSync(path.join(RECOVERY_SCRIPTS, 'pgpool_remote_start'), 'utf8'), 0o755);
    expect(r).toEqual({
      code: 0,
      stdout: '',
      stderr: 'ERROR:  recovery is checking if postmaster is started\nDETAIL:  postmaster on hostname:"127.0.0.1" database:"template1" user:"postgres" failed to start in 1 second\n\n',
    });
    // pgpool's budget: 12 s trying database postgres, then recovery_timeout trying template1.
    expect(Date.now() - started).toBeGreaterThan(12_000);
    await serviceUnaffected();
    expect(cluster.nodes[1]!.isRunning()).toBe(false);

    // Nothing was left half-done: the real scripts now bring node 1 back.
    await reconfigure(relay, { recovery_1st_stage_command: 'recovery_1st_stage', recovery_timeout: 20 });
    expect((await pcp(OWN_BIN, 'pcp_recovery_node', relay, ['-n', '1'])).stdout).toBe('pcp_recovery_node -- Command Successful\n');
    expect(['waiting', 'up']).toContain((await nodeInfo(relay, 1)).status);
    expect((await cluster.nodes[1]!.query('SELECT pg_is_in_recovery() AS r'))[0].r).toBe(true);
  }, 60_000);
});
