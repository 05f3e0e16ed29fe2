/** Health check pieces without a server: number formats, login rules, stats rows, the test hook file. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { encryptAes, md5Hash, type PasswdSecret } from '@pgrelay/config';
import { healthLogin, printfF, localTimestamp } from '../src/health';
import { downRequested } from '../src/health/down-request';
import { NodeHealthStats, statsRow } from '../src/health/stats';

describe('printfF (glibc %f)', () => {
  test.each([
    [0, '0.000000'],
    [2.75, '2.750000'],
    [2 / 3, '0.666667'],
    [1573.857142857143, '1573.857143'],
    [11001, '11001.000000'],
    // exact binary ties round half to even, as glibc does (toFixed would round both up)
    [0.0078125, '0.007812'],
    [0.0234375, '0.023438'],
    [0.5e-6, '0.000000'],
    [999999.9999995, '999999.999999'], // the double is just below the tie
    [999999.9999996, '1000000.000000'],
    [NaN, '-nan'],
    [Infinity, 'inf'],
  ])('%p prints %p', (x, s) => {
    expect(printfF(x)).toBe(s);
  });

  test('local time as %F %T', () => {
    const t = new Date(2026, 10, 22, 9, 5, 7, 999).getTime();
    expect(localTimestamp(t)).toBe('2026-11-22 09:05:07');
  });
});

describe('healthLogin (pgpool password rules)', () => {
  const passwd = new Map<string, PasswdSecret>([
    ['alice', { kind: 'text', password: 'from-passwd' }],
    ['bob', { kind: 'md5', hash: md5Hash('pw', 'bob') }],
    ['carol', { kind: 'scram', verifier: 'SCRAM-SHA-256$4096:x$y:z' }],
  ]);
  const hc = (user: string, password = '', database = '') => ({ user, password, database });

  test('an empty health_check_password falls back to pool_passwd; empty database means postgres', () => {
    expect(healthLogin(hc('alice'), passwd, undefined)).toEqual({ user: 'alice', database: 'postgres', password: 'from-passwd' });
    expect(healthLogin(hc('bob', '', 'db1'), passwd, undefined)).toEqual({ user: 'bob', database: 'db1', md5: md5Hash('pw', 'bob') });
  });

  test('no entry or a SCRAM verifier means no password', () => {
    expect(healthLogin(hc('nobody'), passwd, undefined)).toEqual({ user: 'nobody', database: 'postgres' });
    expect(healthLogin(hc('carol'), passwd, undefined)).toEqual({ user: 'carol', database: 'postgres' });
  });

  test('configured password: md5 hash, TEXT prefix, plain, md5 of the wrong length is plain', () => {
    const h = md5Hash('x', 'alice');
    expect(healthLogin(hc('alice', h), passwd, undefined).md5).toBe(h);
    expect(healthLogin(hc('alice', 'TEXTsecret'), passwd, undefined).password).toBe('secret');
    expect(healthLogin(hc('alice', 'plain'), passwd, undefined).password).toBe('plain');
    expect(healthLogin(hc('alice', 'md5short'), passwd, undefined).password).toBe('md5short');
  });

  test('AES needs the pool key; without it there is no password and a problem to warn about', () => {
    const enc = encryptAes('s3cret', 'the-key');
    expect(healthLogin(hc('alice', enc), passwd, 'the-key').password).toBe('s3cret');
    const noKey = healthLogin(hc('alice', enc), passwd, undefined);
    expect(noKey.password).toBeUndefined();
    expect(noKey.problem).toMatch(/^could not get the password for user:alice/);
  });
});

describe('statsRow', () => {
  const node = { hostname: 'h', port: 5432, status: 'up', role: 'primary', lastStatusChange: new Date(2026, 0, 2, 3, 4, 5).getTime() };

  test('before any timed check: pgpool prints -nan and INT_MAX', () => {
    const row = statsRow(0, node, new NodeHealthStats(), true);
    expect(row).toMatchObject({
      node_id: '0', port: '5432', last_status_change: '2026-01-02 03:04:05', total_count: '0',
      average_retry_count: '-nan', average_duration: '-nan', min_duration: '2147483647', max_duration: '0',
      last_health_check: '', last_successful_health_check: '', last_skip_health_check: '', last_failed_health_check: '',
    });
  });

  test('health_check_period 0: averages 0.000000, and the idle loop resets min_duration to 0', () => {
    const s = new NodeHealthStats();
    s.periodOff();
    expect(statsRow(0, node, s, false)).toMatchObject({ average_retry_count: '0.000000', average_duration: '0.000000', min_duration: '0' });
  });

  test('skips do not count in the averages; a DISALLOW failure only sets last_failed', () => {
    const s = new NodeHealthStats();
    const t = new Date(2026, 0, 2, 3, 4, 5).getTime();
    s.begin(t); s.succeeded(t); s.finished(0, 3.9);
    s.begin(t); s.retried(); s.retried(); s.failed(t, false); s.finished(2, 2001.2);
    s.begin(t); s.skipped(t);
    const row = statsRow(0, node, s, true);
    expect(row).toMatchObject({
      total_count: '3', success_count: '1', fail_count: '0', skip_count: '1', retry_count: '2',
      average_retry_count: '1.000000', max_retry_count: '2', max_duration: '2001', min_duration: '3',
      average_duration: '1002.000000', last_failed_health_check: '2026-01-02 03:04:05', last_skip_health_check: '2026-01-02 03:04:05',
    });
  });
});

describe('backend_down_request (health_check_test)', () => {
  test('`N<TAB>down` lines, as pgpool scans them', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hc-down-'));
    try {
      expect(downRequested(dir, 0)).toBe('missing');
      fs.writeFileSync(path.join(dir, 'backend_down_request'), '0\talready_down\n1\tdown\n 2 down\n');
      expect(downRequested(dir, 0)).toBe(false);
      expect(downRequested(dir, 1)).toBe(true);
      expect(downRequested(dir, 2)).toBe(true);
      expect(downRequested(dir, 3)).toBe(false);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
