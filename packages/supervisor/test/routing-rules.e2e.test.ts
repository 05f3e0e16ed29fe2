/**
 * pgpool's routing rules (pgpool-compat.md §10) against a real primary and two standbys:
 * which node answered — inet_server_port() in the result, or the node's log lines — is the
 * assertion. The load-balance node is pinned to node 1 with weights 0:1:0 unless a test
 * says otherwise.
 */
import net from 'node:net';
import { MessageWriter, simpleQuery } from '@pgrelay/protocol';
import { startCluster, startPgrelay, type Cluster, type Pgrelay } from '@pgrelay/testkit';
import { Client } from 'pg';
import { to as copyTo } from 'pg-copy-streams';

let cluster: Cluster;
let relay: Pgrelay;
/** Node id by port. */
let nodeOfPort: Map<number, number>;

const PINNED = { backend_weight0: 0, backend_weight1: 1, backend_weight2: 0, log_per_node_statement: true, num_init_children: 16 };

beforeAll(async () => {
  cluster = await startCluster({ standbys: 2 });
  nodeOfPort = new Map(cluster.nodes.map((n) => [n.port, n.id]));
  await cluster.primary().query(
    `create table items (id int primary key, v text);
     create table orders (id int);
     create table order_lines (id int);
     create function vol_f() returns int language sql as 'select 1';
     create function stable_f() returns int language sql stable as 'select 1';
     create function writer_f() returns int language sql stable as 'select 1'`,
    [],
    { database: 'test' },
  );
  await cluster.waitForCatchup();
  relay = await startPgrelay({ cluster, conf: PINNED });
}, 60_000);

afterAll(async () => {
  await cluster?.stop();
});

async function client(port = relay.port, opts: { application_name?: string; database?: string } = {}): Promise<Client> {
  const c = new Client({ host: '127.0.0.1', port, user: 'postgres', database: opts.database ?? 'test', application_name: opts.application_name });
  await c.connect();
  return c;
}

/** The node that ran `sql`; the query must return inet_server_port() as its first column. */
async function nodeOf(c: Client, sql: string, values?: unknown[]): Promise<number> {
  const r = await c.query({ text: sql, values, rowMode: 'array' });
  return nodeOfPort.get(Number(r.rows[0][0]))!;
}

async function withRelay<T>(conf: Record<string, string | number | boolean>, fn: (r: Pgrelay) => Promise<T>): Promise<T> {
  const r = await startPgrelay({ cluster, conf: { ...PINNED, ...conf } });
  try {
    return await fn(r);
  } finally {
    await r.stop('fast');
  }
}

