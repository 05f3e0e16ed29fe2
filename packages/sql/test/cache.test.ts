/** The statement cache: bounded, least recently used out first, resizable, off at 0. */
import { Lru } from '../src/cache';

const v = (n: number) => ({ n });

test('a hit makes an entry the most recently used: the least recently used one goes first', () => {
  const c = new Lru<{ n: number }>(2);
  c.set('a', v(1));
  c.set('b', v(2));
  expect(c.get('a')).toEqual(v(1));
  c.set('c', v(3));
  expect(c.get('b')).toBeUndefined();
  expect(c.get('a')).toEqual(v(1));
  expect(c.get('c')).toEqual(v(3));
  expect(c.size).toBe(2);
});

test('resize keeps the most recently used entries that fit; 0 turns the cache off', () => {
  const c = new Lru<{ n: number }>(4);
  for (const [i, k] of ['a', 'b', 'c', 'd'].entries()) c.set(k, v(i));
  c.get('a');
  c.resize(2);
  expect(c.capacity).toBe(2);
  expect([c.get('b'), c.get('c')]).toEqual([undefined, undefined]);
  expect(c.get('d')).toEqual(v(3));
  expect(c.get('a')).toEqual(v(0));
  c.resize(0);
  c.set('e', v(4));
  expect([c.size, c.capacity, c.get('e')]).toEqual([0, 0, undefined]);
  c.resize(3);
  c.set('e', v(4));
  expect(c.get('e')).toEqual(v(4));
});

test('a full cache stays bounded under a stream of distinct statements', () => {
  const c = new Lru<{ n: number }>(1000);
  for (let i = 0; i < 50_000; i++) c.set(`SELECT ${i}`, v(i));
  expect(c.size).toBe(1000);
  expect(c.get('SELECT 49999')).toEqual(v(49999));
  expect(c.get('SELECT 48999')).toBeUndefined();
});
