/**
 * A backend connection that dies before a session takes it (its server process killed between
 * the login and the attach) must still tell the session, or a statement written to it would
 * wait for an answer forever. Real server, real socket.
 */
import { startCluster, type Cluster } from '@pgrelay/testkit';
import { BackendConn, type BackendOwner } from '../src/backend-conn';

let cluster: Cluster;

beforeAll(async () => {
  cluster = await startCluster();
}, 60_000);

afterAll(async () => {
  await cluster?.stop();
});

test('an owner attached after the backend died hears that it closed', async () => {
  const node = cluster.nodes[0]!;
  const conn = await BackendConn.open({ id: 0, host: '127.0.0.1', port: node.port }, { user: cluster.users.trust.user, database: 'postgres' }, async () => ({ user: cluster.users.trust.user }), { connectMs: 5000, loginMs: 5000 });
  await node.query('SELECT pg_terminate_backend($1)', [conn.pid]);
  for (let i = 0; i < 100 && !conn.closed; i++) await new Promise((r) => setTimeout(r, 20));
  expect(conn.closed).toBe(true);
  const closed = new Promise<Error | undefined>((resolve) => {
    const owner: BackendOwner = {
      beginBatch: () => undefined,
      endBatch: () => undefined,
      backendPassthrough: () => undefined,
      backendMessage: () => undefined,
      backendDrained: () => undefined,
      backendClosed: (_c, err) => resolve(err),
    };
    conn.attach(owner);
  });
  await expect(closed).resolves.toBeInstanceOf(Error);
});
