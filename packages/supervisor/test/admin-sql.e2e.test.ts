/**
 * pgpool's SQL admin commands through pgrelay, next to a real pgpool-II 4.3.5 on the same
 * cluster: same columns in the same order, same values where the state is the same, same
 * answers and errors for PGPOOL SET/RESET/SHOW.
 */
import fs from 'node:fs';
import path from 'node:path';
import { startCluster, startPgrelay, type Cluster, type Pgrelay } from '@pgrelay/testkit';
import { connect, run } from './helpers';
import { debianPcp, haveDebianPcp, maskTimes, startRealPgpool, writePcppass, type RealPgpool } from './pcp-tools';

// scripts/setup installs pgpool2 and postgresql-15-pgpool2: without them these tests fail, they do not hide.
const suite = describe;

/** psql's unaligned output: a header line, rows, a "(N rows)" line. */
async function psql(port: number, sql: string): Promise<{ header: string[]; rows: string[][]; text: string }> {
  const r = await run('psql', ['-X', '-A', '-F', '|', '-h', '127.0.0.1', '-p', String(port), '-U', 'postgres', '-d', 'test', '-c', sql]);
  if (r.code !== 0) throw new Error(`psql ${sql}: ${r.stderr}`);
  // pgpool 4.3.5 sends the RowDescription of some reports twice; psql prints an empty result first.
  const blocks = r.stdout.trim().split(/\n\(\d+ rows?\)\n?/).filter(Boolean);
  const lines = blocks[blocks.length - 1]!.split('\n');
  return { header: lines[0]!.split('|'), rows: lines.slice(1).map((l) => l.split('|')), text: r.stdout };
}