describe('reads go to the load-balance node, everything else to the primary', () => {
  let c: Client;
  beforeAll(async () => {
    c = await client();
  });
  afterAll(async () => {
    await c.end();
  });

  test('a SELECT, SHOW and COPY TO STDOUT are read on the standby', async () => {
    expect(await nodeOf(c, 'select inet_server_port()')).toBe(1);
    expect(await nodeOf(c, 'with x as (select 1) select inet_server_port() from x')).toBe(1);
    expect(nodeOfPort.get(Number((await c.query('show port')).rows[0].port))).toBe(1);
    const rows: Buffer[] = [];
    const stream = c.query(copyTo('copy (select inet_server_port()) to stdout'));
    for await (const chunk of stream) rows.push(chunk as Buffer);
    expect(nodeOfPort.get(Number(Buffer.concat(rows).toString().trim()))).toBe(1);
  });

  test('writes, locking reads, SELECT INTO and data-modifying WITH go to the primary', async () => {
    expect(await nodeOf(c, "insert into items values (1, 'a') on conflict (id) do update set v = 'a' returning inet_server_port()")).toBe(0);
    expect(await nodeOf(c, 'select inet_server_port() from items for update')).toBe(0);
    expect(await nodeOf(c, 'select inet_server_port() from items for share')).toBe(0);
    expect(await nodeOf(c, 'with d as (delete from orders returning *) select inet_server_port()')).toBe(0);
    await c.query('select inet_server_port() as p into temp t_into');
    expect(await nodeOf(c, 'select p from t_into')).toBe(0);
  });

  test('writing functions: volatile ones (pg_proc.provolatile), nextval; stable ones are balanced', async () => {
    expect(await nodeOf(c, 'select inet_server_port(), random()')).toBe(0);
    expect(await nodeOf(c, 'select inet_server_port(), vol_f()')).toBe(0);
    expect(await nodeOf(c, 'select inet_server_port(), stable_f(), now()')).toBe(1);
    expect(await nodeOf(c, 'select inet_server_port(), count(*) from items')).toBe(1);
  });

  test('/*NO LOAD BALANCE*/, system catalogs and multi-statement queries go to the primary', async () => {
    expect(await nodeOf(c, '/*NO LOAD BALANCE*/ select inet_server_port()')).toBe(0);
    expect(await nodeOf(c, 'select inet_server_port() from pg_class limit 1')).toBe(0);
    const multi = await c.query({ text: 'select 1; select inet_server_port()', rowMode: 'array' });
    expect(nodeOfPort.get(Number((multi as unknown as { rows: unknown[][] }[])[1]!.rows[0]![0]))).toBe(0);
  });

  test('allow_sql_comments: off sends a commented SELECT to the primary; PGPOOL SET turns it on for the session', async () => {
    const s = await client();
    expect(await nodeOf(s, '/* report */ select inet_server_port()')).toBe(0);
    await s.query('pgpool set allow_sql_comments = on');
    expect(await nodeOf(s, '/* report */ select inet_server_port()')).toBe(1);
    await s.end();
  });

  test('temporary tables: reads of a temp table go where it lives', async () => {
    const s = await client();
    await s.query('create temp table scratch (a int)');
    await s.query('insert into scratch values (1)');
    expect(await nodeOf(s, 'select inet_server_port(), a from scratch')).toBe(0);
    expect(await nodeOf(s, 'select inet_server_port()')).toBe(1);
    await s.end();
  });

  test('SET reaches every backend of the session; the client sees one answer', async () => {
    const s = await client();
    const r = await s.query("set application_name = 'routing-test'");
    expect(r.command).toBe('SET');
    const standby = await s.query("select inet_server_port() p, current_setting('application_name') a");
    const primary = await s.query("/*NO LOAD BALANCE*/ select inet_server_port() p, current_setting('application_name') a");
    expect([nodeOfPort.get(standby.rows[0].p), standby.rows[0].a]).toEqual([1, 'routing-test']);
    expect([nodeOfPort.get(primary.rows[0].p), primary.rows[0].a]).toEqual([0, 'routing-test']);
    await s.query('reset application_name');
    expect((await s.query("select current_setting('application_name') a")).rows[0].a).toBe('');
    await s.end();
  });
});

