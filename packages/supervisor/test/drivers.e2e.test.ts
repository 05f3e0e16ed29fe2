/**
 * Applications in other languages through pgrelay: Python with psycopg2 (libpq, the simple
 * protocol, COPY, server-side cursors, LISTEN, cancel) and Java with pgjdbc (the extended
 * protocol, named server-side statements, batches, portals fetched in pieces). Both run
 * against a primary + standby with load balancing on, as SCRAM and md5 users.
 * scripts/setup installs Debian's python3-psycopg2 (for /usr/bin/python3), libpostgresql-jdbc-java
 * and a JRE.
 */
import path from 'node:path';
import { startCluster, startPgrelay, type Cluster, type Pgrelay } from '@pgrelay/testkit';
import { run } from './helpers';

const DRIVERS = path.join(__dirname, 'drivers');
const JDBC_JAR = '/usr/share/java/postgresql.jar';

describe('other languages\' drivers', () => {
  let cluster: Cluster;
  let relay: Pgrelay;

  beforeAll(async () => {
    cluster = await startCluster({ standbys: 1 });
    // Reads are balanced to the standby: with remote_apply a commit is visible there before it
    // is acknowledged, so the checks can read their own writes in the next transaction (as an
    // application that needs that would configure it; pgpool-II balances the same way).
    await cluster.nodes[0]!.query("ALTER SYSTEM SET synchronous_standby_names = 'node1'");
    await cluster.nodes[0]!.query("ALTER SYSTEM SET synchronous_commit = 'remote_apply'");
    await cluster.nodes[0]!.query('SELECT pg_reload_conf()');
    await cluster.waitForCatchup();
    relay = await startPgrelay({ cluster, conf: { num_init_children: 8 } });
  }, 60_000);

  afterAll(async () => {
    await relay?.stop('fast');
    await cluster?.stop();
  });

  test('Python psycopg2 as the SCRAM user', async () => {
    const { user, password } = cluster.users.scram;
    const r = await run('/usr/bin/python3', [path.join(DRIVERS, 'psycopg2_check.py'), '127.0.0.1', String(relay.port), user, password, 'test', 'drv_py'], {}, 60_000);
    expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: '' });
    expect(r.stdout).toMatch(/all ok\n$/);
  }, 70_000);

  test('Java pgjdbc as the md5 user', async () => {
    const { user, password } = cluster.users.md5;
    const r = await run('java', ['-cp', JDBC_JAR, path.join(DRIVERS, 'JdbcCheck.java'), '127.0.0.1', String(relay.port), user, password, 'test', 'drv_java'], {}, 90_000);
    expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: '' });
    expect(r.stdout).toMatch(/all ok\n$/);
  }, 100_000);
});
