/**
 * The pcp_* commands an operator already has: Debian's pgpool-II 4.3.5 binaries against
 * pgrelay print exactly what pgrelay's own commands print, and what they print against a
 * real pgpool-II 4.3.5 on the same cluster, where the state is the same (node ids, hosts,
 * ports, status, role, weights); only times, pids and ports of the servers differ.
 */
import net from 'node:net';
import { int32, packet } from '@pgrelay/pcp';
import { startCluster, startPgrelay, type Cluster, type Pgrelay } from '@pgrelay/testkit';
import { debianPcp, haveDebianPcp, maskTimes, ownPcp, startRealPgpool, writePcppass, type RealPgpool } from './pcp-tools';

// scripts/setup installs pgpool2 and postgresql-15-pgpool2: without them these tests fail, they do not hide.
const suite = describe;

suite('pcp_* of pgpool-II 4.3.5 against pgrelay', () => {
  let cluster: Cluster;
  let relay: Pgrelay;
  let pgpool: RealPgpool;
  let env: Record<string, string>;

  beforeAll(async () => {
    cluster = await startCluster({ standbys: 2 });
    relay = await startPgrelay({ cluster, conf: { num_init_children: 4, max_pool: 2 } });
    pgpool = await startRealPgpool(relay);
    env = { PCPPASSFILE: writePcppass(relay.dir, [`*:*:${relay.pcp.user}:${relay.pcp.password}`]) };
  }, 60_000);

  afterAll(async () => {
    await pgpool?.stop();
    await cluster?.stop();
  });

  const tcp = (port: number) => ['-h', '127.0.0.1', '-p', String(port), '-U', 'pcp_user', '-w'];

  // Commands whose answer depends only on the cluster state, not on the server's own processes.
  const SAME_STATE: string[][] = [
    ['pcp_node_count'],
    ['pcp_node_count', '-v'],
    ['pcp_node_info'],
    ['pcp_node_info', '-v'],
    ['pcp_node_info', '-a'],
    ['pcp_node_info', '-n', '1'],
    ['pcp_node_info', '2'],
    ['pcp_node_info', '-n', '9'],
    ['pcp_health_check_stats', '-n', '0'],
    ['pcp_health_check_stats', '-v', '1'],
    ['pcp_health_check_stats', '-n', '5'],
    ['pcp_watchdog_info'],
    ['pcp_watchdog_info', '-v'],
    ['pcp_recovery_node', '-n', '0'],
    ['pcp_recovery_node', '-n', '1'],
    ['pcp_recovery_node', '-n', '9'],
    ['pcp_promote_node', '-n', '0'],
    ['pcp_promote_node', '-n', '9'],
    ['pcp_detach_node', '-n', '9'],
    ['pcp_attach_node', '-n', '1'],
    ['pcp_proc_info', '-P', '1'],
    ['pcp_node_info', '-d', '-n', '0'],
  ];

  test.each(SAME_STATE.map((c) => [c.join(' '), c]))('%s: Debian binary on pgrelay = own binary on pgrelay = Debian binary on pgpool-II', async (_name, c) => {
    const [cmd, ...args] = c as string[];
    const debian = await debianPcp(cmd!, [...tcp(relay.pcpPort), ...args], env);
    const own = await ownPcp(cmd!, [...tcp(relay.pcpPort), ...args], env);
    const real = await debianPcp(cmd!, [...tcp(pgpool.pcpPort), ...args], env);
    expect(own).toEqual(debian);
    // pgpool says pid [N] of its own pcp child in one message; the rest must be identical.
    const norm = (s: string) => maskTimes(s).replace(/\[\d+\]/g, '[pid]');
    expect({ code: debian.code, stdout: norm(debian.stdout), stderr: norm(debian.stderr) }).toEqual({
      code: real.code,
      stdout: norm(real.stdout),
      stderr: norm(real.stderr),
    });
  });

  test('pcp_pool_status: every item, value and description as pgpool-II prints them, but for its own ports and paths', async () => {
    const debian = await debianPcp('pcp_pool_status', tcp(relay.pcpPort), env);
    const own = await ownPcp('pcp_pool_status', tcp(relay.pcpPort), env);
    const real = await debianPcp('pcp_pool_status', tcp(pgpool.pcpPort), env);
    expect(own).toEqual(debian);
    expect(debian.code).toBe(0);
    const items = (s: string) => s.split('\n\n').filter(Boolean).map((b) => b.split('\n'));
    const ours = items(debian.stdout);
    const theirs = items(real.stdout);
    expect(ours.map((b) => b[0])).toEqual(theirs.map((b) => b[0]));
    // Values that name this server's own sockets, pid file and start time, and a Debian build default.
    const own_ = new Set(['port', 'pcp_port', 'socket_dir', 'pcp_socket_dir', 'pid_file_name', 'logdir', 'memqcache_stats_start_time', 'wd_ipc_socket_dir']);
    for (let i = 0; i < ours.length; i++) {
      const name = ours[i]![0]!.slice('name : '.length);
      if (own_.has(name)) continue;
      expect({ name, lines: ours[i] }).toEqual({ name, lines: theirs[i] });
    }
  });

  test('pcp_proc_count and pcp_proc_info list the worker processes in pgpool-II format', async () => {
    const count = await debianPcp('pcp_proc_count', tcp(relay.pcpPort), env);
    expect(await ownPcp('pcp_proc_count', tcp(relay.pcpPort), env)).toEqual(count);
    expect(count.stdout).toMatch(/^(\d+ )+\n$/);
    const pid = count.stdout.trim().split(' ')[0]!;
    const all = await debianPcp('pcp_proc_info', [...tcp(relay.pcpPort), '-a'], env);
    expect(await ownPcp('pcp_proc_info', [...tcp(relay.pcpPort), '-a'], env)).toEqual(all);
    // num_init_children 4 × max_pool 2 × 3 nodes, all waiting for a client.
    const lines = all.stdout.split('\n').filter(Boolean);
    expect(lines).toHaveLength(4 * 2 * 3);
    for (const l of lines) expect(l).toMatch(new RegExp(`^  \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d 0 0 0   0  0 0 0 ${pid} [0-2] Wait for connection$`));
    const one = await debianPcp('pcp_proc_info', [...tcp(relay.pcpPort), '-P', pid], env);
    expect(one).toEqual({ code: 0, stdout: 'No process information available\n\n', stderr: '' });
  });

  test('the Unix socket in pcp_socket_dir answers, and .pcppass matches it by directory', async () => {
    const sock = ['-h', relay.socketDir, '-p', String(relay.pcpPort), '-U', 'pcp_user', '-w'];
    const byDir = { PCPPASSFILE: writePcppass(relay.dir, [`${relay.socketDir}:${relay.pcpPort}:pcp_user:pcp_pass`], 'bydir') };
    for (const e of [env, byDir]) {
      const debian = await debianPcp('pcp_node_count', sock, e);
      expect(debian).toEqual({ code: 0, stdout: '3\n', stderr: '' });
      expect(await ownPcp('pcp_node_count', sock, e)).toEqual(debian);
    }
  });

  test('a wrong password: the same FATAL, exit code 1, nothing done', async () => {
    const bad = { PCPPASSFILE: writePcppass(relay.dir, ['*:*:pcp_user:wrong'], 'bad') };
    const before = await debianPcp('pcp_node_info', tcp(relay.pcpPort), env);
    for (const pcp of [debianPcp, ownPcp]) {
      const r = await pcp('pcp_detach_node', [...tcp(relay.pcpPort), '-n', '1'], bad);
      expect(r).toEqual({
        code: 1,
        stdout: '',
        stderr: 'FATAL:  authentication failed for user "pcp_user"\nDETAIL:  username and/or password does not match\n\n',
      });
    }
    expect(await debianPcp('pcp_detach_node', [...tcp(pgpool.pcpPort), '-n', '1'], bad)).toEqual(
      await debianPcp('pcp_detach_node', [...tcp(relay.pcpPort), '-n', '1'], bad),
    );
    expect(await debianPcp('pcp_node_info', tcp(relay.pcpPort), env)).toEqual(before);
  });

  test('protocol violations end the connection with a FATAL, as pgpool-II does', async () => {
    const exchange = (bytes: Buffer, port: number) =>
      new Promise<string>((resolve) => {
        const s = net.connect(port, '127.0.0.1', () => s.write(bytes));
        let got = Buffer.alloc(0);
        s.on('data', (d) => (got = Buffer.concat([got, d])));
        // The length and the source file/line fields name each implementation's own code.
        s.on('close', () => resolve(got.subarray(5).toString('latin1').replace(/F[^\0]*\0L\d+\0/, '')));
        s.on('error', () => undefined);
      });
    const before = packet('L');
    const tooLong = Buffer.concat([Buffer.from('R'), int32(300), Buffer.alloc(296)]);
    for (const bytes of [before, tooLong]) {
      expect(await exchange(bytes, relay.pcpPort)).toEqual(await exchange(bytes, pgpool.pcpPort));
    }
    expect(await exchange(before, relay.pcpPort)).toContain('Mauthentication failed for new PCP connection\0Dconnection not authorized');
    expect(await exchange(tooLong, relay.pcpPort)).toContain('Minvalid PCP packet\0Dincorrect packet length (300)');
  });

  test('connection failures and option errors: same text, same exit codes', async () => {
    const cases = [
      ['pcp_node_count', '-h', '127.0.0.1', '-p', '1025', '-w'],
      ['pcp_node_count', '-h', '/nonexistent', '-w'],
      ['pcp_attach_node', '-w'],
      ['pcp_node_info', '-n', '-1'],
      ['pcp_node_info', '-p', '80'],
      ['pcp_stop_pgpool', '-m', 'sometimes', '-w'],
      ['pcp_node_info', '-x'],
      ['pcp_node_info', '--help'],
      ['pcp_proc_info', '-V'],
    ];
    for (const [cmd, ...args] of cases) {
      expect({ cmd, args, r: await ownPcp(cmd!, args, env) }).toEqual({ cmd, args, r: await debianPcp(cmd!, args, env) });
    }
  });
});
