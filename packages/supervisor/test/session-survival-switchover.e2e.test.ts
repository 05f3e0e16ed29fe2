/**
 * Issue 8, planned switchover: pcp_promote_node -s under pgbench -c 16. Sessions are held at
 * their transaction boundaries, the old primary is stopped cleanly, node 1 is promoted, node 2
 * follows, the sessions are rebuilt on node 1 and released: pgbench sees a pause, no error.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startCluster, type Cluster, type Pgrelay } from '@pgrelay/testkit';
import { run } from './helpers';
import { client, primaryNode, relayWithScripts, ROOT, sleep } from './session-survival-tools';

describe('planned switchover', () => {
  let cluster: Cluster;
  let relay: Pgrelay;

  beforeAll(async () => {
    cluster = await startCluster({ standbys: 2 });
    relay = await relayWithScripts(cluster);
    const init = await run('pgbench', ['-i', '-q', '-s', '1', '-h', '127.0.0.1', '-p', String(relay.port), '-U', 'postgres', 'test']);
    expect(init.code).toBe(0);
    await cluster.waitForCatchup();
  }, 60_000);

  afterAll(async () => {
    if (process.env.SV_LOG) fs.writeFileSync(process.env.SV_LOG, relay?.log() ?? '');
    await relay?.stop('fast');
    await cluster?.stop();
  });

  test('pcp_promote_node -s under pgbench -c 16: 0 failed transactions, the pause is reported', async () => {
    // an idle session with state, to see it moved too
    const idle = await client(relay.port, 'idle');
    await idle.query("SET application_name TO 'still-me'");
    const bench = run('pgbench', ['-c', '16', '-j', '2', '-T', '12', '-h', '127.0.0.1', '-p', String(relay.port), '-U', 'postgres', 'test'], {}, 60_000);
    await sleep(3000);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pgrelay-pcppass-'));
    const pass = path.join(dir, '.pcppass');
    fs.writeFileSync(pass, '*:*:pcp_user:pcp_pass\n', { mode: 0o600 });
    // `pgrelay switchover` is pcp_promote_node -s: it reaches the same PCP handler
    const bad = await run(process.execPath, [path.join(ROOT, 'packages/supervisor/dist/bin/pgrelay.js'), 'switchover', '-h', '127.0.0.1', '-p', String(relay.pcpPort), '-U', 'pcp_user', '-w', '-n', '9'], { PCPPASSFILE: pass });
    expect(bad.stderr).toMatch(/node id 9 is not valid/);
    const started = Date.now();
    const promote = await run(path.join(ROOT, 'node_modules/.bin/pcp_promote_node'), ['-h', '127.0.0.1', '-p', String(relay.pcpPort), '-U', 'pcp_user', '-w', '-s', '-n', '1'], { PCPPASSFILE: pass });
    expect(promote.stdout).toBe('pcp_promote_node -- Command Successful\n');
    const switchMs = Date.now() - started;
    const b = await bench;
    const pause = /clients were paused (\d+) ms/.exec(relay.log());
    const failed = /number of failed transactions: (\d+)/.exec(b.stdout);
    const processed = /number of transactions actually processed: (\d+)/.exec(b.stdout);
    console.log(
      `switchover under pgbench -c 16: pgbench exit ${b.code}, transactions ${processed?.[1]}, failed ${failed?.[1]}; ` +
        `clients paused ${pause?.[1]} ms; pcp_promote_node took ${switchMs} ms\n${b.stderr.split('\n').filter((l) => /abort|error/i.test(l)).slice(0, 5).join('\n')}`,
    );
    expect(b.code).toBe(0);
    expect(failed?.[1]).toBe('0');
    expect(b.stderr).not.toMatch(/aborted|ERROR|FATAL/);
    expect(pause).not.toBeNull();
    expect((await primaryNode(cluster)).id).toBe(1);
    expect(cluster.nodes[0]!.isRunning()).toBe(false); // stopped cleanly, not left as a second primary
    const r = await idle.query("SELECT current_setting('application_name') AS a, inet_server_port() AS p");
    expect(r.rows[0]).toEqual({ a: 'still-me', p: cluster.nodes[1]!.port });
    await idle.end();
  }, 90_000);
});
