import { classify, initPgParser, SessionEffect } from '../src';
import { classifyWithPg } from '../src/pg-parser';

beforeAll(async () => {
  await initPgParser();
});

/**
 * [sql, effect from the public API (lexer), effect from the libpg-query path when it is
 * spelled differently]. Both spellings replay to the same setting.
 */
const CASES: [string, SessionEffect | undefined, SessionEffect?][] = [
  ['SET search_path TO app, public', { kind: 'set', name: 'search_path', value: 'app, public', local: false }, { kind: 'set', name: 'search_path', value: "'app', 'public'", local: false }],
  ["set statement_timeout = '5s'", { kind: 'set', name: 'statement_timeout', value: "'5s'", local: false }],
  ['SET SESSION work_mem = 65536', { kind: 'set', name: 'work_mem', value: '65536', local: false }],
  ["SET LOCAL statement_timeout TO '1s'", { kind: 'set', name: 'statement_timeout', value: "'1s'", local: true }],
  ["SET TIME ZONE 'UTC'", { kind: 'set', name: 'timezone', value: "'UTC'", local: false }],
  ['SET TIME ZONE DEFAULT', { kind: 'set', name: 'timezone', value: 'DEFAULT', local: false }],
  ['set local time zone local', { kind: 'set', name: 'timezone', value: 'DEFAULT', local: true }],
  ["SET NAMES 'LATIN1'", { kind: 'set', name: 'client_encoding', value: "'LATIN1'", local: false }],
  ['SET application_name = "My App"', { kind: 'set', name: 'application_name', value: '"My App"', local: false }, { kind: 'set', name: 'application_name', value: "'My App'", local: false }],
  ["set standard_conforming_strings = off", { kind: 'set', name: 'standard_conforming_strings', value: 'off', local: false }, { kind: 'set', name: 'standard_conforming_strings', value: "'off'", local: false }],
  ["SET bytea_output = E'hex'", { kind: 'set', name: 'bytea_output', value: "E'hex'", local: false }, { kind: 'set', name: 'bytea_output', value: "'hex'", local: false }],
  ['SET x.y TO DEFAULT', { kind: 'set', name: 'x.y', value: 'DEFAULT', local: false }],
  ['set work_mem from current', undefined],
  ['RESET ALL', { kind: 'reset', name: 'all' }],
  ['reset Work_Mem', { kind: 'reset', name: 'work_mem' }],
  ['RESET TRANSACTION ISOLATION LEVEL', { kind: 'reset', name: 'transaction_isolation' }],
  ['SET ROLE NONE', { kind: 'set_role', value: 'NONE' }, { kind: 'set_role', value: "'none'" }],
  ['set role to default', { kind: 'reset', name: 'role' }],
  ['SET SESSION AUTHORIZATION DEFAULT', { kind: 'set_session_authorization', value: 'DEFAULT' }],
  ['SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY', { kind: 'set', name: 'default_transaction_read_only', value: 'on', local: false }],
  ['SET SESSION CHARACTERISTICS AS TRANSACTION ISOLATION LEVEL SERIALIZABLE, READ ONLY', { kind: 'unrebuildable', reason: 'other', detail: 'SET SESSION CHARACTERISTICS with several transaction modes' }],
  ['DISCARD ALL', { kind: 'discard', what: 'all' }],
  ['DISCARD TEMP', { kind: 'discard', what: 'temp' }],
  ['PREPARE p AS SELECT 1', { kind: 'prepare', name: 'p', text: 'PREPARE p AS SELECT 1' }],
  ['prepare "P2" (int) as update t set a = $1', { kind: 'prepare', name: 'P2', text: 'prepare "P2" (int) as update t set a = $1' }],
  ['DEALLOCATE ALL', { kind: 'deallocate', name: null }],
  ['DEALLOCATE PREPARE ALL', { kind: 'deallocate', name: null }],
  ['deallocate "P2"', { kind: 'deallocate', name: 'P2' }],
  ['LISTEN "Chan"', { kind: 'listen', channel: 'Chan' }],
  ['LISTEN Chan', { kind: 'listen', channel: 'chan' }],
  ['UNLISTEN *', { kind: 'unlisten', channel: null }],
  ['UNLISTEN "Chan"', { kind: 'unlisten', channel: 'Chan' }],
  ['SELECT pg_advisory_lock(1)', { kind: 'unrebuildable', reason: 'advisory_lock', detail: 'pg_advisory_lock' }],
  ['select pg_catalog.pg_advisory_lock_shared(1, 2)', { kind: 'unrebuildable', reason: 'advisory_lock', detail: 'pg_catalog.pg_advisory_lock_shared' }],
  ['SELECT pg_advisory_xact_lock(1)', undefined],
  ['DECLARE c CURSOR WITH HOLD FOR SELECT 1', { kind: 'unrebuildable', reason: 'with_hold_cursor', detail: 'c' }],
  ['DECLARE c CURSOR FOR SELECT 1', undefined],
  ['CREATE TEMP TABLE tt (a int)', { kind: 'unrebuildable', reason: 'temp_table', detail: 'tt' }],
  ['CREATE TEMPORARY TABLE IF NOT EXISTS tt AS SELECT 1', { kind: 'unrebuildable', reason: 'temp_table', detail: 'tt' }],
  ['create temp sequence s', { kind: 'unrebuildable', reason: 'temp_table', detail: 's' }],
  ['SELECT * INTO TEMP tt FROM t', { kind: 'unrebuildable', reason: 'temp_table', detail: 'tt' }],
  ["select set_config('search_path', 'a, \"B\"', false)", { kind: 'set', name: 'search_path', value: 'a, "B"', local: false }],
  ["select set_config('search_path', 'a''b', false)", { kind: 'unrebuildable', reason: 'other', detail: "set_config('search_path', …) with a value SET cannot express" }],
  ["select set_config('work_mem', '64MB', 'false')", { kind: 'set', name: 'work_mem', value: "'64MB'", local: false }],
  ["select set_config('work_mem', $1, false)", { kind: 'unrebuildable', reason: 'other', detail: 'set_config() with arguments that are not literals' }],
  ["select set_config('role', 'bob', false)", { kind: 'set_role', value: "'bob'" }],
  ["select set_config('app.x', '1', true)", undefined],
  ['explain analyze select pg_advisory_lock(1)', { kind: 'unrebuildable', reason: 'advisory_lock', detail: 'pg_advisory_lock' }],
  ['explain select pg_advisory_lock(1)', undefined],
  ['begin', undefined],
  ['select 1', undefined],
];

