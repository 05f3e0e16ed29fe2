/**
 * The same sessions through pgrelay and through a real pgpool-II 4.3.5 on the same cluster:
 * every statement must run on the same node(s), read from each one's log_per_node_statement
 * lines. An operator's routing must not change when they swap pgpool for pgrelay.
 */
import { startCluster, startPgrelay, type Cluster, type Pgrelay } from '@pgrelay/testkit';
import { Client } from 'pg';
import { haveDebianPcp, startRealPgpool, type RealPgpool } from './pcp-tools';

// scripts/setup installs pgpool2 and postgresql-15-pgpool2: without them these tests fail, they do not hide.
const suite = describe;

/**
 * One client session per list. Left out on purpose, where pgrelay differs: txid_current()
 * (pgpool sends it to a standby, where it fails; pgrelay to the primary) and statements after
 * an error in a transaction (pgpool answers 25P02 itself, pgrelay lets the failed node say it).
 */
const SESSIONS: string[][] = [
  [
    'select 1', 'values (1)', 'table t', 'show port', '', ' select 1', '/* c */ select 1', 'select random()', 'select now()',
    'select pg_is_in_recovery()', 'select count(*) from t', "select nextval('s')", 'select * from pg_class limit 1',
    'select * from information_schema.tables limit 1', 'explain select 1', 'explain analyze select random()',
    'prepare p as select 1', 'execute p', 'deallocate p', "set application_name = 'x'", 'reset application_name',
    'select f_stable()', 'select f_vol()', 'select 1; select 2', '/*NO LOAD BALANCE*/ select 1',
    'with x as (select 1) select * from x', 'select * from t for update', 'insert into t values (1)', 'listen ch',
    'notify ch', 'unlisten ch', 'discard all', 'copy t to stdout', 'select 3',
  ],
  ['begin', 'select 1', 'set local statement_timeout = 1000', 'select 2', 'commit', 'select 3'],
  ['begin', 'savepoint a', 'select 1', 'rollback to a', 'select 2', 'commit'],
  ['begin', 'select 1', 'insert into t values (1)', 'select 2', 'commit', 'select 3'],
  ['begin isolation level serializable', 'select 1', 'commit', 'select 2'],
  ['begin', 'set transaction isolation level serializable', 'select 1', 'commit'],
  ['set session characteristics as transaction isolation level serializable', 'select 1', 'begin', 'select 2', 'commit'],
  ['create temp table tt (a int)', 'select * from tt', 'select 1', 'discard all', 'select 2'],
  ['begin', 'lock t in access share mode', 'lock t in row exclusive mode', 'commit'],
  ['begin read only', 'select 1', 'commit'],
  ['begin read write', 'select 1', 'commit'],
  ['start transaction', 'select 1', 'select random()', 'select 2', 'end'],
  ['begin', 'set transaction read only', 'select 1', 'commit'],
  ['set transaction_read_only = off', 'select 1'],
];

suite('routing: pgrelay and pgpool-II 4.3.5 send each statement to the same nodes', () => {
  let cluster: Cluster;
  let relay: Pgrelay;
  let pgpool: RealPgpool;

  beforeAll(async () => {
    cluster = await startCluster({ standbys: 2 });
    await cluster.primary().query(
      `create table t (a int); create sequence s;
       create function f_vol() returns int language sql as 'select 1';
       create function f_stable() returns int language sql stable as 'select 1'`,
      [],
      { database: 'test' },
    );
    await cluster.waitForCatchup();
    relay = await startPgrelay({ cluster, conf: { backend_weight0: 0, backend_weight1: 1, backend_weight2: 0, log_per_node_statement: true, num_init_children: 4 } });
    pgpool = await startRealPgpool(relay);
  }, 60_000);

  afterAll(async () => {
    await pgpool?.stop();
    await cluster?.stop();
  });

  /** For each statement: the node ids its log lines name (statements carry a unique marker). */
  async function nodesPerStatement(port: number, tag: string, log: () => string): Promise<string[]> {
    const marks: string[] = [];
    for (const session of SESSIONS) {
      const c = new Client({ host: '127.0.0.1', port, user: 'postgres', database: 'test' });
      await c.connect();
      for (const sql of session) {
        const mark = `${tag}${marks.length}x`;
        marks.push(mark);
        await c.query(`${sql} -- ${mark}`).catch(() => undefined);
      }
      await c.end();
    }
    await new Promise((r) => setTimeout(r, 300));
    const text = log();
    return marks.map((m) => {
      const ids = [...text.matchAll(new RegExp(`DB node id: (\\d+) backend pid: \\d+ statement: [^\\n]*-- ${m}\\b`, 'g'))].map((x) => x[1]);
      return [...new Set(ids)].sort().join(',');
    });
  }

  test('every statement of every session', async () => {
    const ours = await nodesPerStatement(relay.port, 'r', () => relay.log());
    const theirs = await nodesPerStatement(pgpool.port, 'p', () => pgpool.log());
    const statements = SESSIONS.flat();
    const diff = statements.map((sql, i) => [sql, ours[i], theirs[i]]).filter(([, a, b]) => a !== b);
    expect(diff).toEqual([]);
  }, 60_000);
});
