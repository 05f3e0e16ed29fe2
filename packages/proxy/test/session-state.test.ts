/** SessionState (session-state.ts) and the failover judgement (survive/outcome.ts): what a session would need to be rebuilt, and what it owes. */
import { classify } from '@pgrelay/sql';
import { SessionState } from '../src/session-state';
import { judge, unansweredFrom, type InFlight } from '../src/survive/outcome';
import { describeUnrebuildable, parameterChanges } from '../src/survive/describe';
import { parseMessageOf, setStatement } from '../src/survive/replay-state';
import { TxRecorder } from '../src/survive/tx-recorder';

/** Runs `sql` as one simple Query the server accepted, ending in transaction status `status`. */
function run(s: SessionState, sql: string, status: 'I' | 'T' | 'E' = 'I', failed = false): void {
  s.noteSent(classify(sql));
  s.settle(failed, status);
}

const fresh = (max = 1 << 20, onOverflow?: (b: number, l: number) => void) => new SessionState(new Map([['user', 'u']]), max, onOverflow);

describe('SessionState', () => {
  test('session SETs are kept in order, each name once; SET LOCAL is not', () => {
    const s = fresh();
    run(s, "SET search_path TO a");
    run(s, 'SET statement_timeout = 5000');
    run(s, "SET search_path TO b");
    run(s, 'BEGIN', 'T');
    run(s, 'SET LOCAL work_mem = 1024', 'T');
    run(s, 'COMMIT');
    expect([...s.settings]).toEqual([
      ['statement_timeout', '5000'],
      ['search_path', 'b'],
    ]);
  });

  test('RESET removes one; RESET ALL keeps the role; a failed or rolled-back SET does not count', () => {
    const s = fresh();
    run(s, 'SET ROLE alice');
    run(s, 'SET work_mem = 2048');
    run(s, 'SET DateStyle = ISO');
    run(s, 'RESET work_mem');
    expect([...s.settings.keys()]).toEqual(['role', 'datestyle']);
    run(s, 'RESET ALL');
    expect([...s.settings.keys()]).toEqual(['role']);
    run(s, 'SET work_mem = 1', 'I', true);
    run(s, 'BEGIN', 'T');
    run(s, 'SET work_mem = 2', 'T');
    run(s, 'ROLLBACK');
    expect(s.settings.has('work_mem')).toBe(false);
  });

  test('SET SESSION AUTHORIZATION resets an earlier SET ROLE', () => {
    const s = fresh();
    run(s, 'SET ROLE alice');
    run(s, 'SET SESSION AUTHORIZATION bob');
    expect([...s.settings]).toEqual([['session_authorization', 'bob']]);
  });

  test('prepared statements by SQL and by Parse; DEALLOCATE ALL drops both; LISTEN/UNLISTEN', () => {
    const s = fresh();
    run(s, 'PREPARE q(int) AS SELECT $1');
    s.noteParse('p1', 'SELECT $1::int', [23]);
    s.noteParse('', 'SELECT 1', []);
    expect([...s.prepared.keys()]).toEqual(['q', 'p1']);
    expect(s.prepared.get('p1')).toEqual({ text: 'SELECT $1::int', paramTypes: [23], via: 'protocol' });
    run(s, 'LISTEN jobs');
    run(s, 'LISTEN "Other"');
    run(s, 'UNLISTEN jobs');
    expect([...s.listening]).toEqual(['Other']);
    run(s, 'DEALLOCATE ALL');
    expect(s.prepared.size).toBe(0);
  });

  test('temporary tables, session advisory locks and WITH HOLD cursors are marked; DISCARD ALL clears', () => {
    const s = fresh();
    run(s, 'CREATE TEMP TABLE t1 (v int)');
    run(s, 'SELECT pg_advisory_lock(1)');
    run(s, 'DECLARE c1 CURSOR WITH HOLD FOR SELECT 1');
    expect(describeUnrebuildable(s.unrebuildable)).toMatch(/temporary table \(t1\).*session advisory lock.*WITH HOLD cursor \(c1\)/);
    run(s, 'DISCARD ALL');
    expect(describeUnrebuildable(s.unrebuildable)).toBeNull();
  });

  test('bounded by session_state_max_size: the bound is reported once, and the session is then unrebuildable', () => {
    const hits: number[] = [];
    const s = fresh(40, (b) => hits.push(b));
    for (let i = 0; i < 20; i++) run(s, `SET work_mem = ${1000 + i}`); // the same name: the size does not grow
    expect(s.size).toBeLessThan(40);
    expect(hits).toEqual([]);
    run(s, "SET application_name = 'a rather long application name'");
    run(s, "SET search_path = 'x'");
    expect(hits.length).toBe(1);
    expect(describeUnrebuildable(s.unrebuildable)).toMatch(/session_state_max_size/);
  });

  test('abandonInFlight forgets effects the lost backend never confirmed', () => {
    const s = fresh();
    s.noteSent(classify('SET work_mem = 5'));
    s.abandonInFlight();
    s.settle(false, 'I');
    expect(s.settings.size).toBe(0);
  });
});