describe.each(CASES.map((c) => [c[0], c] as const))('%s', (_title, [sql, lexed, pgSpelling]) => {
  test('public API (lexer)', () => {
    const [info] = classify(sql);
    expect(info!.parsedBy).toBe('lexer');
    expect(info!.session).toEqual(lexed);
  });
  test('libpg-query path', () => {
    const [info] = classifyWithPg(sql)!;
    expect(info!.session).toEqual(pgSpelling ?? lexed);
  });
});

test('SET LOCAL is tx-scoped, SET and SET SESSION are not', () => {
  const local = (sql: string) => {
    const s = classify(sql)[0]!.session;
    return s?.kind === 'set' ? s.local : undefined;
  };
  expect(local('SET x TO 1')).toBe(false);
  expect(local('SET x = 1')).toBe(false);
  expect(local('SET SESSION x = 1')).toBe(false);
  expect(local('SET LOCAL x = 1')).toBe(true);
});

test('a TIME ZONE interval is kept as written', () => {
  expect(classify("SET TIME ZONE INTERVAL '+05:00' HOUR TO MINUTE")[0]!.session).toEqual({
    kind: 'set',
    name: 'timezone',
    value: "INTERVAL '+05:00' HOUR TO MINUTE",
    local: false,
  });
  expect(classifyWithPg("SET TIME ZONE INTERVAL '+05:00' HOUR TO MINUTE")![0]!.session).toEqual({
    kind: 'set',
    name: 'timezone',
    value: "INTERVAL '+05:00' HOUR TO MINUTE",
    local: false,
  });
});

test('PREPARE routes like the statement it prepares', () => {
  expect(classify('PREPARE p AS SELECT 1')[0]!.write).toBe(false);
  expect(classify('PREPARE p AS SELECT * FROM t FOR UPDATE')[0]).toMatchObject({ write: true, locksRows: true });
  expect(classify('PREPARE p AS DELETE FROM t')[0]!.write).toBe(true);
});

test('values replay through PostgreSQL', () => {
  // every value must parse back as `SET name TO value`
  for (const [sql] of CASES) {
    for (const info of [classify(sql)[0]!, classifyWithPg(sql)![0]!]) {
      const s = info.session;
      if (s?.kind !== 'set' || s.name === 'timezone') continue;
      expect(classifyWithPg(`SET ${s.name} TO ${s.value}`)).not.toBeNull();
    }
  }
});