describe('transactions', () => {
  test('reads are balanced until the transaction writes; then the primary, which sees the write', async () => {
    const c = await client();
    await c.query('begin');
    expect(await nodeOf(c, 'select inet_server_port()')).toBe(1);
    await c.query("insert into items values (100, 'own write')");
    const r = await c.query('select inet_server_port() p, v from items where id = 100');
    expect([nodeOfPort.get(r.rows[0].p), r.rows[0].v]).toEqual([0, 'own write']);
    await c.query('commit');
    expect(await nodeOf(c, 'select inet_server_port()')).toBe(1);
    await c.end();
  });

  test('the same with prepared statements: a statement parsed on the standby runs on the primary once the transaction wrote', async () => {
    const c = await client();
    const q = { name: 'get_item', text: 'select inet_server_port(), v from items where id = $1', rowMode: 'array' as const };
    expect(nodeOfPort.get(Number((await c.query({ ...q, values: [1] })).rows[0][0]))).toBe(1);
    await c.query('begin');
    await c.query({ text: 'insert into items values ($1, $2)', values: [101, 'prepared write'] });
    const r = await c.query({ ...q, values: [101] });
    expect([nodeOfPort.get(Number(r.rows[0][0])), r.rows[0][1]]).toEqual([0, 'prepared write']);
    await c.query('rollback');
    await c.end();
  });

  test('SERIALIZABLE transactions read from the primary', async () => {
    const c = await client();
    await c.query('begin isolation level serializable');
    expect(await nodeOf(c, 'select inet_server_port()')).toBe(0);
    await c.query('commit');
    await c.query('begin');
    await c.query('set transaction isolation level serializable');
    expect(await nodeOf(c, 'select inet_server_port()')).toBe(0);
    await c.query('commit');
    await c.end();
  });

  test('a failed transaction: the error, then 25P02 until ROLLBACK, then reads are balanced again', async () => {
    const c = await client();
    await c.query('begin');
    await expect(c.query('select 1/0')).rejects.toMatchObject({ code: '22012' });
    await expect(c.query('select 1')).rejects.toMatchObject({ code: '25P02' });
    await expect(c.query("insert into items values (102, 'x')")).rejects.toMatchObject({ code: '25P02' });
    const r = await c.query('commit');
    expect(r.command).toBe('ROLLBACK');
    expect(await nodeOf(c, 'select inet_server_port()')).toBe(1);
    expect((await c.query('/*NO LOAD BALANCE*/ select count(*)::int n from items where id = 102')).rows[0].n).toBe(0);
    await c.end();
  });

  test.each([
    ['transaction', [1, 0, 1, 1]],
    ['trans_transaction', [1, 0, 1, 0]],
    ['always', [1, 0, 0, 0]],
    ['off', [1, 1, 1, 1]],
  ])('disable_load_balance_on_write = %s', async (mode, expected) => {
    await withRelay({ disable_load_balance_on_write: mode }, async (r) => {
      const c = await client(r.port);
      const seen: number[] = [];
      await c.query('begin');
      seen.push(await nodeOf(c, 'select inet_server_port()'));
      await c.query('insert into orders values (1)');
      seen.push(await nodeOf(c, 'select inet_server_port()'));
      await c.query('commit');
      seen.push(await nodeOf(c, 'select inet_server_port()'));
      await c.query('begin');
      seen.push(await nodeOf(c, 'select inet_server_port()'));
      await c.query('commit');
      await c.end();
      expect(seen).toEqual(expected);
    });
  });

  test('dml_adaptive: only reads of written objects and their dependents go to the primary', async () => {
    await withRelay({ disable_load_balance_on_write: 'dml_adaptive', dml_adaptive_object_relationship_list: 'orders:order_lines' }, async (r) => {
      const c = await client(r.port);
      await c.query('begin');
      await c.query('insert into orders values (2)');
      expect(await nodeOf(c, 'select inet_server_port() from orders limit 1')).toBe(0);
      expect(await nodeOf(c, 'select inet_server_port(), count(*) from order_lines')).toBe(0);
      expect(await nodeOf(c, 'select inet_server_port(), count(*) from items')).toBe(1);
      await c.query('commit');
      expect(await nodeOf(c, 'select inet_server_port(), count(*) from orders')).toBe(1);
      await c.end();
    });
  });
});

describe('settings that choose the node', () => {
  test('write_function_list and primary_routing_query_pattern_list', async () => {
    await withRelay({ write_function_list: 'writer_.*', primary_routing_query_pattern_list: 'select .* from orders.*' }, async (r) => {
      const c = await client(r.port);
      expect(await nodeOf(c, 'select inet_server_port(), writer_f()')).toBe(0);
      // with a list set, volatility is not consulted
      expect(await nodeOf(c, 'select inet_server_port(), random()')).toBe(1);
      expect(await nodeOf(c, 'SELECT inet_server_port() FROM orders')).toBe(0);
      expect(await nodeOf(c, 'select inet_server_port() from items')).toBe(1);
      await c.end();
    });
  });

  test('read_only_function_list wins: any other function sends the query to the primary', async () => {
    await withRelay({ read_only_function_list: 'inet_server_port,now', write_function_list: 'now' }, async (r) => {
      const c = await client(r.port);
      expect(await nodeOf(c, 'select inet_server_port(), now()')).toBe(1);
      expect(await nodeOf(c, "select inet_server_port(), lower('a')")).toBe(0);
      await c.end();
    });
  });

  test('database_redirect_preference_list and app_name_redirect_preference_list (which wins)', async () => {
    await withRelay(
      { backend_weight0: 1, backend_weight1: 1, backend_weight2: 1, database_redirect_preference_list: 'test:2', app_name_redirect_preference_list: 'report.*:primary' },
      async (r) => {
        for (let i = 0; i < 5; i++) {
          const c = await client(r.port);
          expect(await nodeOf(c, 'select inet_server_port()')).toBe(2);
          await c.end();
          const app = await client(r.port, { application_name: 'reporting' });
          expect(await nodeOf(app, 'select inet_server_port()')).toBe(0);
          await app.end();
        }
      },
    );
  });

  test('load_balance_mode off: everything on the primary', async () => {
    await withRelay({ load_balance_mode: false }, async (r) => {
      const c = await client(r.port);
      expect(await nodeOf(c, 'select inet_server_port()')).toBe(0);
      await c.end();
    });
  });

  test('statement_level_load_balance: each read draws its node', async () => {
    await withRelay({ statement_level_load_balance: true, backend_weight2: 1 }, async (r) => {
      const c = await client(r.port);
      const seen = new Set<number>();
      for (let i = 0; i < 40; i++) seen.add(await nodeOf(c, 'select inet_server_port()'));
      expect([...seen].sort()).toEqual([1, 2]);
      // session effects reach every node it may read from
      await c.query("set application_name = 'everywhere'");
      const apps = new Set<string>();
      for (let i = 0; i < 20; i++) apps.add((await c.query("select current_setting('application_name') a")).rows[0].a);
      expect([...apps]).toEqual(['everywhere']);
      await c.end();
    });
  });
});