describe('replay statements', () => {
  test('SET, ROLE and SESSION AUTHORIZATION', () => {
    expect(setStatement('search_path', 'a, b')).toBe('SET search_path TO a, b');
    expect(setStatement('role', 'alice')).toBe('SET ROLE alice');
    expect(setStatement('session_authorization', 'bob')).toBe('SET SESSION AUTHORIZATION bob');
  });

  test('a Parse message with name, text and parameter types', () => {
    const m = parseMessageOf('p', 'SELECT $1', [23]);
    expect(m[0]).toBe(0x50);
    expect(m.readInt32BE(1)).toBe(m.length - 1);
    expect(m.subarray(5).toString('latin1')).toBe('p\0SELECT $1\0\0\x01\0\0\0\x17');
  });

  test('ParameterStatus differences', () => {
    expect(parameterChanges(new Map([['a', '1'], ['b', '2']]), new Map([['a', '1'], ['b', '3'], ['c', '4']]))).toEqual([
      ['b', '3'],
      ['c', '4'],
    ]);
  });
});

describe('what a lost session owes (judge)', () => {
  const t = (s: string) => [...s].map((c) => c.charCodeAt(0));
  const base: InFlight = { busy: true, status: 'I', batchStatus: 'I', batchWrites: false, batchCommits: false, batchDone: 0, headDelivered: false, types: t('Q') };

  test('idle: rebuilt unseen, or the lost transaction told at the next statement', () => {
    expect(judge({ ...base, busy: false })).toEqual({ kind: 'rebuild' });
    expect(judge({ ...base, busy: false, status: 'T' })).toEqual({ kind: 'lost_tx_idle' });
  });

  test('a read in flight outside a transaction is re-run from its first unanswered message', () => {
    expect(judge(base)).toEqual({ kind: 'rerun', from: 0 });
    expect(judge({ ...base, types: t('PBDESPBDES'), batchDone: 1 })).toEqual({ kind: 'rerun', from: 5 });
    expect(unansweredFrom(t('QQQ'), 2)).toBe(2);
  });

  test('a write in flight: 08007 for each owed answer; an unsynced pipeline is skipped to its Sync', () => {
    expect(judge({ ...base, batchWrites: true, types: t('PBDES') })).toEqual({ kind: 'unknown', owed: 1, tail: false });
    expect(judge({ ...base, batchWrites: true, types: t('PBDESPB') })).toEqual({ kind: 'unknown', owed: 1, tail: true });
  });

  test('in a transaction: lost (40001); a COMMIT in flight: unknown (08007) unless the transaction wrote nothing', () => {
    expect(judge({ ...base, batchStatus: 'T' })).toEqual({ kind: 'lost_tx', owed: 1, tail: false });
    expect(judge({ ...base, batchStatus: 'T', batchCommits: true, txWrote: true, bareCommit: true })).toEqual({ kind: 'unknown', owed: 1, tail: false });
    expect(judge({ ...base, batchStatus: 'T', batchCommits: true, txWrote: false, bareCommit: true })).toEqual({ kind: 'commit_readonly' });
  });

  test('a read whose answer was half sent cannot be re-run unseen', () => {
    expect(judge({ ...base, headDelivered: true })).toEqual({ kind: 'interrupted', owed: 1, tail: false });
  });
});

describe('transaction_replay recording (TxRecorder)', () => {
  const q = (sql: string): Buffer => {
    const b = Buffer.from(`${sql}\0`);
    const out = Buffer.alloc(5 + b.length);
    out[0] = 0x51;
    out.writeInt32BE(4 + b.length, 1);
    b.copy(out, 5);
    return out;
  };
  /** The client sends `sql`, gets `answer`, then a ReadyForQuery with `status`. */
  const turn = (r: TxRecorder, sql: string, answer: string, status: 'I' | 'T' | 'E') => {
    r.clientMessage(0x51, q(sql));
    r.answer(Buffer.from(answer));
    r.ready(status);
  };

  test('keeps the units of the open transaction with a checksum each; forgets them when it ends', () => {
    const r = new TxRecorder(1 << 20);
    turn(r, 'SELECT 1', 'row', 'I');
    expect(r.units).toEqual([]);
    turn(r, 'BEGIN', 'BEGIN', 'T');
    turn(r, 'UPDATE t SET v = 1', 'UPDATE 1', 'T');
    expect(r.units.map((u) => u.msgs.length)).toEqual([1, 1]);
    expect(r.units[0]!.sum).not.toBe(r.units[1]!.sum);
    r.clientMessage(0x51, q('SELECT 2'));
    expect(r.unanswered().length).toBe(1);
    r.answer(Buffer.from('x'));
    r.ready('T');
    turn(r, 'COMMIT', 'COMMIT', 'I');
    expect(r.units).toEqual([]);
    expect(r.refused).toBeNull();
  });

  test('refuses sequences, large objects, COPY, a failed transaction, and more than transaction_replay_max_size', () => {
    const cases: [string, RegExp][] = [
      ["SELECT nextval('s')", /nextval/],
      ['SELECT lo_create(0)', /lo_create/],
      ['COPY t FROM STDIN', /COPY/],
    ];
    for (const [sql, why] of cases) {
      const r = new TxRecorder(1 << 20);
      turn(r, 'BEGIN', 'BEGIN', 'T');
      turn(r, sql, 'x', 'T');
      expect(r.refused).toMatch(why);
    }
    const failed = new TxRecorder(1 << 20);
    turn(failed, 'BEGIN', 'BEGIN', 'T');
    turn(failed, 'SELECT 1/0', 'ERROR', 'E');
    expect(failed.refused).toMatch(/already failed/);
    const big = new TxRecorder(20);
    turn(big, 'BEGIN', 'BEGIN', 'T');
    turn(big, 'UPDATE t SET v = 1 WHERE id = 2', 'UPDATE 1', 'T');
    expect(big.refused).toMatch(/transaction_replay_max_size/);
    turn(big, 'ROLLBACK', 'ROLLBACK', 'I');
    expect(big.refused).toBeNull();
  });
});
