/** Per-statement routing decisions (pgpool-compat.md §10 rules 1–7), without a backend. */
import { classify, initPgParser } from '@pgrelay/sql';
import { snapshotOf, type CatalogSnapshot } from '../src/routing/catalog';
import { decide, Dest, readsOnly, type RouteView } from '../src/routing/decide';
import { relationsOf } from '../src/routing/relations';
import { routingSettings, sessionSettings } from '../src/routing/settings';
import { EMPTY_FACTS, factsOf, hasNoLoadBalanceComment, Kind, startsLikeQuery } from '../src/routing/statement';
import { TxState } from '../src/routing/tx-state';

beforeAll(async () => {
  await initPgParser();
});

const catalog: CatalogSnapshot = snapshotOf([
  ['f', 'pg_catalog', 'random', 'true'],
  ['f', 'pg_catalog', 'now', 'false'],
  ['f', 'pg_catalog', 'count', 'false'],
  ['f', 'pg_catalog', 'inet_server_port', 'false'],
  ['f', 'pg_catalog', 'pg_is_in_recovery', 'true'],
  ['f', 'public', 'stable_f', 'false'],
  ['f', 'public', 'vol_f', 'true'],
  ['u', 'public', 'unlogged_t', 'true'],
]);

function view(conf: Record<string, unknown> = {}, over: Partial<RouteView> = {}): RouteView {
  const cfg = { load_balance_mode: true, ...conf } as never;
  return {
    settings: routingSettings(cfg),
    session: sessionSettings(cfg, over.session ? undefined : new Map()),
    tx: new TxState(),
    balanceIsPrimary: false,
    balanceLags: false,
    balancePoisoned: false,
    pipelineOnPrimary: false,
    catalog,
    tempTables: new Set(),
    unnamedTempTable: false,
    ...over,
  };
}

function facts(sql: string) {
  const list = classify(sql);
  return list.length === 0 ? EMPTY_FACTS : factsOf(list[0]!);
}

function dest(sql: string, v: RouteView = view()): Dest {
  const list = classify(sql);
  return decide(facts(sql), sql, list.length > 1, v);
}

/** Runs statements through a view's transaction state as the router does after sending them. */
function run(v: RouteView, ...sqls: string[]): void {
  for (const sql of sqls) {
    const f = facts(sql);
    v.tx.sent(f, readsOnly(f, sql, v), v.settings.disableOnWrite, v.settings.dmlRelations);
  }
}

describe('statement kinds (rules 2–4)', () => {
  test.each([
    ['select 1', Dest.Balance],
    ['SELECT * FROM t WHERE a = $1', Dest.Balance],
    ['with x as (select 1) select * from x', Dest.Balance],
    ['(select 1) union (select 2)', Dest.Balance],
    ['table t', Dest.Balance],
    ['show port', Dest.Balance],
    ['copy t to stdout', Dest.Balance],
    ['copy (select * from t) to stdout', Dest.Balance],
    ['', Dest.Balance],
    ['insert into t values (1)', Dest.Primary],
    ['update t set a = 1', Dest.Primary],
    ['delete from t', Dest.Primary],
    ['merge into t using u on t.a = u.a when matched then delete', Dest.Primary],
    ['copy t from stdin', Dest.Primary],
    ["copy t to '/tmp/x'", Dest.Primary],
    ['explain analyze insert into t values (1)', Dest.Primary],
    // measured on pgpool-II 4.3.5: EXPLAIN and PREPARE … AS SELECT go to the primary
    ['explain select * from t', Dest.Primary],
    ['explain analyze select * from t', Dest.Primary],
    ['prepare p as select 1', Dest.Primary],
    ['begin read write', Dest.Primary],
    ['start transaction isolation level serializable', Dest.Primary],
    ['create table x (a int)', Dest.Primary],
    ['truncate t', Dest.Primary],
    ['vacuum t', Dest.Primary],
    ['grant select on t to u', Dest.Primary],
    ['listen ch', Dest.Primary],
    ['unlisten *', Dest.Primary],
    ["notify ch, 'x'", Dest.Primary],
    ['declare c cursor for select 1', Dest.Primary],
    ['fetch 10 from c', Dest.Primary],
    ['do $$ begin end $$', Dest.Primary],
    ['lock t', Dest.Primary],
    ['lock t in row exclusive mode', Dest.Primary],
    ["prepare transaction 'x'", Dest.Primary],
    ["commit prepared 'x'", Dest.Primary],
    ['set transaction_read_only = off', Dest.Primary],
    ['set transaction isolation level serializable', Dest.Primary],
    ['set session characteristics as transaction read write', Dest.Primary],
    ["set default_transaction_isolation = 'serializable'", Dest.Primary],
    ['select * into t2 from t', Dest.Primary],
    ['select * from t for update', Dest.Primary],
    ['select * from t for key share', Dest.Primary],
    ['with d as (delete from t returning *) select * from d', Dest.Primary],
    ['frobnicate the database', Dest.Primary],
    ['begin', Dest.All],
    ['start transaction isolation level repeatable read', Dest.All],
    ['begin read only', Dest.All],
    ['commit', Dest.All],
    ['end', Dest.All],
    ['rollback', Dest.All],
    ['abort', Dest.All],
    ['savepoint s', Dest.All],
    ['release s', Dest.All],
    ['rollback to s', Dest.All],
    ["set application_name = 'x'", Dest.All],
    ['set local statement_timeout = 5', Dest.All],
    ['reset all', Dest.All],
    ['discard all', Dest.All],
    ['deallocate all', Dest.All],
    ['lock t in access share mode', Dest.All],
    ['lock t in row share mode', Dest.All],
    ['set transaction read only', Dest.All],
    ['execute p(1)', Dest.Prepared],
    ['deallocate p', Dest.Prepared],
    ['prepare p as insert into t values (1)', Dest.Primary],
  ])('%s', (sql, expected) => {
    expect(dest(sql)).toBe(expected);
  });

  test('rule 1: several statements in one Query go to the primary', () => {
    expect(dest('select 1; select 2')).toBe(Dest.Primary);
    expect(dest('set a.b = 1; set a.c = 2')).toBe(Dest.Primary);
  });

  test('facts the router keeps per statement', () => {
    expect(facts('set transaction read only').setsReadOnly).toBe(true);
    expect(facts('set transaction_read_only = on').setsReadOnly).toBe(true);
    expect(facts("set transaction_read_only = 'off'").setsReadOnly).toBe(false);
    expect(facts('execute p').kind).toBe(Kind.Prepared);
  });
});

