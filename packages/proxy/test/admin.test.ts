/** pgpool's SQL admin commands as the worker answers them, without a backend. */
import { parseConfigText } from '@pgrelay/config';
import type { ClusterState } from '@pgrelay/cluster';
import { classify } from '@pgrelay/sql';
import { answerAdmin, type AdminSession } from '../src/admin';
import { ConnectionPool } from '../src/pool';
import type { WorkerContext } from '../src/context';

const config = parseConfigText(
  [
    "backend_hostname0 = 'h0'", 'backend_port0 = 5432', 'backend_weight0 = 1',
    "backend_hostname1 = 'h1'", 'backend_port1 = 5433', 'backend_weight1 = 3',
    'num_init_children = 4', 'max_pool = 2', 'num_workers = 1', 'child_life_time = 300',
  ].join('\n'),
  '/etc/pgpool2/pgpool.conf',
).values;

const state: ClusterState = {
  version: 3,
  mode: 'streaming_replication',
  primaryId: 0,
  mainId: 0,
  nodes: [
    { id: 0, host: 'h0', port: 5432, status: 'up', role: 'primary', weight: 0.25, lastStatusChange: Date.UTC(2026, 0, 2, 3, 4, 5), replicationDelay: 0 },
    { id: 1, host: 'h1', port: 5433, status: 'down', role: 'standby', weight: 0.75, lastStatusChange: Date.UTC(2026, 0, 2, 3, 4, 5), replicationDelay: 1024 },
  ],
};

const ctx = { workerIndex: 0, workerCount: 1, config, state, sessions: new Set(), pool: new ConnectionPool({ maxIdle: 0, lifeTimeSec: 0 }) } as unknown as WorkerContext;
const session = (): AdminSession => ({ user: 'u', database: 'd', nodeId: 0, overrides: new Map() });

interface Reply {
  columns?: string[];
  rows: string[][];
  tag?: string;
  error?: Record<string, string>;
  ready?: string;
}

/** Decodes T, D, C, E, Z. */
function decode(buf: Buffer): Reply {
  const r: Reply = { rows: [] };
  let i = 0;
  while (i < buf.length) {
    const type = String.fromCharCode(buf[i]!);
    const len = buf.readInt32BE(i + 1);
    const body = buf.subarray(i + 5, i + 1 + len);
    i += 1 + len;
    if (type === 'T') {
      const n = body.readInt16BE(0);
      let p = 2;
      r.columns = [];
      for (let k = 0; k < n; k++) {
        const end = body.indexOf(0, p);
        r.columns.push(body.toString('utf8', p, end));
        p = end + 1 + 18;
      }
    } else if (type === 'D') {
      const n = body.readInt16BE(0);
      let p = 2;
      const row: string[] = [];
      for (let k = 0; k < n; k++) {
        const l = body.readInt32BE(p);
        row.push(body.toString('utf8', p + 4, p + 4 + l));
        p += 4 + l;
      }
      r.rows.push(row);
    } else if (type === 'C') r.tag = body.toString('utf8', 0, body.length - 1);
    else if (type === 'E') {
      r.error = {};
      for (const f of body.toString('utf8').split('\0').filter(Boolean)) r.error[f[0]!] = f.slice(1);
    } else if (type === 'Z') r.ready = body.toString('latin1');
  }
  return r;
}

const ask = async (sql: string, s = session(), tx: 'I' | 'T' | 'E' = 'I') => {
  const out = await answerAdmin(classify(sql), ctx, s, tx);
  return out === null ? null : decode(out);
};

test('ordinary SQL, and an admin command next to other statements, go to the backend', async () => {
  expect(await ask('SELECT 1')).toBeNull();
  expect(await ask('SHOW POOL_NODES; SELECT 1')).toBeNull();
});

test('SHOW POOL_NODES: pgpool-II 4.3.5 columns; weights as shares; the primary delay is 0', async () => {
  const r = (await ask('show pool_nodes'))!;
  expect(r.columns).toEqual([
    'node_id', 'hostname', 'port', 'status', 'pg_status', 'lb_weight', 'role', 'pg_role', 'select_cnt', 'load_balance_node',
    'replication_delay', 'replication_state', 'replication_sync_state', 'last_status_change',
  ]);
  expect(r.rows.map((x) => x.slice(0, 13))).toEqual([
    ['0', 'h0', '5432', 'up', 'unknown', '0.250000', 'primary', 'unknown', '0', 'true', '0', '', ''],
    ['1', 'h1', '5433', 'down', 'unknown', '0.750000', 'standby', 'unknown', '0', 'false', '1024', '', ''],
  ]);
  expect(r.rows[0]![13]).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);
  expect([r.tag, r.ready]).toEqual(['SELECT 2', 'I']);
});

