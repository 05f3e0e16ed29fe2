/**
 * Replication-lag checks (sr_check_period) against real standbys: a standby whose replay is
 * paused falls more than delay_threshold behind and gets no reads; once it catches up it
 * gets reads again; both moments are logged with the lag. The lag arithmetic and log lines
 * are checked without a cluster first.
 */
import { startCluster, startPgrelay, type Cluster, type Pgrelay } from '@pgrelay/testkit';
import { Client } from 'pg';
import { byteLags, parseLsn, standbyDelayLine, transitions, type LagSettings } from '../src/sr-check/lag';

describe('lag arithmetic and log lines', () => {
  const bytes: LagSettings = { delayThreshold: 1000, delayThresholdByTime: 0, logStandbyDelay: 'if_over_threshold' };

  test('LSNs: hi/lo hex halves; NULL and garbage are unknown', () => {
    expect(parseLsn('0/3000060')).toBe(0x3000060);
    expect(parseLsn('16/B374D848')).toBe(0x16 * 2 ** 32 + 0xb374d848);
    expect(parseLsn(null)).toBeNull();
    expect(parseLsn('x/y')).toBeNull();
  });

  test('byte lag never goes below zero', () => {
    expect(byteLags(5000, new Map([[1, 1000], [2, 6000]]))).toEqual([
      { nodeId: 1, lag: 4000 },
      { nodeId: 2, lag: 0 },
    ]);
  });

  test("pgpool's line, by log_standby_delay", () => {
    expect(standbyDelayLine({ nodeId: 2, lag: 5000 }, 0, bytes)).toBe('Replication of node: 2 is behind 5000 bytes from the primary server (node: 0)');
    expect(standbyDelayLine({ nodeId: 2, lag: 500 }, 0, bytes)).toBeNull();
    expect(standbyDelayLine({ nodeId: 2, lag: 500 }, 0, { ...bytes, logStandbyDelay: 'always' })).not.toBeNull();
    expect(standbyDelayLine({ nodeId: 2, lag: 0 }, 0, { ...bytes, logStandbyDelay: 'always' })).toBeNull();
    expect(standbyDelayLine({ nodeId: 2, lag: 5000 }, 0, { ...bytes, logStandbyDelay: 'none' })).toBeNull();
    expect(standbyDelayLine({ nodeId: 1, lag: 2_500_000 }, 0, { delayThreshold: 0, delayThresholdByTime: 1000, logStandbyDelay: 'if_over_threshold' })).toBe(
      'Replication of node: 1 is behind 2.500000 second(s) from the primary server (node: 0)',
    );
  });

  test('leaving and rejoining load balancing is said once each', () => {
    const over = new Set<number>();
    expect(transitions([{ nodeId: 1, lag: 10 }], over, bytes)).toEqual([]);
    expect(transitions([{ nodeId: 1, lag: 5000 }], over, bytes)).toEqual(['node 1 leaves load balancing: replication delay 5000 bytes is over delay_threshold 1000 bytes']);
    expect(transitions([{ nodeId: 1, lag: 6000 }], over, bytes)).toEqual([]);
    expect(transitions([{ nodeId: 1, lag: 0 }], over, bytes)).toEqual(['node 1 rejoins load balancing: replication delay 0 bytes is within delay_threshold 1000 bytes']);
    expect(transitions([{ nodeId: 1, lag: 9e9 }], new Set(), { ...bytes, delayThreshold: 0 })).toEqual([]);
  });
});

describe('a standby with replay paused', () => {
  let cluster: Cluster;
  let relay: Pgrelay;
  let nodeOfPort: Map<number, number>;
  const THRESHOLD = 64 * 1024;

  beforeAll(async () => {
    cluster = await startCluster({ standbys: 2 });
    nodeOfPort = new Map(cluster.nodes.map((n) => [n.port, n.id]));
    await cluster.primary().query('create table filler (id int, pad text)', [], { database: 'test' });
    await cluster.waitForCatchup();
    relay = await startPgrelay({
      cluster,
      conf: { sr_check_period: 1, delay_threshold: THRESHOLD, backend_weight0: 0, backend_weight1: 1, backend_weight2: 1, num_init_children: 16 },
    });
  }, 60_000);

  afterAll(async () => {
    await cluster?.stop();
  });

  /** Nodes that answered `sessions` new sessions' reads. */
  async function readers(port: number, sessions = 24): Promise<Map<number, number>> {
    const seen = new Map<number, number>();
    for (let i = 0; i < sessions; i++) {
      const c = new Client({ host: '127.0.0.1', port, user: 'postgres', database: 'test' });
      await c.connect();
      const id = nodeOfPort.get((await c.query('select inet_server_port() p')).rows[0].p)!;
      seen.set(id, (seen.get(id) ?? 0) + 1);
      await c.end();
    }
    return seen;
  }

  test('receives no reads while it lags more than delay_threshold, and reads again once it caught up', async () => {
    expect((await readers(relay.port)).get(2)).toBeGreaterThan(0);
    const standby = cluster.nodes[2]!;
    // a session whose load-balance node is node 2 before it falls behind
    let pinned: Client | null = null;
    for (let i = 0; i < 40 && pinned === null; i++) {
      const c = new Client({ host: '127.0.0.1', port: relay.port, user: 'postgres', database: 'test' });
      await c.connect();
      if (nodeOfPort.get((await c.query('select inet_server_port() p')).rows[0].p) === 2) pinned = c;
      else await c.end();
    }
    expect(pinned).not.toBeNull();

    await standby.query('select pg_wal_replay_pause()');
    await cluster.primary().query("insert into filler select g, repeat('x', 200) from generate_series(1, 4000) g", [], { database: 'test' });
    const left = await relay.waitForLog(/node 2 leaves load balancing: replication delay \d+ bytes is over delay_threshold 65536 bytes/, 15_000);
    expect(Number(/delay (\d+) bytes/.exec(left)![1])).toBeGreaterThan(THRESHOLD);
    await relay.waitForLog(/Replication of node: 2 is behind \d+ bytes from the primary server \(node: 0\)/, 5000);

    const delay = (await pinned!.query('show pool_nodes')).rows.find((r) => r.node_id === '2')!.replication_delay;
    expect(Number(delay)).toBeGreaterThan(THRESHOLD);
    expect((await readers(relay.port)).get(2)).toBeUndefined();
    // its own reads go to the primary meanwhile
    expect(nodeOfPort.get((await pinned!.query('select inet_server_port() p')).rows[0].p)).toBe(0);

    // prefer_lower_delay_standby: the least-lagged standby instead of the primary
    const prefer = await startPgrelay({
      cluster,
      conf: { sr_check_period: 1, delay_threshold: THRESHOLD, prefer_lower_delay_standby: true, backend_weight0: 0, backend_weight1: 1, backend_weight2: 1 },
    });
    await prefer.waitForLog(/node 2 leaves load balancing/, 15_000);
    expect([...(await readers(prefer.port, 16)).keys()]).toEqual([1]);
    await prefer.stop('fast');

    await standby.query('select pg_wal_replay_resume()');
    await relay.waitForLog(/node 2 rejoins load balancing: replication delay \d+ bytes is within delay_threshold 65536 bytes/, 15_000);
    expect((await readers(relay.port)).get(2)).toBeGreaterThan(0);
    expect(nodeOfPort.get((await pinned!.query('select inet_server_port() p')).rows[0].p)).toBe(2);
    await pinned!.end();
  }, 60_000);
});
