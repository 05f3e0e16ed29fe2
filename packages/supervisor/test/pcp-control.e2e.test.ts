/**
 * What the PCP commands change, through Debian's pcp_* binaries and pgrelay's own:
 * detach and attach a standby, graceful detach waiting for sessions, promote without
 * switchover, reload, stop — against the real pgrelay and a real cluster.
 */
import fs from 'node:fs';
import path from 'node:path';
import { startCluster, startPgrelay, type Cluster, type Pgrelay } from '@pgrelay/testkit';
import { connect } from './helpers';
import { debianPcp, haveDebianPcp, maskTimes, ownPcp, writePcppass } from './pcp-tools';

// scripts/setup installs pgpool2 and postgresql-15-pgpool2: without them these tests fail, they do not hide.
const suite = describe;

suite('PCP node control against pgrelay', () => {
  let cluster: Cluster;
  let relay: Pgrelay;
  let env: Record<string, string>;
  let tcp: string[];

  beforeAll(async () => {
    cluster = await startCluster({ standbys: 2 });
    // Reads stay on the primary (standby weights 0): sessions here touch no standby, so their
    // status stays what the PCP commands made it.
    relay = await startPgrelay({ cluster, conf: { recovery_timeout: 2, search_primary_node_timeout: 2, backend_weight1: 0, backend_weight2: 0 } });
    env = { PCPPASSFILE: writePcppass(relay.dir, ['*:*:pcp_user:pcp_pass']) };
    tcp = ['-h', '127.0.0.1', '-p', String(relay.pcpPort), '-U', 'pcp_user', '-w'];
  }, 60_000);

  afterAll(async () => {
    await cluster?.stop();
  });

  const statuses = async (): Promise<string[]> =>
    (await debianPcp('pcp_node_info', tcp, env)).stdout.trim().split('\n').map((l) => l.split(' ')[4]!);
  const statusFile = () => fs.readFileSync(path.join(relay.dir, 'pgpool_status'), 'utf8');

  test('pcp_detach_node takes a standby out, pcp_attach_node brings it back', async () => {
    expect(await debianPcp('pcp_detach_node', [...tcp, '-n', '2'], env)).toEqual({ code: 0, stdout: 'pcp_detach_node -- Command Successful\n', stderr: '' });
    expect((await statuses())[2]).toBe('down');
    expect(statusFile()).toBe('up\nup\ndown\n');
    await relay.waitForLog(/node 2 status changed from waiting to down: pcp_detach_node/);

    // Already down: pgpool's ERROR, exit 0, nothing else happens.
    expect(await ownPcp('pcp_detach_node', [...tcp, '-n', '2'], env)).toEqual({
      code: 0,
      stdout: '',
      stderr: 'ERROR:  invalid degenerate backend request, node id : 2 status: [3] is not valid for failover\n\n',
    });

    // Clients keep working on the primary meanwhile.
    const c = await connect(relay.port);
    expect((await c.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
    await c.end();

    expect(await ownPcp('pcp_attach_node', [...tcp, '-n', '2'], env)).toEqual({ code: 0, stdout: 'pcp_attach_node -- Command Successful\n', stderr: '' });
    expect((await statuses())[2]).toBe('waiting');
    expect(statusFile()).toBe('up\nup\nup\n');
    // Attaching a node that is not down answers success and changes nothing, as pgpool does.
    expect((await debianPcp('pcp_attach_node', [...tcp, '1'], env)).stdout).toBe('pcp_attach_node -- Command Successful\n');
    expect((await statuses())[1]).toBe('waiting');
  });

  test('pcp_detach_node -g waits for the sessions to end (up to recovery_timeout)', async () => {
    const c = await connect(relay.port);
    c.on('error', () => undefined);
    const started = Date.now();
    // A session outlives recovery_timeout (2 s): pgpool answers success and leaves the node attached.
    expect((await debianPcp('pcp_detach_node', [...tcp, '-g', '-n', '1'], env)).stdout).toBe('pcp_detach_node -- Command Successful\n');
    expect(Date.now() - started).toBeGreaterThanOrEqual(1500);
    expect((await statuses())[1]).toBe('waiting');
    await c.end();
    await new Promise((r) => setTimeout(r, 200));
    expect((await debianPcp('pcp_detach_node', [...tcp, '-g', '-n', '1'], env)).stdout).toBe('pcp_detach_node -- Command Successful\n');
    expect((await statuses())[1]).toBe('down');
    await debianPcp('pcp_attach_node', [...tcp, '-n', '1'], env);
    expect((await statuses())[1]).toBe('waiting');
  });

  test('pcp_proc_info shows a live session, and the cached connections of ended ones', async () => {
    const c = await connect(relay.port, { database: 'postgres' });
    c.on('error', () => undefined);
    try {
      // The live session's idle seconds may tick between the two commands on a busy machine.
      const masked = (out: string) => maskTimes(out).replace(/(<time> <time> )\d+ /g, '$1<idle> ');
      const r = await ownPcp('pcp_proc_info', tcp, env);
      const theirs = await debianPcp('pcp_proc_info', tcp, env);
      expect({ ...r, stdout: masked(r.stdout) }).toEqual({ ...theirs, stdout: masked(theirs.stdout) });
      const lines = masked(r.stdout).trim().split('\n');
      const live = lines.filter((l) => l.endsWith(' Idle'));
      expect(live).toHaveLength(1);
      expect(live[0]).toMatch(/^postgres postgres <time> \d+ 3 0 <time> <time> <idle>  1 \d+ 1 \d+ 0 Idle$/);
      // Sessions of the earlier tests left their backend connections to database "test" in the cache.
      for (const l of lines.filter((x) => !x.endsWith(' Idle'))) expect(l).toMatch(/^test postgres .* 1 \d+ 0 Wait for connection$/);
    } finally {
      await c.end();
    }
  });

  test('a session on the detached primary ends; after pcp_attach_node new sessions reach it again', async () => {
    const c = await connect(relay.port);
    const ended = new Promise<Error>((resolve) => c.on('error', resolve));
    expect((await ownPcp('pcp_detach_node', [...tcp, '-n', '0'], env)).stdout).toBe('pcp_detach_node -- Command Successful\n');
    await expect(ended).resolves.toBeInstanceOf(Error);
    // Nodes 1 and 2 are standbys: no primary is found within search_primary_node_timeout.
    await relay.waitForLog(/no primary node found \(searched for 2 s/, 10_000);
    expect(await statuses()).toEqual(['down', 'waiting', 'waiting']);
    expect(statusFile()).toBe('down\nup\nup\n');

    expect((await debianPcp('pcp_attach_node', [...tcp, '-n', '0'], env)).stdout).toBe('pcp_attach_node -- Command Successful\n');
    await relay.waitForLog(new RegExp(`failback done. reconnect host 127.0.0.1\\(${cluster.nodes[0]!.port}\\)`), 10_000);
    const again = await connect(relay.port);
    expect((await again.query('SELECT pg_is_in_recovery() AS r')).rows).toEqual([{ r: false }]);
    await again.end();
    expect((await statuses())[0]).toBe('up');
  });

  test('pcp_promote_node -s: the primary is detached, node 1 is recorded as primary and the others follow', async () => {
    // No failover_command is set here, so nothing promotes PostgreSQL itself: pgpool records the
    // target as primary all the same (the failover e2e tests run the sample scripts).
    expect((await debianPcp('pcp_promote_node', [...tcp, '-s', '-n', '1'], env)).stdout).toBe('pcp_promote_node -- Command Successful\n');
    const info = (await debianPcp('pcp_node_info', tcp, env)).stdout.trim().split('\n').map((l) => l.split(' '));
    expect(info.map((f) => [f[4], f[6]])).toEqual([
      ['down', 'standby'],
      ['waiting', 'primary'],
      ['down', 'standby'],
    ]);
    expect(statusFile()).toBe('down\nup\ndown\n');
    // Already primary now: pgpool's FATAL.
    expect((await ownPcp('pcp_promote_node', [...tcp, '-n', '1'], env)).stderr).toBe(
      "FATAL:  invalid promote request\nDETAIL:  specified node is already primary node, can't promote node id 1\n\n",
    );
  });

  test('pcp_recovery_node of a down node without recovery_user: pgpool\'s failed recovery', async () => {
    expect(await ownPcp('pcp_recovery_node', [...tcp, '-n', '2'], env)).toEqual({
      code: 0,
      stdout: '',
      stderr: 'ERROR:  node recovery failed, unable to connect to main node: 1 \n\n',
    });
  });

  test('pcp_reload_config re-reads pgpool.conf; pcp_stop_pgpool -m fast stops pgrelay', async () => {
    expect((await debianPcp('pcp_reload_config', tcp, env)).stdout).toBe('pcp_reload_config -- Command Successful\n');
    await relay.waitForLog(/configuration reloaded/);
    expect(await ownPcp('pcp_stop_pgpool', [...tcp, '-m', 'fast'], env)).toEqual({ code: 0, stdout: 'pcp_stop_pgpool -- Command Successful\n', stderr: '' });
    expect(await relay.exited).toBe(0);
  });
});
