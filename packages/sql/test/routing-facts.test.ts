/** The facts a router needs beyond read/write: function-only writes, LOCK modes, EXPLAIN ANALYZE. */
import { classify, classifyOne, initPgParser } from '../src';
import { classifyTokens } from '../src/classify';
import { lex } from '../src/lexer';
import { classifyWithPg } from '../src/pg-parser';

beforeAll(async () => {
  await initPgParser();
});

/** Both paths must agree: the lexer's answer and libpg-query's. */
function both(sql: string) {
  const lexed = classifyTokens(sql, lex(sql)[0]!);
  const pg = classifyWithPg(sql)![0]!;
  return { lexed, pg };
}

test.each([
  ['select nextval(\'s\')', true],
  ['select pg_advisory_lock(1)', true],
  ['select myschema.f(1) from t', true],
  ['select nextval(\'s\') from t for update', false],
  ['select * into t2 from t where f() > nextval(\'s\')', false],
  ['select 1', false],
  ['with x as (delete from t returning *) select nextval(\'s\') from x', false],
  ['explain analyze select nextval(\'s\')', true],
  ['copy (select nextval(\'s\')) to stdout', true],
  ['prepare p as select setval(\'s\', 1)', true],
])('writeByFunction of %s is %s', (sql, expected) => {
  const { lexed, pg } = both(sql);
  expect(pg.writeByFunction).toBe(expected);
  if (lexed !== null) expect(lexed.writeByFunction).toBe(expected);
  expect(classify(sql)[0]!.writeByFunction).toBe(expected);
  if (expected) expect(classify(sql)[0]!.write).toBe(true);
});

test.each([
  ['lock t', 8],
  ['lock table only t, u in access share mode', 1],
  ['LOCK TABLE t IN ROW SHARE MODE NOWAIT', 2],
  ['lock t in row exclusive mode', 3],
  ['lock t in share update exclusive mode', 4],
  ['lock t in share mode', 5],
  ['lock t in share row exclusive mode', 6],
  ['lock t in exclusive mode', 7],
  ['lock t in access exclusive mode', 8],
])('LOCK mode of %s is %d', (sql, mode) => {
  const { lexed, pg } = both(sql);
  expect(lexed?.lockMode).toBe(mode);
  expect(pg.lockMode).toBe(mode);
  expect(classify(sql)[0]!.write).toBe(true);
});

test.each([
  ['explain select 1', { analyze: false, select: true }],
  ['explain analyze select 1', { analyze: true, select: true }],
  ['explain (analyze false, verbose) select 1', { analyze: false, select: true }],
  ['explain insert into t values (1)', { analyze: false, select: false }],
  ['explain (analyze) delete from t', { analyze: true, select: false }],
])('EXPLAIN facts of %s', (sql, expected) => {
  const { lexed, pg } = both(sql);
  expect(lexed?.explain).toEqual(expected);
  expect(pg.explain).toEqual(expected);
});

test('several statements: function-only writes only when every write is', () => {
  expect(classifyOne("select nextval('s'); select 1").writeByFunction).toBe(true);
  expect(classifyOne("select nextval('s'); delete from t").writeByFunction).toBe(false);
  expect(classifyOne('select 1; select 2').writeByFunction).toBe(false);
});
