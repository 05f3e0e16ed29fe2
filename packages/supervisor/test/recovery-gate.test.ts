/**
 * Online recovery's session gate, both halves wired to each other in one process: the
 * supervisor's SessionGate and a worker's RecoveryGate with fake sessions and sockets.
 */
import { EventEmitter } from 'node:events';
import type net from 'node:net';
import { RecoveryGate } from '../../proxy/src/recovery-gate';
import type { ClientError } from '../../proxy/src/errors';
import { SessionGate } from '../src/recovery/session-gate';
import { recoveryStatement, remoteStartStatement } from '../src/recovery/sql';

const quiet = { log: () => {}, warn: () => {}, error: () => {}, debug: () => {}, info: () => {} } as never;

class FakeSession {
  idleSince: number | null = Date.now();
  ended: ClientError | null = null;
  constructor(private readonly set: Set<unknown>) {
    set.add(this);
  }
  recoveryIdleSince() {
    return this.idleSince;
  }
  endForRecovery(err: ClientError) {
    this.ended = err;
    this.set.delete(this);
  }
  shutdown() {}
  nodeWentDown() {}
}

class FakeSocket extends EventEmitter {
  destroyed = false;
  paused = false;
  pause() {
    this.paused = true;
    return this;
  }
  resume() {
    this.paused = false;
    return this;
  }
  destroy() {
    this.destroyed = true;
    this.emit('close');
    return this;
  }
}

function setup() {
  const sessions = new Set<unknown>();
  const started: FakeSocket[] = [];
  const listeners = new Set<(w: number, m: { t: string }) => void>();
  let worker!: RecoveryGate;
  const ctx = { workerIndex: 0, sessions, log: quiet } as never;
  worker = new RecoveryGate(ctx, (s) => started.push(s as unknown as FakeSocket), (m) => queueMicrotask(() => listeners.forEach((l) => l(0, m))));
  const sup = new SessionGate({
    workers: { indices: [0], pidOf: () => 42, sendTo: (_i, m) => queueMicrotask(() => worker.handle(m)) },
    onWorkerMessage: (l) => {
      listeners.add(l);
      return () => listeners.delete(l);
    },
    log: quiet,
  });
  return { sessions, started, worker, sup };
}

afterEach(() => jest.useRealTimers());

test('new connections wait while the gate is closed and start, in order, when it opens', async () => {
  const { worker, sup, started } = setup();
  const before = new FakeSocket();
  expect(worker.admit(before as unknown as net.Socket)).toBe(true);
  sup.close(0);
  await new Promise((r) => setTimeout(r, 20));
  const a = new FakeSocket();
  const b = new FakeSocket();
  const gone = new FakeSocket();
  for (const s of [a, b, gone]) expect(worker.admit(s as unknown as net.Socket)).toBe(false);
  expect(a.paused).toBe(true);
  gone.destroy();
  expect((await sup.waitForSessionsToEnd(1000)).ok).toBe(true);
  sup.dispose();
  await new Promise((r) => setTimeout(r, 20));
  expect(started).toEqual([a, b]);
  expect(a.paused).toBe(false);
});

test('client_idle_limit_in_recovery -1: idle sessions end at once, a busy one as soon as it is idle', async () => {
  const { sessions, sup } = setup();
  const idle = new FakeSession(sessions);
  const busy = new FakeSession(sessions);
  busy.idleSince = null;
  sup.close(-1);
  const waiting = sup.waitForSessionsToEnd(5000);
  await new Promise((r) => setTimeout(r, 50));
  expect(idle.ended?.notice).toMatchObject({ code: '57000', message: 'connection terminated due to online recovery' });
  expect(busy.ended).toBeNull();
  busy.idleSince = Date.now();
  const r = await waiting;
  expect(r.ok).toBe(true);
  expect(busy.ended?.notice.detail).toBe('child connection forced to terminate due to client_idle_limit_in_recovery = -1');
  sup.dispose();
});

test('client_idle_limit_in_recovery N counts idleness from the gate, or from the end of the last query', async () => {
  const { sessions, sup } = setup();
  const longIdle = new FakeSession(sessions);
  longIdle.idleSince = Date.now() - 60_000;
  const querying = new FakeSession(sessions);
  querying.idleSince = null;
  sup.close(1);
  await new Promise((r) => setTimeout(r, 500));
  expect(longIdle.ended).toBeNull();
  // Its query answers now; the client sent it long ago, but idleness starts here.
  querying.idleSince = Date.now() - 60_000;
  await new Promise((r) => setTimeout(r, 700));
  expect(longIdle.ended).not.toBeNull();
  expect(querying.ended).toBeNull();
  const r = await sup.waitForSessionsToEnd(3000);
  expect(r.ok).toBe(true);
  expect(r.ms).toBeGreaterThanOrEqual(300);
  expect(querying.ended?.notice.code).toBe('57000');
  expect(longIdle.ended?.notice).toMatchObject({ code: '57000', message: 'unable to read data', detail: 'child connection forced to terminate due to client_idle_limit_in_recovery:1 is reached' });
  sup.dispose();
});

test('0: sessions are waited for, up to the timeout', async () => {
  const { sessions, sup } = setup();
  const s = new FakeSession(sessions);
  sup.close(0);
  const r = await sup.waitForSessionsToEnd(600);
  expect(r).toMatchObject({ ok: false, why: '1 client session(s) still open after 600 ms' });
  expect(s.ended).toBeNull();
  sup.dispose();
});

test('a worker that never answers (built without the gate) fails the wait instead of hanging it', async () => {
  const sup = new SessionGate({ workers: { indices: [0, 1], pidOf: (i) => i + 1, sendTo: () => {} }, onWorkerMessage: () => () => {}, log: quiet });
  sup.close(0);
  const r = await sup.waitForSessionsToEnd(60_000);
  expect(r).toMatchObject({ ok: false, why: 'worker(s) 0, 1 did not answer the recovery gate within 3000 ms' });
  sup.dispose();
});

test('a worker opens by itself when the supervisor stops repeating hold', () => {
  jest.useFakeTimers();
  const sessions = new Set<unknown>();
  const started: unknown[] = [];
  const worker = new RecoveryGate({ workerIndex: 0, sessions, log: quiet } as never, (s) => started.push(s), () => {});
  worker.handle({ t: 'recovery_gate', id: 1, action: 'hold', idleLimit: 0 } as never);
  const s = new FakeSocket();
  expect(worker.admit(s as unknown as net.Socket)).toBe(false);
  jest.advanceTimersByTime(9_000);
  expect(started).toEqual([]);
  jest.advanceTimersByTime(2_000);
  expect(started).toEqual([s]);
  expect(worker.admit(new FakeSocket() as unknown as net.Socket)).toBe(true);
});

test("the statements pgpool 4.3 sends: seven arguments, socket hosts as localhost, quotes doubled", () => {
  const b = (id: number, hostname: string, port: number, data_directory: string) => ({ id, hostname, port, data_directory }) as never;
  expect(recoveryStatement('recovery_1st_stage', b(2, '/tmp', 5434, "/d/it's"), b(0, 'db0', 5432, '/d0'))).toBe(
    "SELECT pgpool_recovery('recovery_1st_stage', 'localhost', '/d/it''s', '5432', 2, '5434', 'db0')",
  );
  expect(remoteStartStatement(b(1, '', 5433, '/d1'))).toBe("SELECT pgpool_remote_start('localhost', '/d1')");
});
