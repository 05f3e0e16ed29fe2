/** pgbench through pgrelay: 32 clients, each protocol mode, no failed transaction. */
import { startCluster, startPgrelay, type Cluster, type Pgrelay } from '@pgrelay/testkit';
import { run } from './helpers';

let cluster: Cluster;
let relay: Pgrelay;

beforeAll(async () => {
  cluster = await startCluster({ standbys: 0 });
  relay = await startPgrelay({ cluster, conf: { num_init_children: 40 } });
  const init = await run('pgbench', ['-i', '-q', '-s', '2', '-h', '127.0.0.1', '-p', String(relay.port), '-U', 'postgres', 'test']);
  expect(init.code).toBe(0);
}, 180_000);

afterAll(async () => {
  await relay?.stop('fast');
  await cluster?.stop();
});

function summary(out: string): { processed: number; failed: number } {
  const processed = Number(/number of transactions actually processed: (\d+)/.exec(out)?.[1] ?? NaN);
  const failed = Number(/number of failed transactions: (\d+)/.exec(out)?.[1] ?? 0);
  return { processed, failed };
}

test.each(['simple', 'extended', 'prepared'])('pgbench -c 32 -j 2 -T 10 -M %s: 0 failed transactions', async (mode) => {
  const r = await run('pgbench', ['-c', '32', '-j', '2', '-T', '10', '-M', mode, '-h', '127.0.0.1', '-p', String(relay.port), '-U', 'postgres', 'test'], {}, 60_000);
  expect(r.stderr).not.toMatch(/error|aborted/i);
  expect(r.code).toBe(0);
  const s = summary(r.stdout);
  expect(s.processed).toBeGreaterThan(100);
  expect(s.failed).toBe(0);
}, 60_000);
