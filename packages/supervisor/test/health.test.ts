/**
 * The health checker against real PostgreSQL servers: a primary and two standbys, killed,
 * stopped (SIGSTOP) and restarted for real. Timings are measured from the fault to the report.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { parseConfigText, type PasswdSecret, type PgpoolConfig } from '@pgrelay/config';
import type { ClusterState, NodeStatus } from '@pgrelay/cluster';
import type { Logger } from '@pgrelay/proxy';
import { startCluster, type Cluster } from '@pgrelay/testkit';
import { HealthChecker, type HealthFailure } from '../src/health';

interface Event {
  level: number;
  msg: string;
  time: number;
  [k: string]: unknown;
}

let cluster: Cluster;
const checkers: HealthChecker[] = [];

beforeAll(async () => {
  cluster = await startCluster({ standbys: 2, name: 'health' });
});

afterAll(async () => {
  await Promise.all(checkers.map((c) => c.stop()));
  for (const n of cluster?.nodes ?? []) if (n.isRunning()) n.resume();
  await cluster?.stop();
});

/** A checker over the whole cluster; only nodes given a status are up (the others count as down at start). */
function harness(settings: string, status: Record<number, NodeStatus>, opts: { passwd?: Map<string, PasswdSecret>; logdir?: string } = {}) {
  const events: Event[] = [];
  const log = pino({ level: 'trace', customLevels: { notice: 35, log: 55 } }, { write: (s: string) => void events.push(JSON.parse(s)) }) as Logger;
  const text = (extra: string) =>
    cluster.nodes.map((n) => `backend_hostname${n.id} = '127.0.0.1'\nbackend_port${n.id} = ${n.port}\n`).join('') +
    "health_check_user = 'postgres'\nconnect_timeout = 1000\n" +
    extra;
  let config: PgpoolConfig = parseConfigText(text(settings), '/nonexistent/pgpool.conf').values;
  const statuses = new Map<number, NodeStatus>(Object.entries(status).map(([k, v]) => [Number(k), v]));
  const failures: HealthFailure[] = [];
  const waiters: Array<(f: HealthFailure) => void> = [];
  const checker = new HealthChecker({
    config: () => config,
    passwd: () => opts.passwd ?? new Map(),
    log,
    nodeStatus: (id) => statuses.get(id) ?? 'down',
    onFailure: (_id, _cause, f) => {
      failures.push(f);
      waiters.splice(0).forEach((w) => w(f));
    },
    logdir: opts.logdir ? () => opts.logdir! : undefined,
  });
  checkers.push(checker);
  const state = (): ClusterState => ({
    version: 1,
    mode: 'streaming_replication',
    primaryId: 0,
    mainId: 0,
    nodes: cluster.nodes.map((n) => ({
      id: n.id, host: '127.0.0.1', port: n.port, status: statuses.get(n.id) ?? 'down', role: n.id === 0 ? 'primary' : 'standby',
      weight: 0, lastStatusChange: Date.now(), replicationDelay: 0,
    })),
  });
  return {
    checker,
    events,
    failures,
    statuses,
    row: (id: number) => checker.stats(state())[id]!,
    msgs: () => events.map((e) => e.msg),
    setConfig(extra: string) {
      config = parseConfigText(text(extra), '/nonexistent/pgpool.conf').values;
      checker.reconfigure();
    },
    nextFailure: (timeoutMs: number) =>
      new Promise<HealthFailure>((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`no failure reported within ${timeoutMs} ms`)), timeoutMs);
        waiters.push((f) => {
          clearTimeout(t);
          resolve(f);
        });
      }),
  };
}

