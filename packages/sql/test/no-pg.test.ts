import { classify, initPgParser, isPgParserReady, splitStatements } from '../src';

// Runs in its own module registry, so libpg-query starts unloaded here.

const ATOMIC = 'create function f() returns int language sql begin atomic select 1; select 2; end; select 3';

test('before libpg-query is loaded, what the lexer cannot decide is a write', () => {
  expect(isPgParserReady()).toBe(false);
  expect(classify('select 1')[0]).toMatchObject({ write: false, parsedBy: 'lexer' });
  expect(classify('frobnicate')[0]).toMatchObject({ write: true, parsedBy: 'fallback', command: 'FROBNICATE' });
  expect(classify(ATOMIC).map((i) => [i.parsedBy, i.write])).toEqual([
    ['fallback', true],
    ['lexer', false],
  ]);
  // psql's heuristic still finds the end of the body
  expect(splitStatements(ATOMIC)).toHaveLength(2);
});

test('fallbacks are not cached, so loading libpg-query improves later answers', async () => {
  const before = classify(ATOMIC);
  await initPgParser();
  expect(isPgParserReady()).toBe(true);
  const after = classify(ATOMIC);
  expect(after).not.toBe(before);
  expect(after.map((i) => [i.parsedBy, i.command])).toEqual([
    ['pg', 'CREATE FUNCTION'],
    ['pg', 'SELECT'],
  ]);
  // initPgParser is idempotent
  await initPgParser();
});
