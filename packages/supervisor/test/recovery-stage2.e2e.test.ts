/**
 * Issue 6, the 2nd stage's machinery (native replication's), driven in streaming mode through
 * the test switch PGRELAY_RECOVERY_STAGE2_IN_STREAMING=1, since native replication does not
 * exist in pgrelay yet: new sessions wait while the node is brought back (they are not
 * refused), idle sessions are cut per client_idle_limit_in_recovery, the 2nd stage script
 * archives the last WAL with pgpool_switch_xlog, and the pause is measured. Needs the worker
 * wiring of proxy/src/recovery-gate.ts (see .recovery-requests.md); skipped without it.
 */
import fs from 'node:fs';
import path from 'node:path';
import { startCluster, type Cluster, type Pgrelay } from '@pgrelay/testkit';
import { Client } from 'pg';
import { haveRecoveryExtension, installScripts, logEvents, nodeInfo, OWN_BIN, pcp, reconfigure, relayForRecovery, ROOT } from './recovery-tools';

const wired = fs.readFileSync(path.join(ROOT, 'packages/proxy/src/worker.ts'), 'utf8').includes('RecoveryGate');
const suite = haveRecoveryExtension() && wired ? describe : describe.skip;

interface Writer {
  stop(): Promise<{ ok: number; errors: string[]; slowestConnectMs: number }>;
}

/** One short session after another (connect, INSERT, disconnect), as an application's pool churns. */
function startWriter(port: number): Writer {
  let running = true;
  let ok = 0;
  let slowest = 0;
  const errors: string[] = [];
  const loop = (async () => {
    while (running) {
      const c = new Client({ host: '127.0.0.1', port, user: 'postgres', database: 'test' });
      c.on('error', (e) => errors.push(`async: ${e.message}`));
      try {
        const t = Date.now();
        await c.connect();
        slowest = Math.max(slowest, Date.now() - t);
        await c.query('INSERT INTO stage2_rows VALUES (DEFAULT)');
        ok++;
      } catch (e) {
        errors.push((e as Error).message);
      } finally {
        await c.end().catch(() => undefined);
      }
      await new Promise((r) => setTimeout(r, 20));
    }
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
      return { ok, errors, slowestConnectMs: slowest };
    },
  };
}

/** A session that sits idle; resolves with the error pgrelay ends it with. */
async function idleSession(port: number): Promise<{ client: Client; ended: Promise<{ code?: string; message: string; detail?: string }> }> {
  const client = new Client({ host: '127.0.0.1', port, user: 'postgres', database: 'test' });
  const ended = new Promise<{ code?: string; message: string; detail?: string }>((resolve) =>
    client.on('error', (e: Error & { code?: string; detail?: string }) => resolve({ code: e.code, message: e.message, detail: e.detail })),
  );
  await client.connect();
  await client.query('SELECT 1');
  return { client, ended };
}