suite('SHOW POOL_* and PGPOOL SHOW/SET/RESET', () => {
  let cluster: Cluster;
  let relay: Pgrelay;
  let pgpool: RealPgpool;

  beforeAll(async () => {
    cluster = await startCluster({ standbys: 2 });
    // Reads stay on the primary (standby weights 0): each session's load-balance node, and the
    // nodes its connections reach, are then the same for pgrelay and pgpool-II on every run.
    relay = await startPgrelay({ cluster, conf: { num_init_children: 4, max_pool: 2, backend_weight1: 0, backend_weight2: 0 } });
    pgpool = await startRealPgpool(relay);
  }, 60_000);

  afterAll(async () => {
    await pgpool?.stop();
    await cluster?.stop();
  });

  test('SHOW POOL_NODES: pgpool-II columns, rows as the ClusterState (pcp_node_info) has them', async () => {
    const ours = await psql(relay.port, 'SHOW POOL_NODES');
    const theirs = await psql(pgpool.port, 'SHOW POOL_NODES');
    expect(ours.header).toEqual(theirs.header);
    const env = { PCPPASSFILE: writePcppass(relay.dir, ['*:*:pcp_user:pcp_pass']) };
    const info = (await debianPcp('pcp_node_info', ['-h', '127.0.0.1', '-p', String(relay.pcpPort), '-U', 'pcp_user', '-w'], env)).stdout.trim().split('\n');
    expect(ours.rows).toHaveLength(3);
    ours.rows.forEach((r, i) => {
      const [host, port, , weight, status, pgStatus, role, pgRole, delay] = info[i]!.split(' ');
      const col = (c: string) => r[ours.header.indexOf(c)];
      expect([col('node_id'), col('hostname'), col('port'), col('status'), col('pg_status'), col('lb_weight'), col('role'), col('pg_role'), col('replication_delay')]).toEqual([
        String(i), host, port, status, pgStatus, weight, role, pgRole, delay,
      ]);
      expect(col('port')).toBe(String(cluster.nodes[i]!.port));
    });
    // This session runs on the primary: that is its load-balance node, and it is up.
    expect(ours.rows.map((r) => r[ours.header.indexOf('load_balance_node')])).toEqual(['true', 'false', 'false']);
    expect(ours.rows[0]![ours.header.indexOf('status')]).toBe('up');
    // What does not depend on who connected where is pgpool-II's too.
    const same = ['node_id', 'hostname', 'port', 'pg_status', 'lb_weight', 'role', 'pg_role', 'replication_delay', 'replication_state', 'replication_sync_state'];
    const pick = (t: typeof ours) => t.rows.map((r) => same.map((c) => r[t.header.indexOf(c)]));
    expect(pick(ours)).toEqual(pick(theirs));
  });

  test.each(['POOL_VERSION', 'POOL_CACHE'])('SHOW %s is the same as pgpool-II', async (what) => {
    const ours = await psql(relay.port, `SHOW ${what}`);
    const theirs = await psql(pgpool.port, `SHOW ${what}`);
    expect({ header: ours.header, rows: ours.rows }).toEqual({ header: theirs.header, rows: theirs.rows });
  });

  test.each(['POOL_HEALTH_CHECK_STATS', 'POOL_BACKEND_STATS', 'POOL_PROCESSES', 'POOL_POOLS', 'POOL_STATUS'])('SHOW %s has pgpool-II columns', async (what) => {
    const ours = await psql(relay.port, `SHOW ${what}`);
    const theirs = await psql(pgpool.port, `SHOW ${what}`);
    expect(ours.header).toEqual(theirs.header);
    expect(ours.rows.length).toBeGreaterThan(0);
  });

  test('SHOW POOL_HEALTH_CHECK_STATS: the same counters (none ran), roles and ports', async () => {
    const ours = await psql(relay.port, 'SHOW POOL_HEALTH_CHECK_STATS');
    const theirs = await psql(pgpool.port, 'SHOW POOL_HEALTH_CHECK_STATS');
    const drop = new Set(['status', 'last_status_change']);
    const pick = (t: typeof ours) => t.rows.map((r) => r.filter((_, i) => !drop.has(t.header[i]!)));
    expect(pick(ours)).toEqual(pick(theirs));
  });

  test('SHOW POOL_STATUS: the items of pgpool-II, in its order, with its values where the settings agree', async () => {
    const ours = await psql(relay.port, 'SHOW POOL_STATUS');
    const theirs = await psql(pgpool.port, 'SHOW POOL_STATUS');
    expect(ours.rows.map((r) => r[0])).toEqual(theirs.rows.map((r) => r[0]));
    // Its own ports and paths; pool_passwd resolved to its file; a Debian build default; and the
    // standbys' status: a pgpool session connects to every node, a pgrelay session to one.
    const differ = new Set(['port', 'pcp_port', 'socket_dir', 'pcp_socket_dir', 'pid_file_name', 'logdir', 'memqcache_stats_start_time', 'wd_ipc_socket_dir', 'pool_passwd']);
    const kept = (rows: string[][]) => rows.filter((r) => !differ.has(r[0]!) && !/^backend_status\d+$/.test(r[0]!));
    expect(kept(ours.rows)).toEqual(kept(theirs.rows));
  });

  test('SHOW POOL_PROCESSES / POOL_POOLS show the asking session in its worker', async () => {
    const procs = await psql(relay.port, 'SHOW POOL_PROCESSES');
    expect(procs.rows).toHaveLength(4);
    const busy = procs.rows.filter((r) => r[3] === 'test');
    expect(busy).toHaveLength(1);
    expect(busy[0]!.slice(3, 5)).toEqual(['test', 'postgres']);
    expect(busy[0]![7]).toBe('Idle');
    const pools = await psql(relay.port, 'SHOW POOL_POOLS');
    expect(pools.rows).toHaveLength(4 * 2 * 3);
    const connected = pools.rows.filter((r) => r[15] === '1' && r[5] === 'test');
    expect(connected).toHaveLength(1);
    expect(connected[0]![4]).toBe('0');
    expect(connected[0]![11]).toBe('3');
  });

  test('PGPOOL SHOW: single values, groups and arrays as pgpool-II prints them', async () => {
    for (const name of ['client_idle_limit', 'child_life_time', 'memqcache_total_size', 'reset_query_list', 'log_min_messages', 'sr_check_password', 'backend_hostname1', 'load_balance_mode']) {
      const ours = await psql(relay.port, `PGPOOL SHOW ${name}`);
      const theirs = await psql(pgpool.port, `PGPOOL SHOW ${name}`);
      expect({ name, ours: ours.rows, header: ours.header }).toEqual({ name, ours: theirs.rows, header: theirs.header });
    }
    // Group and array rows: the items and values are pgpool's; the descriptions are pgrelay's.
    for (const name of ['backend', 'health_check', 'backend_weight', 'health_check_period', 'watchdog']) {
      const ours = await psql(relay.port, `PGPOOL SHOW ${name}`);
      const theirs = await psql(pgpool.port, `PGPOOL SHOW ${name}`);
      expect(ours.header).toEqual(['item', 'value', 'description']);
      expect({ name, rows: ours.rows.map((r) => r.slice(0, 2)) }).toEqual({ name, rows: theirs.rows.map((r) => r.slice(0, 2)) });
    }
  });

  test('PGPOOL SHOW ALL lists pgpool-II 4.3.5 items in its order, then the settings it did not have', async () => {
    const ours = (await psql(relay.port, 'PGPOOL SHOW ALL')).rows.map((r) => r[0]!);
    const theirs = (await psql(pgpool.port, 'PGPOOL SHOW ALL')).rows.map((r) => r[0]!);
    const known = new Set(theirs);
    expect(ours.filter((n) => known.has(n))).toEqual(theirs);
    expect(ours.slice(0, theirs.length)).toEqual(theirs);
  });

  test('PGPOOL SET / RESET / SHOW: same answers and errors as pgpool-II, inside a transaction too', async () => {
    const script = path.join(relay.dir, 'set.sql');
    fs.writeFileSync(
      script,
      [
        'PGPOOL SET client_idle_limit = 5;',
        'PGPOOL SHOW client_idle_limit;',
        'PGPOOL SET client_idle_limit = 120;',
        'PGPOOL SHOW client_idle_limit;',
        'PGPOOL SET client_idle_limit TO DEFAULT;',
        'PGPOOL SHOW client_idle_limit;',
        'PGPOOL SET port = 1;',
        'PGPOOL SET nosuch = 1;',
        'PGPOOL SET client_idle_limit = abc;',
        'PGPOOL SET log_statement = yes;',
        'PGPOOL SHOW log_statement;',
        'PGPOOL RESET log_statement;',
        'PGPOOL SHOW log_statement;',
        'PGPOOL RESET port;',
        'PGPOOL RESET ALL;',
        'PGPOOL SHOW nosuch;',
        'BEGIN;',
        'PGPOOL SET port = 1;',
        'SELECT 1 AS one;',
        'COMMIT;',
      ].join('\n') + '\n',
    );
    const args = (port: number) => ['-X', '-A', '-F', '|', '-h', '127.0.0.1', '-p', String(port), '-U', 'postgres', '-d', 'test', '-f', script];
    const ours = await run('psql', args(relay.port));
    const theirs = await run('psql', args(pgpool.port));
    expect(maskTimes(ours.stdout)).toEqual(maskTimes(theirs.stdout));
    expect(ours.stderr).toEqual(theirs.stderr);
    expect(ours.stderr).toContain('ERROR:  invalid Context, value for parameter "port" cannot be changed');
  });
});

