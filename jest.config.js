/** One jest run covers unit tests (pure logic) and integration tests (real PostgreSQL, the real pgrelay binary). */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/packages'],
  testMatch: ['**/test/**/*.test.ts'],
  transform: { '^.+\\.(t|j)sx?$': ['@swc/jest', { jsc: { target: 'es2022' }, module: { type: 'commonjs' } }] },
  moduleNameMapper: { '^@pgrelay/([a-z]+)$': '<rootDir>/packages/$1/src' },
  testTimeout: 60000,
  maxWorkers: 2,
  globalTeardown: '<rootDir>/packages/testkit/jest-teardown.js',
};