describe('counting and logging per node', () => {
  test('SHOW POOL_NODES select_cnt and load_balance_node; log_per_node_statement names the node that ran it', async () => {
    const c = await client();
    const before = await c.query('show pool_nodes');
    for (let i = 0; i < 7; i++) await c.query('select 42 /* counted */');
    const after = await c.query('show pool_nodes');
    const cnt = (r: typeof after, id: number) => Number(r.rows.find((x) => x.node_id === String(id))!.select_cnt);
    expect(cnt(after, 1) - cnt(before, 1)).toBe(7);
    expect(cnt(after, 2) - cnt(before, 2)).toBe(0);
    expect(after.rows.map((x) => x.load_balance_node)).toEqual(['false', 'true', 'false']);
    await c.end();
    const lines = relay.log().split('\n').filter((l) => l.includes('select 42 /* counted */'));
    expect(lines.length).toBeGreaterThanOrEqual(7);
    for (const l of lines) expect(JSON.parse(l).msg).toMatch(/^DB node id: 1 backend pid: \d+ statement: select 42 \/\* counted \*\/$/);
  });
});

// ---- the extended protocol on the wire --------------------------------------------------------

const parse = (text: string, name = '') => new MessageWriter(0x50).cstring(name).cstring(text).int16(0).finish();
const bind = (stmt = '', portal = '') => new MessageWriter(0x42).cstring(portal).cstring(stmt).int16(0).int16(0).int16(0).finish();
const execute = (portal = '') => new MessageWriter(0x45).cstring(portal).int32(0).finish();
const SYNC = Buffer.from([0x53, 0, 0, 0, 4]);
const run = (sql: string) => Buffer.concat([parse(sql), bind(), execute()]);

interface Msg {
  type: string;
  body: Buffer;
}

/** A bare protocol client: sends bytes, collects messages until N ReadyForQuery. */
async function wire(port: number): Promise<{ send(b: Buffer): void; until(z: number): Promise<Msg[]>; end(): void }> {
  const s = net.connect(port, '127.0.0.1');
  await new Promise((r, j) => s.once('connect', r).once('error', j));
  let buf = Buffer.alloc(0);
  const got: Msg[] = [];
  let wake: (() => void) | null = null;
  s.on('data', (d) => {
    buf = Buffer.concat([buf, d]);
    while (buf.length >= 5 && buf.length >= 1 + buf.readInt32BE(1)) {
      const len = buf.readInt32BE(1);
      got.push({ type: String.fromCharCode(buf[0]!), body: buf.subarray(5, 1 + len) });
      buf = buf.subarray(1 + len);
    }
    wake?.();
  });
  const c = {
    send: (b: Buffer) => void s.write(b),
    async until(z: number): Promise<Msg[]> {
      for (;;) {
        let seen = 0;
        for (let i = 0; i < got.length; i++) {
          if (got[i]!.type === 'Z' && ++seen === z) return got.splice(0, i + 1);
        }
        await new Promise<void>((r) => (wake = r));
      }
    },
    end: () => void s.end(Buffer.from([0x58, 0, 0, 0, 4])),
  };
  const startup = new MessageWriter(0).int32(196608).cstring('user').cstring('postgres').cstring('database').cstring('test').byte(0).finish().subarray(1);
  startup.writeInt32BE(startup.length, 0);
  c.send(startup);
  await c.until(1);
  return c;
}