suite('online recovery, 2nd stage (session gate) in streaming mode via the test switch', () => {
  let cluster: Cluster;
  let relay: Pgrelay;

  beforeAll(async () => {
    cluster = await startCluster({ standbys: 1 });
    relay = await relayForRecovery(
      cluster,
      { num_workers: 2, health_check_period: 0, recovery_2nd_stage_command: 'recovery_2nd_stage', client_idle_limit_in_recovery: 1 },
      { PGRELAY_RECOVERY_STAGE2_IN_STREAMING: '1' },
    );
    for (const n of cluster.nodes) installScripts(n, cluster);
    const c = new Client({ host: '127.0.0.1', port: relay.port, user: 'postgres', database: 'test' });
    await c.connect();
    await c.query('CREATE TABLE stage2_rows (id serial PRIMARY KEY, at timestamptz DEFAULT now())');
    await c.end();
  }, 60_000);

  afterAll(async () => {
    await relay?.stop('fast');
    await cluster?.stop();
  });

  async function detachStandby(): Promise<void> {
    expect((await pcp(OWN_BIN, 'pcp_detach_node', relay, ['-n', '1'])).stdout).toBe('pcp_detach_node -- Command Successful\n');
    await new Promise((r) => setTimeout(r, 300));
    expect((await nodeInfo(relay, 1)).status).toBe('down');
  }

  /** Recovers node 1 under the writer; returns the pause pgrelay logged and what the clients saw. */
  async function recoverUnderLoad() {
    const idle = await idleSession(relay.port);
    const writer = startWriter(relay.port);
    await new Promise((r) => setTimeout(r, 500));
    const t = Date.now();
    const rec = await pcp(OWN_BIN, 'pcp_recovery_node', relay, ['-n', '1']);
    const recoveryMs = Date.now() - t;
    await new Promise((r) => setTimeout(r, 500));
    const w = await writer.stop();
    const idleEnd = await Promise.race([idle.ended, new Promise<null>((r) => setTimeout(() => r(null), 100))]);
    await idle.client.end().catch(() => undefined);
    const pause = logEvents(relay, /new sessions were held back for \d+ ms/).pop()?.pauseMs as number;
    const steps = logEvents(relay, /^node recovery, .* took \d+ ms$/).slice(-9).map((e) => `${e.step} ${e.ms} ms`);
    return { rec, recoveryMs, w, idleEnd, pause, steps };
  }

  test('client_idle_limit_in_recovery 1: new sessions wait and then run, an idle one is cut after 1 s, phase 2 is short', async () => {
    await detachStandby();
    const r = await recoverUnderLoad();
    console.log(`2nd stage, client_idle_limit_in_recovery = 1: recovery ${r.recoveryMs} ms, pause ${r.pause} ms, slowest connect ${r.w.slowestConnectMs} ms, ${r.w.ok} writes (${r.steps.join(', ')})`);
    expect(r.rec).toEqual({ code: 0, stdout: 'pcp_recovery_node -- Command Successful\n', stderr: '' });
    // Sessions that arrived during the 2nd stage waited, then ran: no error for any of them.
    expect(r.w.errors).toEqual([]);
    expect(r.w.slowestConnectMs).toBeGreaterThan(500);
    expect(relay.log()).toMatch(/online recovery: accepting sessions again after \d+ ms \(online recovery finished\); [1-9]\d* connection\(s\) waited/);
    expect(r.idleEnd).toEqual({ code: '57000', message: 'unable to read data', detail: 'child connection forced to terminate due to client_idle_limit_in_recovery:1 is reached' });
    expect(r.steps.map((s) => s.replace(/ \d+ ms$/, ''))).toEqual([
      'connecting to the main node',
      'CHECKPOINT in the 1st stage',
      '1st stage',
      'waiting for client sessions to end',
      'CHECKPOINT in the 2nd stage',
      '2nd stage',
      'remote start',
      'waiting for the postmaster',
      'failback',
    ]);
    expect(relay.log()).toMatch(/recovery done \(node 1 in \d+ ms: .*; new sessions held back \d+ ms\)/);
    // The pause holds at least the idle limit, and not much more than the 2nd stage's own work.
    expect(r.pause).toBeGreaterThanOrEqual(1000);
    expect(r.pause).toBeLessThan(8000);

    // The 2nd stage script archived the last segment; rows written during phase 1 are on the node.
    expect(cluster.nodes[0]!.log()).toMatch(/recovery_2nd_stage: done: archived /);
    await cluster.waitForCatchup();
    const count = async (i: number) => (await cluster.nodes[i]!.query('SELECT count(*) AS n FROM stage2_rows', [], { database: 'test' }))[0].n;
    expect(await count(1)).toBe(await count(0));
    expect(['waiting', 'up']).toContain((await nodeInfo(relay, 1)).status);
  }, 60_000);

  test('client_idle_limit_in_recovery -1: idle sessions are cut at once', async () => {
    await reconfigure(relay, { client_idle_limit_in_recovery: -1 });
    await detachStandby();
    const r = await recoverUnderLoad();
    console.log(`2nd stage, client_idle_limit_in_recovery = -1: recovery ${r.recoveryMs} ms, pause ${r.pause} ms, slowest connect ${r.w.slowestConnectMs} ms, ${r.w.ok} writes (${r.steps.join(', ')})`);
    expect(r.rec.stdout).toBe('pcp_recovery_node -- Command Successful\n');
    expect(r.w.errors).toEqual([]);
    expect(r.idleEnd).toEqual({ code: '57000', message: 'connection terminated due to online recovery', detail: 'child connection forced to terminate due to client_idle_limit_in_recovery = -1' });
    expect(r.pause).toBeLessThan(8000);
  }, 60_000);

  test('sessions that outlive recovery_timeout fail the recovery cleanly: the gate opens, the node stays down', async () => {
    await reconfigure(relay, { client_idle_limit_in_recovery: 0, recovery_timeout: 1 });
    await detachStandby();
    const idle = await idleSession(relay.port);
    const r = await pcp(OWN_BIN, 'pcp_recovery_node', relay, ['-n', '1']);
    expect(r).toEqual({ code: 0, stdout: '', stderr: 'ERROR:  node recovery failed, waiting connection closed in the other pgpools timeout\n\n' });
    // The idle session was left alone (limit 0) and still works; new sessions are admitted again.
    expect((await idle.client.query('SELECT 2 AS v')).rows[0].v).toBe(2);
    await idle.client.end();
    const c = new Client({ host: '127.0.0.1', port: relay.port, user: 'postgres', database: 'test', connectionTimeoutMillis: 3000 });
    await c.connect();
    await c.end();
    expect((await nodeInfo(relay, 1)).status).toBe('down');
  }, 60_000);
});
