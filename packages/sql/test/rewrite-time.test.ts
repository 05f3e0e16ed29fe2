/** Native replication's timestamp rewriting and insert_lock's view of an INSERT. */
import { initPgParser, insertLockComment, insertTarget, readsClock, rewriteTime, rewriteTimeAsParam } from '../src';

beforeAll(async () => {
  await initPgParser();
});

const NOW = '2026-12-05 07:30:00.123456+00';
const L = `'${NOW}'`;

test.each([
  ['INSERT INTO t VALUES (now())', `INSERT INTO t VALUES (${L}::timestamptz)`],
  ['INSERT INTO t VALUES (pg_catalog.now(), NOW ( ))', `INSERT INTO t VALUES (${L}::timestamptz, ${L}::timestamptz)`],
  ['UPDATE t SET a = transaction_timestamp() WHERE b < CURRENT_DATE', `UPDATE t SET a = ${L}::timestamptz WHERE b < ${L}::date`],
  ['INSERT INTO t VALUES (CURRENT_TIMESTAMP(3), current_time, LOCALTIME(2), localtimestamp)', `INSERT INTO t VALUES (${L}::timestamptz(3), ${L}::timetz, ${L}::time(2), ${L}::timestamp)`],
  ["INSERT INTO t VALUES ('now'::timestamp, timestamp 'now', 'NOW'::date)", `INSERT INTO t VALUES (${L}::timestamp, timestamp ${L}, ${L}::date)`],
  ['DELETE FROM t WHERE ts < now() - interval \'1 day\'', `DELETE FROM t WHERE ts < ${L}::timestamptz - interval '1 day'`],
  ['CREATE TABLE c AS SELECT now() AS ts', `CREATE TABLE c AS SELECT ${L}::timestamptz AS ts`],
  ['EXPLAIN ANALYZE INSERT INTO t VALUES (now())', `EXPLAIN ANALYZE INSERT INTO t VALUES (${L}::timestamptz)`],
  ["INSERT INTO t VALUES ('é', now())", `INSERT INTO t VALUES ('é', ${L}::timestamptz)`],
])('%s', (sql, expected) => {
  expect(readsClock(sql)).toBe(true);
  expect(rewriteTime(sql, NOW)).toBe(expected);
});

test.each([
  'INSERT INTO t VALUES (clock_timestamp(), statement_timestamp(), random())',
  "INSERT INTO now VALUES ('now')",
  'INSERT INTO t (current_date_col) VALUES (1)',
  'SELECT 1',
  'INSERT INTO t VALUES (now(',
  // definitions keep the expression for later: a literal would freeze the time
  'CREATE TABLE t (ts timestamptz DEFAULT now())',
  'ALTER TABLE t ALTER ts SET DEFAULT CURRENT_TIMESTAMP',
  'CREATE VIEW v AS SELECT now()',
  'CREATE MATERIALIZED VIEW m AS SELECT now()',
  "CREATE FUNCTION f() RETURNS timestamptz LANGUAGE sql AS 'SELECT now()'",
])('nothing to rewrite: %s', (sql) => {
  expect(readsClock(sql)).toBe(false);
  expect(rewriteTime(sql, NOW)).toBeNull();
});

test('a quote in the literal is doubled', () => {
  expect(rewriteTime('SELECT now()', "x'y")).toBe("SELECT 'x''y'::timestamptz");
});

test.each([
  ['INSERT INTO t (a) VALUES (1)', '"t"'],
  ['insert into Public.Items select 1', '"public"."items"'],
  ['INSERT INTO "Mixed""Case" VALUES (1)', '"Mixed""Case"'],
])('insert target of %s', (sql, name) => {
  expect(insertTarget(sql)?.sql).toBe(name);
});

test('insert target: only a single INSERT of a shared table', () => {
  expect(insertTarget('UPDATE t SET a = 1')).toBeNull();
  expect(insertTarget('INSERT INTO a VALUES (1); INSERT INTO b VALUES (1)')).toBeNull();
  expect(insertTarget('INSERT INTO pg_temp.x VALUES (1)')).toBeNull();
  expect(insertTarget("INSERT INTO o'k VALUES (1)")).toBeNull();
  expect(insertTarget('INSERT INTO "o\'k" VALUES (1)')?.literal).toBe(`'"o''k"'`);
});

test('pgpool comments force or suppress the insert lock', () => {
  expect(insertLockComment('/*INSERT LOCK*/ INSERT INTO t VALUES (1)')).toBe('force');
  expect(insertLockComment('/*NO INSERT LOCK*/INSERT INTO t VALUES (1)')).toBe('never');
  expect(insertLockComment('INSERT INTO t VALUES (1) /*NO INSERT LOCK*/')).toBeNull();
});

test('prepared statements: the clock becomes the next parameter', () => {
  expect(rewriteTimeAsParam('INSERT INTO t VALUES ($1, now(), CURRENT_DATE)', 1)).toEqual({
    text: 'INSERT INTO t VALUES ($1, $2::text::timestamptz, $2::text::date)',
    param: 2,
  });
  // parameters used but not declared in the Parse count too
  expect(rewriteTimeAsParam("UPDATE t SET ts = 'now'::timestamp WHERE id = $3", 0)).toEqual({ text: 'UPDATE t SET ts = $4::text::timestamp WHERE id = $3', param: 4 });
  expect(rewriteTimeAsParam('INSERT INTO t VALUES ($1)', 1)).toBeNull();
  // a typed literal has no room for a parameter
  expect(rewriteTimeAsParam("INSERT INTO t VALUES (timestamp 'now')", 0)).toBeNull();
});