const firstValues = (ms: Msg[]): string[] => ms.filter((m) => m.type === 'D').map((m) => m.body.toString('utf8', 6, 6 + m.body.readInt32BE(2)));
const types = (ms: Msg[]): string => ms.map((m) => m.type).join('');

describe('extended protocol', () => {
  test('one pipeline on two nodes: answers in the order asked, one ReadyForQuery; reads after the write stay on the primary', async () => {
    const c = await wire(relay.port);
    c.send(Buffer.concat([run('select inet_server_port()'), run("insert into items values (200, 'pipelined') returning inet_server_port()"), run('select inet_server_port() from items where id = 200'), SYNC]));
    const ms = await c.until(1);
    expect(types(ms)).toBe('12DC12DC12DCZ');
    expect(firstValues(ms).map((p) => nodeOfPort.get(Number(p)))).toEqual([1, 0, 0]);
    c.end();
  });

  test('an error in the standby part of a pipeline discards the rest, as the server would', async () => {
    const c = await wire(relay.port);
    c.send(Buffer.concat([run('select 1/0'), run("insert into items values (201, 'never') returning inet_server_port()"), SYNC]));
    const ms = await c.until(1);
    expect(types(ms)).toBe('1EZ');
    c.send(simpleQuery('/*NO LOAD BALANCE*/ select count(*) from items where id = 201'));
    expect(firstValues(await c.until(1))).toEqual(['0']);
    c.end();
  });

  test('BEGIN on both nodes and a read in one pipeline: one ReadyForQuery, status T', async () => {
    const c = await wire(relay.port);
    c.send(Buffer.concat([run('begin'), run('select inet_server_port()'), SYNC]));
    const ms = await c.until(1);
    expect(types(ms)).toBe('12C12DCZ');
    expect(ms[ms.length - 1]!.body.toString()).toBe('T');
    c.send(Buffer.concat([run('commit'), SYNC]));
    const end = await c.until(1);
    expect(types(end)).toBe('12CZ');
    expect(end[end.length - 1]!.body.toString()).toBe('I');
    c.end();
  });

  test('pipelined simple queries on different nodes come back in order', async () => {
    const c = await wire(relay.port);
    c.send(Buffer.concat([simpleQuery('select inet_server_port()'), simpleQuery("insert into items values (202, 'x') returning inet_server_port()"), simpleQuery('select inet_server_port()')]));
    const ms = await c.until(3);
    expect(firstValues(ms).map((p) => nodeOfPort.get(Number(p)))).toEqual([1, 0, 1]);
    c.end();
  });

  test('a named statement lives on the standby; Describe and Close follow it', async () => {
    const c = await wire(relay.port);
    const describe = new MessageWriter(0x44).byte(0x53).cstring('s1').finish();
    const close = new MessageWriter(0x43).byte(0x53).cstring('s1').finish();
    c.send(Buffer.concat([parse('select inet_server_port()', 's1'), describe, bind('s1'), execute(), SYNC]));
    const ms = await c.until(1);
    expect(types(ms)).toBe('1tT2DCZ');
    expect(nodeOfPort.get(Number(firstValues(ms)[0]))).toBe(1);
    c.send(Buffer.concat([close, SYNC]));
    expect(types(await c.until(1))).toBe('3Z');
    c.end();
  });
});

describe('losing the standby a session reads from', () => {
  test('an idle session goes on, reading from the primary', async () => {
    const small = await startCluster({ standbys: 1 });
    try {
      const ports = new Map(small.nodes.map((n) => [n.port, n.id]));
      const r = await startPgrelay({ cluster: small, conf: { backend_weight0: 0, backend_weight1: 1, health_check_period: 1, health_check_max_retries: 0 } });
      const c = await client(r.port);
      const where = async () => ports.get(Number((await c.query({ text: 'select inet_server_port()', rowMode: 'array' })).rows[0][0]));
      expect(await where()).toBe(1);
      await c.query('begin');
      small.nodes[1]!.kill9();
      await r.waitForLog(/node 1 status changed from \w+ to down/, 15_000);
      expect(await where()).toBe(0);
      await c.query('commit');
      expect(await where()).toBe(0);
      await c.end();
      await r.stop('fast');
    } finally {
      await small.stop();
    }
  }, 30_000);
});
