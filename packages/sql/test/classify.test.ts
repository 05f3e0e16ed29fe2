import {
  classify,
  classifyOne,
  initPgParser,
  isPgParserReady,
  setCacheSize,
  splitStatements,
  standardConformingStrings,
  StatementInfo,
} from '../src';
import { classifyTokens } from '../src/classify';
import { lex } from '../src/lexer';
import { classifyWithPg } from '../src/pg-parser';
import { ADMIN, ALL_SINGLE, Case, FALLBACK, LEXER_CONSERVATIVE, MULTI, READS, SESSION, WRITES } from './corpus';

beforeAll(async () => {
  await initPgParser();
});

function lexerOnly(sql: string): (StatementInfo | null)[] {
  return lex(sql).map((st) => classifyTokens(sql, st));
}

// fields both classifiers must agree on (session values may be spelled differently)
const FLAGS = ['locksRows', 'selectInto', 'modifyingWith', 'usesSequence', 'tempTable', 'tx', 'copy'] as const;

describe('corpus', () => {
  test('is big enough', () => {
    expect(ALL_SINGLE.length + FALLBACK.length + MULTI.length).toBeGreaterThanOrEqual(150);
    expect(isPgParserReady()).toBe(true);
  });

  describe.each([
    ['reads', READS],
    ['writes', WRITES],
    ['session and transaction control', SESSION],
    ['admin', ADMIN],
    ['unparseable', FALLBACK],
  ] as [string, Case[]][])('%s', (_name, cases) => {
    // rows are wrapped: jest passes `done` to a callback with more parameters than the row has
    test.each(cases.map((c) => [c[0], c] as const))('%s', (_title, [sql, command, write, expected]) => {
      const list = classify(sql);
      expect(list).toHaveLength(1);
      const info = list[0]!;
      expect(info.command).toBe(command);
      expect(info.write).toBe(write);
      if (expected) {
        // an expected `undefined` means the field is absent
        const present = Object.fromEntries(Object.entries(expected).filter(([, v]) => v !== undefined));
        expect(info).toMatchObject(present);
        for (const [k, v] of Object.entries(expected)) if (v === undefined) expect(info).not.toHaveProperty(k);
      }
      expect(classifyOne(sql)).toBe(info);
    });
  });

  const parseable = ALL_SINGLE.filter(([, command]) => command !== 'PGPOOL').map((c) => [c[0], c] as const);
  test.each(parseable)('libpg-query path agrees: %s', (_title, [sql, command, write, expected]) => {
    const pg = classifyWithPg(sql);
    expect(pg).not.toBeNull();
    expect(pg).toHaveLength(1);
    const info = pg![0]!;
    expect(info.parsedBy).toBe('pg');
    expect(info.command).toBe(command);
    expect(info.write).toBe(write);
    const lexed = classify(sql)[0]!;
    for (const f of FLAGS) expect([f, info[f]]).toEqual([f, lexed[f]]);
    expect(info.session?.kind).toBe(lexed.session?.kind);
    if (expected?.executeName) expect(info.executeName).toBe(expected.executeName);
    if (expected?.admin) expect(info.admin).toEqual(expected.admin);
  });

  test('the lexer decides nearly all of the corpus on its own', () => {
    const decided = ALL_SINGLE.filter(([sql]) => lexerOnly(sql)[0] !== null);
    const undecided = ALL_SINGLE.filter(([sql]) => lexerOnly(sql)[0] === null).map(([sql]) => sql);
    // only the statements whose end it cannot find (BEGIN ATOMIC, ';' in a rule's parentheses)
    expect(undecided).toEqual([
      'create function f2() returns int language sql begin atomic select 1; select 2; end',
      'create procedure p() language sql begin atomic insert into t values (1); end',
      'create rule r as on insert to t do instead (insert into u values (1); insert into v values (2))',
    ]);
    for (const [sql, , write] of decided) expect([sql, lexerOnly(sql)[0]!.write]).toEqual([sql, write]);
  });

  test.each(LEXER_CONSERVATIVE)('lexer may call a read a write: %s', (sql) => {
    expect(classifyWithPg(sql)![0]!.write).toBe(false);
    expect(lexerOnly(sql)[0]!.write).toBe(true);
    expect(classify(sql)[0]!.write).toBe(true);
  });
});