describe('reads that still go to the primary (rule 5)', () => {
  test('load_balance_mode off', () => {
    expect(dest('select 1', view({ load_balance_mode: false }))).toBe(Dest.Primary);
  });

  test('NO LOAD BALANCE comment, exactly at the start', () => {
    expect(hasNoLoadBalanceComment('/*NO LOAD BALANCE*/ select 1')).toBe(true);
    expect(dest('/*NO LOAD BALANCE*/ select 1')).toBe(Dest.Primary);
    expect(dest('/*no load balance*/select 1')).toBe(Dest.Primary);
    expect(dest(' /*NO LOAD BALANCE*/ select 1', view({ allow_sql_comments: true }))).toBe(Dest.Balance);
  });

  test('allow_sql_comments off: the text must start like a query', () => {
    expect(dest('/* hi */ select 1')).toBe(Dest.Primary);
    expect(dest('-- hi\nselect 1')).toBe(Dest.Primary);
    expect(dest('values (1)')).toBe(Dest.Primary);
    expect(dest('  select 1')).toBe(Dest.Balance);
    expect(dest('  select 1', view({ ignore_leading_white_space: false }))).toBe(Dest.Primary);
    expect(dest('/* hi */ select 1', view({ allow_sql_comments: true }))).toBe(Dest.Balance);
    expect(dest('/* hi */ select 1', view({}, { session: sessionSettings({ allow_sql_comments: false } as never, new Map([['allow_sql_comments', true]])) }))).toBe(Dest.Balance);
    expect(startsLikeQuery('With x', true)).toBe(true);
    expect(startsLikeQuery('(select', true)).toBe(true);
    expect(startsLikeQuery('TABLE t', true)).toBe(true);
    expect(startsLikeQuery('show x', true)).toBe(true);
    // not a SELECT statement: the first-character test does not apply
    expect(dest('/* x */ show port')).toBe(Dest.Balance);
  });

  test('system catalogs and pg_temp', () => {
    expect(dest('select * from pg_class')).toBe(Dest.Primary);
    expect(dest('select * from pg_catalog.pg_stat_activity')).toBe(Dest.Primary);
    expect(dest('select * from pg_temp.x')).toBe(Dest.Primary);
    expect(dest('select inet_server_port()')).toBe(Dest.Balance);
    expect(dest('select * from information_schema.tables')).toBe(Dest.Balance);
  });

  test('temporary tables the session created (check_temp_table)', () => {
    const v = view({}, { tempTables: new Set(['tmp1']) });
    expect(dest('select * from tmp1', v)).toBe(Dest.Primary);
    expect(dest('select * from "tmp1" t', v)).toBe(Dest.Primary);
    expect(dest('select * from other', v)).toBe(Dest.Balance);
    expect(dest('select * from tmp1', view({ check_temp_table: 'none' }, { tempTables: new Set(['tmp1']) }))).toBe(Dest.Balance);
    expect(dest('select * from anything', view({}, { unnamedTempTable: true }))).toBe(Dest.Primary);
  });

  test('unlogged tables (check_unlogged_table, session-settable)', () => {
    expect(dest('select * from unlogged_t')).toBe(Dest.Primary);
    expect(dest('select * from public.unlogged_t')).toBe(Dest.Primary);
    expect(dest('select * from unlogged_t', view({ check_unlogged_table: false }))).toBe(Dest.Balance);
  });

  test('primary_routing_query_pattern_list: anchored, case-insensitive', () => {
    const v = view({ primary_routing_query_pattern_list: ['select \\* from orders.*', 'select 1'] });
    expect(dest('SELECT * FROM orders WHERE id = 1', v)).toBe(Dest.Primary);
    expect(dest('select 1', v)).toBe(Dest.Primary);
    expect(dest('select 12', v)).toBe(Dest.Balance);
  });

  test('writing functions (rule 6): volatile by the catalog, built-in writers, the lists', () => {
    expect(dest('select random()')).toBe(Dest.Primary);
    expect(dest('select pg_is_in_recovery()')).toBe(Dest.Primary);
    expect(dest('select now(), count(*) from t')).toBe(Dest.Balance);
    expect(dest("select nextval('s')")).toBe(Dest.Primary);
    expect(dest('select txid_current()')).toBe(Dest.Primary);
    expect(dest('select public.stable_f()')).toBe(Dest.Balance);
    expect(dest('select public.vol_f()')).toBe(Dest.Primary);
    // a name the catalog does not know: the primary, and the router reloads the catalog
    const v = view();
    expect(dest('select brand_new_f()', v)).toBe(Dest.Primary);
    expect(v.unknownFunction).toBe(true);
    expect(dest('select count(*) from t', view({}, { catalog: undefined }))).toBe(Dest.Primary);
  });

  test('write_function_list / read_only_function_list (names as written)', () => {
    const w = view({ write_function_list: ['vol_.*', 'f1'] });
    expect(dest('select f1()', w)).toBe(Dest.Primary);
    expect(dest('select vol_x(1)', w)).toBe(Dest.Primary);
    expect(dest('select random()', w)).toBe(Dest.Balance);
    expect(dest('select public.f1()', w)).toBe(Dest.Balance);
    const r = view({ read_only_function_list: ['count', 'now'], write_function_list: ['count'] });
    expect(dest('select count(*), now() from t', r)).toBe(Dest.Balance);
    expect(dest('select lower(a) from t', r)).toBe(Dest.Primary);
  });

  test('the balance node lags: the primary, or with prefer_lower_delay_standby the least-lagged standby', () => {
    expect(dest('select 1', view({}, { balanceLags: true }))).toBe(Dest.Primary);
    expect(dest('select 1', view({ prefer_lower_delay_standby: true }, { balanceLags: true }))).toBe(Dest.LeastLagged);
  });

  test('a pipeline already on the primary, a poisoned balance node, a balance node that is the primary', () => {
    expect(dest('select 1', view({}, { pipelineOnPrimary: true }))).toBe(Dest.Primary);
    expect(dest('select 1', view({}, { balancePoisoned: true }))).toBe(Dest.Primary);
    expect(dest('select 1', view({}, { balanceIsPrimary: true }))).toBe(Dest.Primary);
  });
});

