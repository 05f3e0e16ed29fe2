/**
 * Issue 6, native replication: pcp_recovery_node rebuilds a node from the main node in two
 * stages. Clients keep writing through pgrelay during the 1st stage (pg_basebackup); for the
 * 2nd stage pgrelay holds new sessions back, waits for the open ones to end, archives the
 * last WAL, starts the node (it replays the archive and runs alone) and attaches it — then
 * the held sessions go in. Three independent real servers, the shipped scripts.
 */
import { startCluster, type Cluster, type Pgrelay } from '@pgrelay/testkit';
import { Client } from 'pg';
import { installScripts, logEvents, nodeInfo, OWN_BIN, pcp, relayForRecovery, testkitSettings } from './recovery-tools';

// scripts/setup installs pgpool2 and postgresql-15-pgpool2: without them these tests fail, they do not hide.
const suite = describe;

interface Attempt {
  ok: boolean;
  startedAt: number;
  ms: number;
  error?: string;
}

/** One short session per row: connect, INSERT, disconnect — so the 2nd stage's wait can end. */
async function writer(port: number, tag: string, until: () => boolean, out: Attempt[]): Promise<void> {
  for (let i = 0; !until(); i++) {
    const startedAt = Date.now();
    const c = new Client({ host: '127.0.0.1', port, user: 'postgres', database: 'test' });
    try {
      await c.connect();
      await c.query('INSERT INTO recovered (tag, n) VALUES ($1, $2)', [tag, i]);
      out.push({ ok: true, startedAt, ms: Date.now() - startedAt });
    } catch (e) {
      out.push({ ok: false, startedAt, ms: Date.now() - startedAt, error: (e as Error).message });
    } finally {
      await c.end().catch(() => undefined);
    }
  }
}

suite('online recovery in native replication mode (two stages)', () => {
  let cluster: Cluster;
  let relay: Pgrelay;

  beforeAll(async () => {
    cluster = await startCluster({ independent: 3 });
    relay = await relayForRecovery(cluster, {
      backend_clustering_mode: 'native_replication',
      // the shipped failover.sh promotes a standby; native replication has none
      failover_command: '',
      follow_primary_command: '',
      recovery_2nd_stage_command: 'recovery_2nd_stage',
      // 0: the 2nd stage waits for open sessions to end (each writer's ends after one INSERT);
      // -1 would cut a writer that is between its login and its INSERT (recovery-gate.test.ts)
      client_idle_limit_in_recovery: 0,
    });
    const main = cluster.nodes[0]!;
    installScripts(main, cluster, { settings: testkitSettings(cluster, 'NATIVE_REPLICATION=yes\n').replace(cluster.archiveDir, cluster.archiveDirOf(0)) });
    const c = new Client({ host: '127.0.0.1', port: relay.port, user: 'postgres', database: 'test' });
    await c.connect();
    await c.query('CREATE TABLE recovered (id serial PRIMARY KEY, tag text NOT NULL, n int NOT NULL)');
    await c.end();
  }, 60_000);

  afterAll(async () => {
    await relay?.stop('fast');
    await cluster?.stop();
  });

  test('rows written during the 1st stage reach the recovered node; sessions that came during the 2nd stage ran afterwards', async () => {
    const node2 = cluster.nodes[2]!;
    expect((await pcp(OWN_BIN, 'pcp_detach_node', relay, ['-n', '2'])).code).toBe(0);
    await node2.stop('fast');
    expect((await nodeInfo(relay, 2)).status).toBe('down');

    let done = false;
    const attempts: Attempt[] = [];
    const writers = [0, 1, 2, 3].map((w) => writer(relay.port, `w${w}`, () => done, attempts));
    await new Promise((r) => setTimeout(r, 500));
    const started = Date.now();
    const rec = await pcp(OWN_BIN, 'pcp_recovery_node', relay, ['-n', '2']);
    const recoveryMs = Date.now() - started;
    await new Promise((r) => setTimeout(r, 500));
    done = true;
    await Promise.all(writers);
    expect(rec).toEqual({ code: 0, stdout: 'pcp_recovery_node -- Command Successful\n', stderr: '' });

    const failed = attempts.filter((a) => !a.ok);
    expect(failed).toEqual([]);
    const pause = logEvents(relay, /^node recovery, new sessions were held back for \d+ ms/)[0];
    expect(pause).toBeDefined();
    const pauseMs = Number(pause!.pauseMs);
    // Sessions that arrived while the gate was closed waited for it, then ran.
    const waited = attempts.filter((a) => a.ms >= Math.min(pauseMs, 200) / 2);
    const steps = logEvents(relay, /^node recovery, .* took \d+ ms$/).map((e) => `${e.step} ${e.ms} ms`);
    console.log(
      `native pcp_recovery_node -n 2: ${recoveryMs} ms; 2nd stage held new sessions ${pauseMs} ms; ` +
        `${attempts.length} sessions wrote a row, ${waited.length} of them waited at the gate; steps: ${steps.join(', ')}`,
    );
    expect(steps.map((s) => s.replace(/ \d+ ms$/, ''))).toEqual([
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

    expect(['waiting', 'up']).toContain((await nodeInfo(relay, 2)).status);
    // The recovered node runs alone (not a standby) and holds what the others hold.
    expect((await node2.query('SELECT pg_is_in_recovery() AS r'))[0].r).toBe(false);
    const summary = async (i: number) =>
      (await cluster.nodes[i]!.query<{ n: string; s: string; m: string }>('SELECT count(*) AS n, coalesce(sum(n), 0) AS s, coalesce(max(id), 0) AS m FROM recovered', [], { database: 'test' }))[0];
    const [s0, s1, s2] = [await summary(0), await summary(1), await summary(2)];
    expect(Number(s0.n)).toBe(attempts.length);
    expect(s1).toEqual(s0);
    expect(s2).toEqual(s0);

    // Writes after the recovery reach all three, with the same sequence values.
    const c = new Client({ host: '127.0.0.1', port: relay.port, user: 'postgres', database: 'test' });
    await c.connect();
    await c.query("INSERT INTO recovered (tag, n) VALUES ('after', 1)");
    await c.end();
    const [a0, a2] = [await summary(0), await summary(2)];
    expect(a2).toEqual(a0);
    expect(Number(a0.m)).toBe(Number(s0.m) + 1);
  }, 120_000);
});
