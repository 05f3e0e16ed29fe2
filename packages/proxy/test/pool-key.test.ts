import { poolKey } from '../src/pool';

test('pool keys differ by node, user, database and startup parameters, not by parameter order', () => {
  const p = (o: Record<string, string>) => new Map(Object.entries(o));
  const base = poolKey(0, 'alice', 'db', p({ application_name: 'x', client_encoding: 'UTF8' }));
  expect(poolKey(0, 'alice', 'db', p({ client_encoding: 'UTF8', application_name: 'x' }))).toBe(base);
  expect(poolKey(1, 'alice', 'db', p({ application_name: 'x', client_encoding: 'UTF8' }))).not.toBe(base);
  expect(poolKey(0, 'bob', 'db', p({ application_name: 'x', client_encoding: 'UTF8' }))).not.toBe(base);
  expect(poolKey(0, 'alice', 'db2', p({ application_name: 'x', client_encoding: 'UTF8' }))).not.toBe(base);
  expect(poolKey(0, 'alice', 'db', p({ application_name: 'y', client_encoding: 'UTF8' }))).not.toBe(base);
});