async function until(what: string, cond: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

const TIME = /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/;

test('a healthy node: successes counted, formatted as pgpool prints them; nodes down at start get no loop', async () => {
  const h = harness('health_check_period = 1\n', { 0: 'up' });
  h.checker.start();
  expect(h.checker.isRunning(0)).toBe(true);
  expect(h.checker.isRunning(1)).toBe(false);
  await until('three successful checks', () => Number(h.row(0).success_count) >= 3, 5000);
  await h.checker.stop();
  const r = h.row(0);
  expect(r).toMatchObject({ node_id: '0', status: 'up', role: 'primary', fail_count: '0', skip_count: '0', retry_count: '0', average_retry_count: '0.000000', max_retry_count: '0', last_failed_health_check: '', last_skip_health_check: '' });
  expect(r.total_count).toBe(r.success_count);
  expect(Number(r.min_duration)).toBeLessThanOrEqual(Number(r.max_duration));
  expect(r.average_duration).toMatch(/^\d+\.\d{6}$/);
  expect(r.last_health_check).toMatch(TIME);
  expect(r.last_successful_health_check).toMatch(TIME);
  // pgpool 4.3.5 shows exactly this for a node that has never been checked.
  expect(h.row(1)).toMatchObject({ status: 'down', total_count: '0', min_duration: '2147483647', average_duration: '-nan', average_retry_count: '-nan' });
  expect(h.failures).toEqual([]);
});

test('kill -9: reported after max_retries × retry_delay; while down it is skipped; restarted, it succeeds again', async () => {
  const node = cluster.nodes[1]!;
  const h = harness('health_check_period = 1\nhealth_check_max_retries = 2\nhealth_check_retry_delay = 1\nhealth_check_timeout = 5\n', { 1: 'up' });
  h.checker.start();
  await until('a first success', () => Number(h.row(1).success_count) >= 1);
  const failure = h.nextFailure(10_000);
  const t0 = Date.now();
  node.kill9();
  const f = await failure;
  const detectMs = Date.now() - t0;
  console.log(`kill -9 of node 1 detected in ${detectMs} ms (period 1 s, 2 retries × 1 s)`);
  // The retries alone take 2 × 1 s; waiting for the next check adds at most the period.
  expect(detectMs).toBeGreaterThanOrEqual(2000);
  expect(detectMs).toBeLessThan(2000 + 1000 + 1000);
  expect(f).toMatchObject({ nodeId: 1, timedOut: false, attempts: 3 });
  expect(f.reason).toMatch(/ECONNREFUSED/);
  const m = h.msgs();
  expect(m).toEqual(expect.arrayContaining([
    `failed to connect to PostgreSQL server on "127.0.0.1:${node.port}"`,
    'health check retrying on DB node: 1 (round:1)',
    'health check retrying on DB node: 1 (round:2)',
    'health check failed on node 1 (timeout:0)',
  ]));
  expect(m.indexOf('health check retrying on DB node: 1 (round:1)')).toBeLessThan(m.indexOf('health check failed on node 1 (timeout:0)'));
  expect(h.row(1)).toMatchObject({ fail_count: '1', retry_count: '2', max_retry_count: '2' });
  expect(Number(h.row(1).max_duration)).toBeGreaterThanOrEqual(2000);

  // The coordinator marks it down: the loop keeps running and counts skips, as pgpool's does.
  h.statuses.set(1, 'down');
  await until('a skipped check', () => Number(h.row(1).skip_count) >= 1, 3000);
  expect(h.row(1).last_skip_health_check).toMatch(TIME);

  await node.start();
  h.statuses.set(1, 'waiting');
  const before = Number(h.row(1).success_count);
  h.checker.startNode(1);
  await until('a success after restart', () => Number(h.row(1).success_count) > before, 3000);
  expect(h.failures).toHaveLength(1);
});

test('SIGSTOP: the postmaster accepts TCP but never answers; reported within health_check_timeout', async () => {
  const node = cluster.nodes[2]!;
  const h = harness('health_check_period = 1\nhealth_check_max_retries = 0\nhealth_check_timeout = 2\n', { 2: 'up' });
  h.checker.start();
  await until('a first success', () => Number(h.row(2).success_count) >= 1);
  const failure = h.nextFailure(10_000);
  const t0 = Date.now();
  node.pause();
  try {
    const f = await failure;
    const detectMs = Date.now() - t0;
    console.log(`SIGSTOP of node 2 detected in ${detectMs} ms (period 1 s, health_check_timeout 2 s, no retries)`);
    expect(detectMs).toBeGreaterThanOrEqual(1500);
    expect(detectMs).toBeLessThan(1000 + 2000 + 1000);
    expect(f).toMatchObject({ nodeId: 2, timedOut: true, attempts: 1 });
    expect(h.msgs()).toContain('health check failed on node 2 (timeout:1)');
  } finally {
    node.resume();
  }
  await h.checker.stop();
});

test('stop() abandons an attempt stuck on a stopped postmaster at once, without a report', async () => {
  const node = cluster.nodes[2]!;
  const h = harness('health_check_period = 1\nhealth_check_timeout = 20\n', { 2: 'up' });
  node.pause();
  try {
    h.checker.start();
    await new Promise((r) => setTimeout(r, 300));
    const t0 = Date.now();
    await h.checker.stop();
    expect(Date.now() - t0).toBeLessThan(500);
    expect(h.failures).toEqual([]);
    expect(h.row(2)).toMatchObject({ total_count: '1', success_count: '0', fail_count: '0' });
  } finally {
    node.resume();
  }
});

test('a backend given by its socket directory is checked over the Unix socket', async () => {
  const node = cluster.nodes[0]!;
  const h = harness(`health_check_period = 1\nbackend_hostname0 = '${node.socketDir}'\n`, { 0: 'up' });
  h.checker.start();
  await until('a success over the socket', () => Number(h.row(0).success_count) >= 1, 3000);
  await h.checker.stop();
});

test('authentication refused is a failure; the right password from pool_passwd or as an md5 hash passes', async () => {
  const okPasswd = new Map<string, PasswdSecret>([['md5_user', { kind: 'text', password: 'md5_pass' }]]);
  const good = harness("health_check_period = 1\nhealth_check_user = 'md5_user'\n", { 0: 'up' }, { passwd: okPasswd });
  good.checker.start();
  await until('a success with the pool_passwd password', () => Number(good.row(0).success_count) >= 1);
  await good.checker.stop();

  const hashed = harness("health_check_period = 1\nhealth_check_user = 'md5_user'\nhealth_check_password = 'md5" + md5('md5_pass' + 'md5_user') + "'\n", { 0: 'up' });
  hashed.checker.start();
  await until('a success with the md5 hash', () => Number(hashed.row(0).success_count) >= 1);
  await hashed.checker.stop();

  const bad = harness("health_check_period = 1\nhealth_check_user = 'md5_user'\nhealth_check_password = 'wrong'\n", { 0: 'up' });
  const failure = bad.nextFailure(5000);
  bad.checker.start();
  const f = await failure;
  await bad.checker.stop();
  expect(f.timedOut).toBe(false);
  expect(f.reason).toMatch(/password authentication failed for user "md5_user".*28P01/);
  expect(bad.msgs()).toContain('health check failed on node 0 (timeout:0)');
  expect(good.failures).toEqual([]);
  expect(hashed.failures).toEqual([]);
});

test('DISALLOW_TO_FAILOVER: the failure is logged, not reported, and not in fail_count (as pgpool)', async () => {
  const h = harness("health_check_period = 1\nhealth_check_user = 'md5_user'\nhealth_check_password = 'wrong'\nbackend_flag0 = 'DISALLOW_TO_FAILOVER'\n", { 0: 'up' });
  h.checker.start();
  await until('the disallowed message', () => h.msgs().includes('health check failed on node 0 but failover is disallowed for the node'), 5000);
  await h.checker.stop();
  expect(h.failures).toEqual([]);
  expect(h.msgs()).not.toContain('health check failed on node 0 (timeout:0)');
  expect(h.row(0)).toMatchObject({ fail_count: '0', success_count: '0' });
  expect(h.row(0).last_failed_health_check).toMatch(TIME);
});

test('health_check_period 0 checks nothing; a reload that sets it starts checking at once', async () => {
  const h = harness('health_check_period = 0\n', { 0: 'up' });
  h.checker.start();
  await new Promise((r) => setTimeout(r, 300));
  expect(h.row(0)).toMatchObject({ total_count: '0', min_duration: '0', average_duration: '0.000000' });
  h.setConfig('health_check_period = 0\nhealth_check_period0 = 1\n');
  await until('a check after reload', () => Number(h.row(0).success_count) >= 1, 2000);
  await h.checker.stop();
});

test('health_check_test: a `0<TAB>down` line in logdir/backend_down_request fails node 0', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hc-test-'));
  try {
    fs.writeFileSync(path.join(dir, 'backend_down_request'), '0\tdown\n');
    const h = harness('health_check_period = 1\nhealth_check_test = on\n', { 0: 'up' }, { logdir: dir });
    const failure = h.nextFailure(5000);
    h.checker.start();
    expect((await failure).reason).toMatch(/backend_down_request/);
    await h.checker.stop();
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

function md5(s: string): string {
  return crypto.createHash('md5').update(s).digest('hex');
}
