/** Native replication: clock-reading column DEFAULTs written into the INSERT (withClockDefaults). */
import { initPgParser, withClockDefaults, type TableColumn } from '../src';

beforeAll(async () => {
  await initPgParser();
});

const col = (name: string, type: string, def = '', generated = false): TableColumn => ({ name, type, default: def, generated });
// id serial, note text default 'x', created timestamptz default now(), day date default CURRENT_DATE
const T = [
  col('id', 'integer', "nextval('t_id_seq'::regclass)"),
  col('note', 'text', "'x'::text"),
  col('created', 'timestamp with time zone', 'now()'),
  col('day', 'date', 'CURRENT_DATE'),
];
const C = '(now())::timestamp with time zone';
const D = '(CURRENT_DATE)::date';

test.each([
  ['a column list without the clock columns', "INSERT INTO t (id, note) VALUES (1, 'a'), (2, 'b')", `INSERT INTO t (id, note, created, day) VALUES (1, 'a', ${C}, ${D}), (2, 'b', ${C}, ${D})`],
  ['DEFAULT for a listed clock column', 'INSERT INTO t (created, id) VALUES (DEFAULT, 1)', `INSERT INTO t (created, id, day) VALUES (${C}, 1, ${D})`],
  ['no column list, a short row', 'INSERT INTO t VALUES (1)', `INSERT INTO t VALUES (1, DEFAULT, ${C}, ${D})`],
  ['no column list, DEFAULT in place', "INSERT INTO t VALUES (1, 'n', DEFAULT, '2020-01-01')", `INSERT INTO t VALUES (1, 'n', ${C}, '2020-01-01')`],
  ['DEFAULT VALUES', 'INSERT INTO t DEFAULT VALUES', `INSERT INTO t (created, day) VALUES (${C}, ${D})`],
  ['rows holding parentheses and functions', 'INSERT INTO t (id, note) VALUES ((1 + 2), f((3), 4)) RETURNING id', `INSERT INTO t (id, note, created, day) VALUES ((1 + 2), f((3), 4), ${C}, ${D}) RETURNING id`],
  ['text before the clock column is not ASCII', "INSERT INTO t (note) VALUES ('héllo')", `INSERT INTO t (note, created, day) VALUES ('héllo', ${C}, ${D})`],
])('%s', (_what, sql, out) => {
  expect(withClockDefaults(sql, T)).toBe(out);
});

test.each([
  ['every clock column given', "INSERT INTO t (id, created, day) VALUES (1, '2020-01-01', '2020-01-01')"],
  ['INSERT … SELECT', 'INSERT INTO t (id) SELECT 1'],
  ['not an INSERT', 'UPDATE t SET note = DEFAULT'],
  ['a WITH clause', 'WITH v AS (VALUES (1)) INSERT INTO t (id) SELECT * FROM v'],
])('left alone: %s', (_what, sql) => {
  expect(withClockDefaults(sql, T)).toBeNull();
});

test('a table with no clock defaults, or only volatile ones pgpool does not rewrite either', () => {
  expect(withClockDefaults('INSERT INTO t (id) VALUES (1)', [col('id', 'integer'), col('at', 'timestamp with time zone', 'clock_timestamp()')])).toBeNull();
});

test('a generated column is never written, even when its expression reads the clock', () => {
  const cols = [col('id', 'integer'), col('g', 'date', 'CURRENT_DATE', true), col('c', 'timestamp with time zone', 'now()')];
  expect(withClockDefaults('INSERT INTO t VALUES (1)', cols)).toBe('INSERT INTO t VALUES (1, DEFAULT, (now())::timestamp with time zone)');
});

test('quoted mixed-case column names', () => {
  const cols = [col('id', 'integer'), col('"CreatedAt"', 'timestamp with time zone', 'now()')];
  expect(withClockDefaults('INSERT INTO t (id) VALUES (1)', cols)).toBe('INSERT INTO t (id, "CreatedAt") VALUES (1, (now())::timestamp with time zone)');
  expect(withClockDefaults('INSERT INTO t (id, "CreatedAt") VALUES (1, DEFAULT)', cols)).toBe('INSERT INTO t (id, "CreatedAt") VALUES (1, (now())::timestamp with time zone)');
});
