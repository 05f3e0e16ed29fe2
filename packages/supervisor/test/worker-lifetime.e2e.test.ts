/** child_max_connections and child_life_time, given a meaning per worker: graceful retirement. */
import { startCluster, startPgrelay, type Cluster } from '@pgrelay/testkit';
import { connect, workerProcesses } from './helpers';

let cluster: Cluster;

beforeAll(async () => {
  cluster = await startCluster({ standbys: 0 });
}, 60_000);

afterAll(async () => {
  await cluster?.stop();
});

async function waitFor(cond: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}

test('child_max_connections: the worker retires after N sessions without cutting the open one off', async () => {
  const relay = await startPgrelay({ cluster, conf: { num_workers: 1, child_max_connections: 3 } });
  try {
    const [first] = workerProcesses(relay.pid);
    for (let i = 0; i < 2; i++) {
      const c = await connect(relay.port);
      await c.end();
    }
    const third = await connect(relay.port); // the third session: the worker starts retiring
    await relay.waitForLog(/retires \(child_max_connections \(3\) reached\)/, 5000);
    await waitFor(() => workerProcesses(relay.pid).length === 2);
    expect((await third.query('SELECT 1 AS v')).rows[0].v).toBe(1); // still served by the old worker
    const fresh = await connect(relay.port); // served by either worker while they hand over
    expect((await fresh.query('SELECT 2 AS v')).rows[0].v).toBe(2);
    await Promise.all([third.end(), fresh.end()]);
    await waitFor(() => !workerProcesses(relay.pid).some((w) => w.pid === first!.pid));
    await relay.waitForLog(/retired worker process \d+ exited/, 5000);
    const later = await connect(relay.port);
    expect((await later.query('SELECT 3 AS v')).rows[0].v).toBe(3);
    await later.end();
  } finally {
    await relay.stop('fast');
  }
});

test('child_life_time: a worker idle that long after serving a session is replaced', async () => {
  const relay = await startPgrelay({ cluster, conf: { num_workers: 1, child_life_time: 1 } });
  try {
    const [first] = workerProcesses(relay.pid);
    const c = await connect(relay.port);
    await c.end();
    await relay.waitForLog(/retires \(idle for child_life_time \(1 s\)\)/, 5000);
    await waitFor(() => {
      const ws = workerProcesses(relay.pid);
      return ws.length === 1 && ws[0]!.pid !== first!.pid;
    });
    const again = await connect(relay.port);
    expect((await again.query('SELECT 3 AS v')).rows[0].v).toBe(3);
    await again.end();
  } finally {
    await relay.stop('fast');
  }
});