test('the reply keeps the transaction status it was asked in', async () => {
  expect(await ask('SHOW POOL_VERSION', session(), 'T')).toMatchObject({ rows: [['4.3.5 (tamahomeboshi)']], ready: 'T' });
});

test('SHOW POOL_PROCESSES: one row per session slot of this worker, waiting when empty', async () => {
  const r = (await ask('SHOW POOL_PROCESSES'))!;
  expect(r.columns).toEqual(['pool_pid', 'start_time', 'client_connection_count', 'database', 'username', 'backend_connection_time', 'pool_counter', 'status']);
  expect(r.rows).toHaveLength(4);
  for (const row of r.rows) expect([row[0], row[3], row[7]]).toEqual([String(process.pid), '', 'Wait for connection']);
  expect((await ask('SHOW POOL_POOLS'))!.rows).toHaveLength(4 * 2 * 2);
});

test('PGPOOL SHOW: a value with its unit, an array, a group, an unknown name', async () => {
  expect(await ask('PGPOOL SHOW child_life_time')).toMatchObject({ columns: ['child_life_time'], rows: [['5min']], tag: 'SELECT 1' });
  expect((await ask('PGPOOL SHOW backend_weight'))!.rows.map((r) => r.slice(0, 2))).toEqual([['backend_weight0', '1'], ['backend_weight1', '3']]);
  expect((await ask('PGPOOL SHOW backend'))!.rows.map((r) => r[0])).toEqual([
    'backend_hostname0', 'backend_port0', 'backend_weight0', 'backend_data_directory0', 'backend_application_name0', 'backend_flag0',
    'backend_hostname1', 'backend_port1', 'backend_weight1', 'backend_data_directory1', 'backend_application_name1', 'backend_flag1',
  ]);
  expect((await ask('PGPOOL SHOW health_check_period'))!.rows.map((r) => r[0])).toEqual(['health_check_period', 'health_check_period0', 'health_check_period1']);
  expect((await ask('PGPOOL SHOW sr_check_password'))!.rows).toEqual([['*****']]);
  expect((await ask('PGPOOL SHOW nosuch'))!.error).toMatchObject({ S: 'ERROR', C: 'XX000', M: 'config variable "nosuch" not found' });
});

test('PGPOOL SET / RESET: session parameters only, values checked, this session only', async () => {
  const s = session();
  expect(await ask('PGPOOL SET client_idle_limit = 90', s)).toMatchObject({ tag: 'SET', ready: 'I' });
  expect((await ask('PGPOOL SHOW client_idle_limit', s))!.rows).toEqual([['90s']]);
  expect((await ask('PGPOOL SHOW client_idle_limit'))!.rows).toEqual([['0']]);
  expect(s.overrides.get('client_idle_limit')).toBe(90);
  expect(await ask("PGPOOL SET client_idle_limit TO '2min'", s)).toMatchObject({ tag: 'SET' });
  expect(s.overrides.get('client_idle_limit')).toBe(120);
  expect(await ask('PGPOOL SET log_min_messages = debug1', s)).toMatchObject({ tag: 'SET' });
  expect((await ask('PGPOOL SET port = 1', s))!.error!.M).toBe('invalid Context, value for parameter "port" cannot be changed');
  expect((await ask('PGPOOL SET nosuch = 1', s))!.error!.M).toBe('unrecognized configuration parameter "nosuch"');
  expect((await ask("PGPOOL SET client_idle_limit = 'abc'", s))!.error!.M).toBe('invalid value for parameter "client_idle_limit": "abc"');
  expect((await ask('PGPOOL SET log_min_messages = loud', s))!.error!.M).toBe('invalid value for parameter "log_min_messages": "loud"');
  // 4.3.5 answers RESET of one parameter with the tag SET.
  expect(await ask('PGPOOL RESET client_idle_limit', s)).toMatchObject({ tag: 'SET' });
  expect(s.overrides.has('client_idle_limit')).toBe(false);
  expect(await ask('PGPOOL RESET ALL', s)).toMatchObject({ tag: 'RESET' });
  expect(s.overrides.size).toBe(0);
  expect(await ask('PGPOOL SET port = 1', s, 'T')).toMatchObject({ ready: 'T' });
});
