/**
 * pgbench through pgrelay on a primary and two standbys, counted on the nodes themselves
 * (pg_stat_statements): 10 000 `pgbench -S` sessions land on the nodes in proportion to
 * their weights, and every statement of the tpcb-like script's transactions — writes and the
 * read after them — runs on the primary.
 */
import { startCluster, startPgrelay, type Cluster } from '@pgrelay/testkit';
import { run } from './helpers';

let cluster: Cluster;

const SELECT = 'SELECT abalance FROM pgbench_accounts WHERE aid = $1';

beforeAll(async () => {
  cluster = await startCluster({ standbys: 2, pgConf: { shared_preload_libraries: 'pg_stat_statements' } });
  const p = cluster.primary();
  const init = await run('pgbench', ['-i', '-q', '-s', '1', '-h', '127.0.0.1', '-p', String(p.port), '-U', 'postgres', 'test']);
  expect(init.code).toBe(0);
  await p.query('create extension pg_stat_statements', [], { database: 'test' });
  await cluster.waitForCatchup();
}, 60_000);

afterAll(async () => {
  await cluster?.stop();
});

/** Calls per statement text on each node, as that node counted them. */
async function callsByNode(): Promise<Map<string, number>[]> {
  return Promise.all(
    cluster.nodes.map(async (n) => {
      const rows = await n.query<{ query: string; calls: string }>('select query, calls from pg_stat_statements', [], { database: 'test' });
      const m = new Map<string, number>();
      for (const r of rows) m.set(r.query, (m.get(r.query) ?? 0) + Number(r.calls));
      return m;
    }),
  );
}

function delta(before: Map<string, number>[], after: Map<string, number>[], query: (q: string) => boolean): number[] {
  return after.map((m, i) => {
    let d = 0;
    for (const [q, c] of m) if (query(q)) d += c - (before[i]!.get(q) ?? 0);
    return d;
  });
}

async function pgbench(port: number, args: string[]): Promise<void> {
  const r = await run('pgbench', [...args, '-h', '127.0.0.1', '-p', String(port), '-U', 'postgres', 'test'], {}, 120_000);
  expect(r.stderr).not.toMatch(/error|aborted/i);
  expect(r.code).toBe(0);
  expect(/number of failed transactions: (\d+)/.exec(r.stdout)?.[1] ?? '0').toBe('0');
}

test.each([
  ['0:1:1', [0, 1, 1]],
  ['1:1:1', [1, 1, 1]],
])('10 000 pgbench -S sessions follow the weights %s (within 5 points)', async (_name, weights) => {
  const relay = await startPgrelay({
    cluster,
    conf: { num_init_children: 16, backend_weight0: weights[0]!, backend_weight1: weights[1]!, backend_weight2: weights[2]! },
  });
  try {
    const before = await callsByNode();
    // -C: a new session per transaction, so each one draws its load-balance node
    await pgbench(relay.port, ['-S', '-C', '-n', '-c', '8', '-j', '2', '-t', '1250']);
    const counts = delta(before, await callsByNode(), (q) => q === SELECT);
    const total = counts.reduce((a, b) => a + b, 0);
    expect(total).toBe(10_000);
    const sum = weights.reduce((a, b) => a + b, 0);
    counts.forEach((c, i) => expect(Math.abs((100 * c) / total - (100 * weights[i]!) / sum)).toBeLessThanOrEqual(5));
  } finally {
    await relay.stop('fast');
  }
}, 90_000);

test('tpcb-like: every write, and every read after one in its transaction, runs on the primary', async () => {
  const relay = await startPgrelay({ cluster, conf: { num_init_children: 16 } });
  try {
    const before = await callsByNode();
    await pgbench(relay.port, ['-n', '-c', '4', '-j', '2', '-t', '250', '-M', 'prepared']);
    await pgbench(relay.port, ['-n', '-c', '4', '-j', '2', '-t', '250', '-M', 'simple']);
    const after = await callsByNode();
    const writes = delta(before, after, (q) => /^(UPDATE|INSERT)/.test(q));
    // three UPDATEs and an INSERT per transaction, 2 000 transactions
    expect(writes).toEqual([8000, 0, 0]);
    // the SELECT follows an UPDATE in the same transaction: it must see it, so the primary reads it too
    const reads = delta(before, after, (q) => q.startsWith('SELECT abalance'));
    expect(reads).toEqual([2000, 0, 0]);
  } finally {
    await relay.stop('fast');
  }
}, 90_000);