suite('SHOW POOL_PROCESSES / POOL_POOLS / POOL_NODES with several workers', () => {
  let cluster: Cluster;
  let relay: Pgrelay;

  beforeAll(async () => {
    cluster = await startCluster({ standbys: 1 });
    // rr: the supervisor deals connections to the workers in turn, so both workers hold sessions.
    relay = await startPgrelay({ cluster, conf: { num_workers: 2, worker_scheduling: 'rr', num_init_children: 8, max_pool: 1, backend_weight1: 0 } });
  }, 60_000);

  afterAll(async () => {
    await cluster?.stop();
  });

  test('every worker\'s sessions are listed, whichever worker answers', async () => {
    const clients = await Promise.all([1, 2, 3, 4].map(() => connect(relay.port)));
    try {
      const pids = await Promise.all(clients.map(async (c) => (await c.query('SELECT pg_backend_pid() AS p')).rows[0].p as number));
      for (let k = 0; k < 2; k++) {
        // Asked twice: rr sends the two psql sessions to different workers.
        const procs = await psql(relay.port, 'SHOW POOL_PROCESSES');
        expect(procs.rows).toHaveLength(8);
        // A slot holding only a cached connection says "Wait for connection", as in pgpool.
        const inUse = procs.rows.filter((r) => r[procs.header.indexOf('status')] !== 'Wait for connection');
        expect(inUse).toHaveLength(5); // the four clients and psql itself
        expect(new Set(inUse.map((r) => r[0])).size).toBe(2); // in both workers
        const pools = await psql(relay.port, 'SHOW POOL_POOLS');
        const backendPids = pools.rows.filter((r) => r[pools.header.indexOf('pool_connected')] === '1').map((r) => Number(r[pools.header.indexOf('pool_backendpid')]));
        for (const p of pids) expect(backendPids).toContain(p);
      }
      // select_cnt adds up what every worker counted.
      const nodes = await psql(relay.port, 'SHOW POOL_NODES');
      expect(Number(nodes.rows[0]![nodes.header.indexOf('select_cnt')])).toBeGreaterThanOrEqual(4);
    } finally {
      await Promise.all(clients.map((c) => c.end()));
    }
  });

  test('a reload that changes backend_weight changes the shares in SHOW POOL_NODES (the ClusterState sessions balance by)', async () => {
    const lb = async () => {
      const t = await psql(relay.port, 'SHOW POOL_NODES');
      return t.rows.map((r) => r[t.header.indexOf('lb_weight')]);
    };
    expect(await lb()).toEqual(['1.000000', '0.000000']);
    fs.appendFileSync(relay.confPath, '\nbackend_weight1 = 3\n');
    process.kill(relay.pid, 'SIGHUP');
    await relay.waitForLog(/node 1 load balance weight changed from 0\.000000 to 0\.750000 \(reload\)/, 10_000);
    expect(await lb()).toEqual(['0.250000', '0.750000']);
  });
});

