import { NUM, PARAM, PUNCT, QIDENT, STR, WORD, lex, stringValue } from '../src/lexer';

const kinds = (sql: string) => lex(sql)[0]!.tokens.map((t) => [t.k, sql.slice(t.s, t.e)]);
const problem = (sql: string) => lex(sql).map((s) => s.problem);

describe('tokens', () => {
  test('words are folded, quoted identifiers are not', () => {
    const t = lex('SELECT "MiXed", Foo$1 FROM t')[0]!.tokens;
    expect(t.map((x) => x.w)).toEqual(['select', 'MiXed', ',', 'foo$1', 'from', 't']);
    expect(t[1]!.k).toBe(QIDENT);
  });

  test('escaped quotes inside quoted identifiers', () => {
    expect(lex('select "a""b"')[0]!.tokens[1]!.w).toBe('a"b');
  });

  test('only ASCII letters fold, as PostgreSQL does for UTF-8', () => {
    expect(lex('select ÄbC')[0]!.tokens[1]!.w).toBe('Äbc');
  });

  test('string constants of every kind are one token', () => {
    const sql = "select 'a''b', E'c\\'d', U&'\\0041', B'101', X'ff', N'n', $$x$$, $q$y$q$";
    expect(kinds(sql).filter(([k]) => k === STR).map(([, s]) => s)).toEqual([
      "'a''b'",
      "E'c\\'d'",
      "U&'\\0041'",
      "B'101'",
      "X'ff'",
      "N'n'",
      '$$x$$',
      '$q$y$q$',
    ]);
  });

  test('parameters, numbers, casts and operators', () => {
    expect(kinds('select $1::int + 1.5e3 - .5, a->>\'k\'')).toEqual([
      [WORD, 'select'],
      [PARAM, '$1'],
      [PUNCT, '::'],
      [WORD, 'int'],
      [PUNCT, '+'],
      [NUM, '1.5e3'],
      [PUNCT, '-'],
      [NUM, '.5'],
      [PUNCT, ','],
      [WORD, 'a'],
      [PUNCT, '-'],
      [PUNCT, '>'],
      [PUNCT, '>'],
      [STR, "'k'"],
    ]);
  });

  test('parenthesis depth', () => {
    const t = lex('select f(a, (b)) x')[0]!.tokens;
    expect(t.map((x) => x.d)).toEqual([0, 0, 0, 1, 1, 1, 2, 1, 0, 0]);
  });

  test('stringValue decodes what names and settings need', () => {
    const sql = "select 'it''s', E'a\\nb\\'', $t$raw$t$, 'a'\n'b'";
    const strs = lex(sql)[0]!.tokens.filter((t) => t.k === STR);
    expect(strs.map((t) => stringValue(sql, t))).toEqual(["it's", "a\nb'", 'raw', 'ab']);
  });
});

describe('comments', () => {
  test('nested block comments and line comments are skipped', () => {
    expect(kinds('/* a /* b */ c */ select -- x\n 1')).toEqual([
      [WORD, 'select'],
      [NUM, '1'],
    ]);
  });

  test('a comment may start inside an operator', () => {
    expect(kinds('select 1 +-- x\n 2').map(([, s]) => s)).toEqual(['select', '1', '+', '2']);
    expect(kinds('select 2 */* x */ 3').map(([, s]) => s)).toEqual(['select', '2', '*', '3']);
  });
});

describe('splitting', () => {
  test('on semicolons outside quotes, comments and dollar bodies', () => {
    const sql = "select ';'; select \";\"; select $$;$$; select 1 /* ; */; -- ;\nselect 2";
    expect(lex(sql)).toHaveLength(5);
  });

  test('empty statements disappear', () => {
    expect(lex(';; ;\n-- c\n;')).toHaveLength(0);
  });

  test('statement bounds exclude the semicolon', () => {
    const sql = 'select 1 ; select 2';
    expect(lex(sql).map((s) => sql.slice(s.start, s.end))).toEqual(['select 1 ', ' select 2']);
  });

  test('CREATE FUNCTION … BEGIN ATOMIC bodies stay whole but are flagged', () => {
    const sql =
      'create function f() returns int language sql begin atomic select case when true then 1 end; select 2; end; select 3';
    const st = lex(sql);
    expect(st).toHaveLength(2);
    expect(st[0]!.problem).toBe('BEGIN ATOMIC body');
    expect(st[0]!.splitUnsure).toBe(true);
    expect(st[1]!.problem).toBeNull();
  });

  test('BEGIN outside a routine definition is a transaction start', () => {
    expect(problem('begin; select 1')).toEqual([null, null]);
  });

  test("';' inside parentheses does not split (CREATE RULE … DO (a; b))", () => {
    const st = lex('create rule r as on insert to t do (select 1; select 2); select 3');
    expect(st).toHaveLength(2);
    expect(st[0]!.splitUnsure).toBe(true);
  });
});

describe('problems hand the statement to libpg-query', () => {
  test.each([
    ["select 'abc", 'unterminated quoted string'],
    ["select E'abc\\'", 'unterminated quoted string'],
    ['select "abc', 'unterminated quoted identifier'],
    ['select /* abc /* */', 'unterminated /* comment'],
    ['select $a$ abc $b$', 'unterminated dollar-quoted string'],
    ['select U&"a"', 'unicode-escaped identifier'],
    ['select 123abc', 'trailing junk after numeric literal'],
    ['select $1abc', 'trailing junk after parameter'],
    ['select $', 'unexpected $'],
    ['select 1 \\ 2', 'unexpected character'],
    ['select (1', 'unbalanced parentheses'],
    ['select 1)', 'unbalanced parentheses'],
    ['select ""', 'zero-length delimited identifier'],
  ])('%s', (sql, why) => {
    expect(problem(sql)).toEqual([why]);
  });

  test('with standard_conforming_strings off, backslashes escape in plain strings', () => {
    expect(lex("select 'a\\'; select 2", false)).toHaveLength(1);
    expect(lex("select 'a\\'; select 2", true)).toHaveLength(2);
  });
});
