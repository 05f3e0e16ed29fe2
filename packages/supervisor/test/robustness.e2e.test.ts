/** Bad input harms nobody else; a dead worker is replaced; a bad pgpool.conf stops the start. */
import net from 'node:net';
import { startCluster, startPgrelay, type Cluster, type Pgrelay } from '@pgrelay/testkit';
import { workerOfPid } from '@pgrelay/cluster';
import { connect, workerProcesses } from './helpers';

let cluster: Cluster;
let relay: Pgrelay;

beforeAll(async () => {
  cluster = await startCluster({ standbys: 0 });
  relay = await startPgrelay({ cluster, conf: { num_workers: 2, authentication_timeout: 2, num_init_children: 100 } });
}, 120_000);

afterAll(async () => {
  await relay?.stop('fast');
  await cluster?.stop();
});

/** Opens a raw socket, writes `bytes`, and resolves with everything the server sent until it closed. */
function rawExchange(port: number, bytes: Buffer, waitMs = 5000): Promise<{ data: Buffer; closed: boolean }> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    const parts: Buffer[] = [];
    const timer = setTimeout(() => {
      s.destroy();
      resolve({ data: Buffer.concat(parts), closed: false });
    }, waitMs);
    s.on('connect', () => s.write(bytes));
    s.on('data', (d) => parts.push(d));
    s.on('error', () => undefined);
    s.on('close', () => {
      clearTimeout(timer);
      resolve({ data: Buffer.concat(parts), closed: true });
    });
  });
}

function startupPacket(user: string, database: string): Buffer {
  const body = Buffer.from(`user\0${user}\0database\0${database}\0\0`);
  const b = Buffer.alloc(8 + body.length);
  b.writeInt32BE(b.length, 0);
  b.writeInt32BE(196608, 4);
  body.copy(b, 8);
  return b;
}

async function loggedInSocket(port: number): Promise<net.Socket> {
  const s = net.connect(port, '127.0.0.1');
  await new Promise((r) => s.once('connect', r));
  s.write(startupPacket('postgres', 'test'));
  let seen = Buffer.alloc(0);
  await new Promise<void>((resolve) => {
    const on = (d: Buffer) => {
      seen = Buffer.concat([seen, d]);
      if (seen.includes(Buffer.from([0x5a, 0, 0, 0, 5]))) {
        s.off('data', on);
        resolve();
      }
    };
    s.on('data', on);
  });
  return s;
}

describe('bad input', () => {
  test('random bytes, a 2 GB length and half a startup packet: an error or a timeout, and a busy session next door carries on', async () => {
    const neighbour = await connect(relay.port);
    const busy = (async () => {
      for (let i = 0; i < 50; i++) {
        const r = await neighbour.query('SELECT $1::int AS v', [i]);
        expect(r.rows[0].v).toBe(i);
        await new Promise((res) => setTimeout(res, 20));
      }
    })();

    const random = await rawExchange(relay.port, Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'));
    expect(random.closed).toBe(true);
    expect(random.data[0]).toBe(0x45); // ErrorResponse
    expect(random.data.toString()).toMatch(/08P01|invalid length|unsupported frontend protocol/);

    const half = await rawExchange(relay.port, startupPacket('postgres', 'test').subarray(0, 10), 6000);
    expect(half.closed).toBe(true); // authentication_timeout = 2 s

    // A logged-in client that then claims a 2 GB message.
    const s = await loggedInSocket(relay.port);
    const reply = await new Promise<{ data: Buffer }>((resolve) => {
      const parts: Buffer[] = [];
      s.on('data', (d) => parts.push(d));
      s.on('close', () => resolve({ data: Buffer.concat(parts) }));
      const huge = Buffer.alloc(5);
      huge[0] = 0x51;
      huge.writeInt32BE(0x7ffffff0, 1);
      s.write(huge);
    });
    expect(reply.data.toString()).toMatch(/08P01/);
    expect(reply.data.toString()).toMatch(/invalid message length/);

    await busy;
    expect((await neighbour.query('SELECT 1 AS v')).rows[0].v).toBe(1);
    await neighbour.end();
  });
});

describe('workers', () => {
  test('kill -9 of a worker: it is respawned and clients of the other worker notice nothing', async () => {
    const workers = workerProcesses(relay.pid);
    expect(workers.map((w) => w.index).sort()).toEqual([0, 1]);
    // The cancel-key pid pgrelay hands a client carries the index of the worker serving it.
    const workerOf = (c: any) => workerOfPid(c.processID as number);
    // The kernel, not pgrelay, spreads connections over workers sharing a socket: connect
    // until both workers hold some.
    const clients: Awaited<ReturnType<typeof connect>>[] = [];
    while (clients.length < 80 && (clients.length < 8 || new Set(clients.map(workerOf)).size < 2)) {
      const c = await connect(relay.port);
      // Clients of the killed worker lose their connection: that is the expected outcome.
      c.on('error', () => undefined);
      clients.push(c);
    }
    const victim = workers[0]!;
    process.kill(victim.pid, 'SIGKILL');
    await relay.waitForLog(new RegExp(`worker process ${victim.pid} exited`), 10_000);
    const results = await Promise.allSettled(clients.map((c) => c.query('SELECT 1 AS v')));
    clients.forEach((c, i) => {
      if (workerOf(c) === victim.index) expect(results[i]!.status).toBe('rejected');
      else expect(results[i]).toMatchObject({ status: 'fulfilled' });
    });
    expect(clients.some((c) => workerOf(c) !== victim.index)).toBe(true);
    for (const c of clients) await c.end().catch(() => undefined);
    // The respawned worker takes its place.
    const deadline = Date.now() + 10_000;
    while (workerProcesses(relay.pid).length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(workerProcesses(relay.pid).map((w) => w.index).sort()).toEqual([0, 1]);
    for (let i = 0; i < 6; i++) {
      const c = await connect(relay.port);
      expect((await c.query('SELECT 1 AS v')).rows[0].v).toBe(1);
      await c.end();
    }
  });
});

describe('configuration errors', () => {
  test('a bad pgpool.conf: exit 1 and a message with file:line:key', async () => {
    const bad = startPgrelay({ cluster, rawConf: 'port = not_a_port\n', waitReady: false });
    const r = await bad;
    const code = await r.exited;
    expect(code).toBe(1);
    expect(r.log()).toMatch(new RegExp(`${r.confPath.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}:\\d+: port:`));
  });
});