describe('multi-statement strings', () => {
  test.each(MULTI)('%s', (sql, expected) => {
    const list = classify(sql);
    expect(list.map((i) => [i.command, i.write])).toEqual(expected);
    const one = classifyOne(sql);
    expect(one.write).toBe(expected.some(([, w]) => w));
    expect(one.command).toBe(expected.map(([c]) => c).join(';'));
    expect(splitStatements(sql)).toEqual(list.map((i) => i.text));
  });

  test('texts are trimmed and lose their semicolons; comments stay', () => {
    expect(splitStatements(' select 1 ;\n/* c */ select 2;  -- end')).toEqual(['select 1', '/* c */ select 2']);
    expect(classify('select 1; /* c */ insert into t values (1) -- x').map((i) => i.text)).toEqual([
      'select 1',
      '/* c */ insert into t values (1) -- x',
    ]);
  });

  test('BEGIN ATOMIC bodies are split by libpg-query', () => {
    const sql = 'create function f() returns int language sql begin atomic select 1; select 2; end; select 3';
    expect(splitStatements(sql)).toEqual([
      'create function f() returns int language sql begin atomic select 1; select 2; end',
      'select 3',
    ]);
    expect(classify(sql).map((i) => i.parsedBy)).toEqual(['pg', 'pg']);
  });

  test('statements before an unparseable one keep the lexer answer', () => {
    const list = classify("select 1; select 'oops");
    expect(list.map((i) => [i.parsedBy, i.write])).toEqual([
      ['lexer', false],
      ['fallback', true],
    ]);
  });

  test('empty and comment-only strings have no statements', () => {
    expect(classify('')).toEqual([]);
    expect(classify('  -- nothing\n /* here */ ;; ')).toEqual([]);
    expect(splitStatements('')).toEqual([]);
    expect(classifyOne('')).toMatchObject({ command: 'EMPTY', write: false, text: '' });
  });

  test('classifyOne combines flags and functions', () => {
    const one = classifyOne("select nextval('s'); select * from t for update; select lower(x)");
    expect(one).toMatchObject({
      write: true,
      usesSequence: true,
      locksRows: true,
      functions: ['nextval', 'lower'],
      parsedBy: 'lexer',
    });
    expect(one.session).toBeUndefined();
    expect(classifyOne('select 1; select 2').write).toBe(false);
    expect(classifyOne('select 1; frobnicate').parsedBy).toBe('fallback');
  });
});

describe('lexing details that move statement boundaries', () => {
  test('standard_conforming_strings off makes backslashes escape in plain strings', () => {
    const sql = "select 'a\\'; delete from t; --'";
    expect(classify(sql).map((i) => i.command)).toEqual(['SELECT', 'DELETE']);
    standardConformingStrings(false);
    try {
      expect(classify(sql).map((i) => i.command)).toEqual(['SELECT']);
      expect(classify(sql)[0]!.write).toBe(false);
    } finally {
      standardConformingStrings(true);
    }
    expect(classify(sql)).toHaveLength(2);
  });

  test('string continuation keeps the E-string escaping rules', () => {
    // PostgreSQL reads `'\'; delete from t; --'` as the continuation of an E'' string
    const sql = "select E'a'\n'\\'; delete from t; --'";
    expect(classify(sql)).toHaveLength(1);
    expect(classifyWithPg(sql)).toHaveLength(1);
  });

  test('identifiers may contain $ and do not start dollar quotes', () => {
    expect(classify('select a$$b, c$1 from t; select 2')).toHaveLength(2);
  });

  test('dollar-quote tags are case sensitive and may not start with a digit', () => {
    expect(classify('select $A$ $a$ ; $A$; select 1')).toHaveLength(2);
    expect(classify('select $1; select 2')).toHaveLength(2);
  });

  test('operators followed by comments', () => {
    expect(classify('select 1 +-- comment ; delete\n 2').map((i) => i.write)).toEqual([false]);
    expect(classify('select 2 */* c; */ 3')).toHaveLength(1);
  });
});

describe('cache', () => {
  afterEach(() => setCacheSize(10_000));

  test('returns the same frozen object for the same text', () => {
    const a = classify('select 42 as cached');
    expect(classify('select 42 as cached')).toBe(a);
    expect(Object.isFrozen(a)).toBe(true);
    expect(Object.isFrozen(a[0])).toBe(true);
    expect(Object.isFrozen(a[0]!.functions)).toBe(true);
    expect(() => {
      (a[0] as { write: boolean }).write = true;
    }).toThrow();
  });

  test('size 0 disables it', () => {
    setCacheSize(0);
    const a = classify('select 43 as uncached');
    const b = classify('select 43 as uncached');
    expect(b).not.toBe(a);
    expect(b).toEqual(a);
  });

  test('evicts the least recently used entry', () => {
    setCacheSize(2);
    const a = classify('select 1 as a');
    const b = classify('select 1 as b');
    classify('select 1 as a'); // a is now the most recent
    classify('select 1 as c'); // evicts b
    expect(classify('select 1 as a')).toBe(a);
    expect(classify('select 1 as b')).not.toBe(b);
  });
});