suite('replication_state / replication_sync_state from the sr check', () => {
  let cluster: Cluster;
  let relay: Pgrelay;
  let pgpool: RealPgpool;

  beforeAll(async () => {
    cluster = await startCluster({ standbys: 2 });
    // testkit names each standby node<N> in primary_conninfo and backend_application_name<N>.
    relay = await startPgrelay({ cluster, conf: { sr_check_period: 1, num_init_children: 4 } });
    pgpool = await startRealPgpool(relay);
  }, 60_000);

  afterAll(async () => {
    await pgpool?.stop();
    await cluster?.stop();
  });

  test('SHOW POOL_NODES and pcp_node_info show pg_stat_replication\'s state as pgpool-II does', async () => {
    const cols = ['node_id', 'role', 'replication_state', 'replication_sync_state'];
    const pick = (t: { header: string[]; rows: string[][] }) => t.rows.map((r) => cols.map((c) => r[t.header.indexOf(c)]));
    const expected = [['0', 'primary', '', ''], ['1', 'standby', 'streaming', 'async'], ['2', 'standby', 'streaming', 'async']];
    let ours: string[][] = [];
    let theirs: string[][] = [];
    for (let i = 0; i < 50; i++) {
      ours = pick(await psql(relay.port, 'SHOW POOL_NODES'));
      theirs = pick(await psql(pgpool.port, 'SHOW POOL_NODES'));
      if (JSON.stringify([ours, theirs]) === JSON.stringify([expected, expected])) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    expect({ ours, theirs }).toEqual({ ours: expected, theirs: expected });
    const env = { PCPPASSFILE: writePcppass(relay.dir, ['*:*:pcp_user:pcp_pass']) };
    const args = (port: number) => ['-h', '127.0.0.1', '-p', String(port), '-U', 'pcp_user', '-w', '-n', '1', '-v'];
    const field = (out: string, name: string) => out.split('\n').find((l) => l.startsWith(name))?.split(':')[1]?.trim();
    const mine = (await debianPcp('pcp_node_info', args(relay.pcpPort), env)).stdout;
    const real = (await debianPcp('pcp_node_info', args(pgpool.pcpPort), env)).stdout;
    for (const f of ['Replication State', 'Replication Sync State']) expect([f, field(mine, f)]).toEqual([f, field(real, f)]);
    expect(field(mine, 'Replication State')).toBe('streaming');
  });
});