describe('transactions (rules 5 and 7)', () => {
  test('transaction: a read after a write in the same transaction goes to the primary, until it ends', () => {
    const v = view();
    run(v, 'begin');
    expect(dest('select 1', v)).toBe(Dest.Balance);
    run(v, 'select 1', 'insert into t values (1)');
    expect(dest('select 1', v)).toBe(Dest.Primary);
    run(v, 'commit');
    expect(dest('select 1', v)).toBe(Dest.Balance);
  });

  test('a write outside a transaction changes nothing (mode transaction)', () => {
    const v = view();
    run(v, 'insert into t values (1)');
    expect(dest('select 1', v)).toBe(Dest.Balance);
  });

  test('what makes a transaction writing: a write function, a SET, a SAVEPOINT; not SET TRANSACTION READ ONLY', () => {
    for (const [sql, writing] of [
      ['select random()', true],
      ['select now()', false],
      ["set local statement_timeout = '1s'", true],
      ['savepoint a', true],
      ['set transaction read only', false],
      ['/* c */ select 1', true],
    ] as const) {
      const v = view();
      run(v, 'begin', sql);
      expect([sql, v.tx.writing]).toEqual([sql, writing]);
    }
  });

  test('ROLLBACK TO ends the writing state, as in pgpool-II 4.3.5', () => {
    const v = view();
    run(v, 'begin', 'savepoint a');
    expect(dest('select 1', v)).toBe(Dest.Primary);
    run(v, 'rollback to a');
    expect(dest('select 1', v)).toBe(Dest.Balance);
    const t = view({ disable_load_balance_on_write: 'trans_transaction' });
    run(t, 'begin', 'savepoint a', 'rollback to a');
    expect(dest('select 1', t)).toBe(Dest.Primary);
  });

  test('SERIALIZABLE transactions read from the primary', () => {
    const v = view();
    run(v, 'begin isolation level serializable');
    expect(dest('select 1', v)).toBe(Dest.Primary);
    run(v, 'commit', 'begin');
    expect(dest('select 1', v)).toBe(Dest.Balance);
    run(v, 'set transaction isolation level serializable');
    expect(dest('select 1', v)).toBe(Dest.Primary);
    run(v, 'rollback', "set default_transaction_isolation = 'serializable'", 'begin');
    expect(dest('select 1', v)).toBe(Dest.Primary);
    run(v, 'commit');
    expect(dest('select 1', v)).toBe(Dest.Balance);
  });

  test('a failed transaction reads from the primary', () => {
    const v = view();
    run(v, 'begin');
    v.tx.settle('E', 'transaction');
    expect(dest('select 1', v)).toBe(Dest.Primary);
    v.tx.settle('I', 'transaction');
    expect(dest('select 1', v)).toBe(Dest.Balance);
  });

  test('trans_transaction: later transactions read from the primary, autocommit reads do not', () => {
    const v = view({ disable_load_balance_on_write: 'trans_transaction' });
    run(v, 'insert into t values (1)');
    expect(v.tx.writing).toBe(false);
    run(v, 'begin', 'insert into t values (1)', 'commit');
    expect(dest('select 1', v)).toBe(Dest.Balance);
    run(v, 'begin');
    expect(dest('select 1', v)).toBe(Dest.Primary);
  });

  test('always: after any write, every read goes to the primary', () => {
    const v = view({ disable_load_balance_on_write: 'always' });
    expect(dest('select 1', v)).toBe(Dest.Balance);
    run(v, 'insert into t values (1)');
    expect(dest('select 1', v)).toBe(Dest.Primary);
    run(v, 'begin', 'commit');
    expect(dest('select 1', v)).toBe(Dest.Primary);
  });

  test('off: reads are balanced even after a write in the transaction', () => {
    const v = view({ disable_load_balance_on_write: 'off' });
    run(v, 'begin', 'insert into t values (1)');
    expect(dest('select 1', v)).toBe(Dest.Balance);
  });

  test('dml_adaptive: only reads of what the transaction wrote (and its dependents)', () => {
    const v = view({ disable_load_balance_on_write: 'dml_adaptive', dml_adaptive_object_relationship_list: 'orders:order_view,items:item_count()' });
    run(v, 'begin', 'insert into orders values (1)');
    expect(v.tx.writing).toBe(false);
    expect(dest('select * from orders', v)).toBe(Dest.Primary);
    expect(dest('select * from order_view', v)).toBe(Dest.Primary);
    expect(dest('select * from customers', v)).toBe(Dest.Balance);
    run(v, 'update items set n = 1');
    expect(dest('select item_count()', view({ disable_load_balance_on_write: 'dml_adaptive', write_function_list: ['nothing'] }, { tx: v.tx }))).toBe(Dest.Primary);
    run(v, 'commit');
    expect(dest('select * from orders', v)).toBe(Dest.Balance);
  });
});

test('relation names in statements', () => {
  expect(relationsOf('insert into s.Orders (a) select * from items i, "Other" o join z on true')).toEqual(['orders', 'items', 'Other', 'z']);
  expect(relationsOf('update only t set a = 1 from u where t.id = u.id')).toEqual(['t', 'u']);
  expect(relationsOf('select * from t for update of t')).toEqual(['t']);
});
