/** failover/follow_primary/failback command lines: pgpool's placeholders and how they run. */
import pino from 'pino';
import type { Logger } from '@pgrelay/proxy';
import { expandPlaceholders, placeholderVars, runCommand, type PlaceholderBackend } from '../src/commands';
import { lineSplitter } from '../src/commands/lines';
import { groupRunning } from '../src/commands/process-group';

interface Event {
  level: number;
  msg: string;
  [k: string]: unknown;
}

function captureLog(): { log: Logger; events: Event[] } {
  const events: Event[] = [];
  const log = pino({ level: 'trace', customLevels: { notice: 35, log: 55 } }, { write: (s: string) => void events.push(JSON.parse(s)) }) as Logger;
  return { log, events };
}

const backends: PlaceholderBackend[] = [
  { id: 0, hostname: 'db0.example', port: 5432, data_directory: '/data/pg0' },
  { id: 1, hostname: 'db1.example', port: 5433, data_directory: '/data/pg1' },
  { id: 2, hostname: '', port: 5434, data_directory: '' },
];

describe('expandPlaceholders', () => {
  const vars = placeholderVars({ node: 1, newMain: 2, oldMain: 0, oldPrimary: 0 }, backends);

  test.each([
    ['%d', '1'],
    ['%h', 'db1.example'],
    ['%p', '5433'],
    ['%D', '/data/pg1'],
    ['%m', '2'],
    ['%H', ''],
    ['%r', '5434'],
    ['%R', ''],
    ['%M', '0'],
    ['%P', '0'],
    ['%N', 'db0.example'],
    ['%S', '5432'],
    ['%%', '%'],
  ])('%s expands to %j', (ph, out) => {
    expect(expandPlaceholders(`<${ph}>`, vars)).toBe(`<${out}>`);
  });

  test('unknown placeholders are dropped with their letter, a trailing lone % too', () => {
    expect(expandPlaceholders('a%xb%Zc%', vars)).toBe('abc');
    expect(expandPlaceholders('%%d is %d', vars)).toBe('%d is 1');
    expect(expandPlaceholders('100%% done', vars)).toBe('100% done');
  });

  test('a node that does not exist gives "" for host, port and directory, -1 for its id', () => {
    const v = placeholderVars({ node: 1, newMain: -1, oldMain: 1, oldPrimary: -1 }, backends);
    expect(expandPlaceholders('%m %H %r %R | %P %N %S', v)).toBe('-1 "" "" "" | -1 "" ""');
    const gone = placeholderVars({ node: 7, newMain: 0, oldMain: 0, oldPrimary: 0 }, backends);
    expect(expandPlaceholders('%d %h %p %D', gone)).toBe('7 "" "" ""');
  });

  // Both lines were taken from pgpool 4.3.5's own `execute command:` log on this machine.
  test('matches pgpool 4.3.5 byte for byte', () => {
    const tpl = 'echo failover %d %h %p %D %m %H %M %P %r %R %N %S %% %x end >> /tmp/hcexp/fo.log';
    const two: PlaceholderBackend[] = [
      { id: 0, hostname: '127.0.0.1', port: 46047, data_directory: '' },
      { id: 1, hostname: '127.0.0.1', port: 34277, data_directory: '' },
    ];
    expect(expandPlaceholders(tpl, placeholderVars({ node: 0, newMain: 1, oldMain: 0, oldPrimary: 0 }, two))).toBe(
      'echo failover 0 127.0.0.1 46047  1 127.0.0.1 0 0 34277  127.0.0.1 46047 %  end >> /tmp/hcexp/fo.log',
    );
    const lone: PlaceholderBackend[] = [{ id: 0, hostname: '127.0.0.1', port: 33961, data_directory: '' }];
    expect(expandPlaceholders(tpl, placeholderVars({ node: 0, newMain: -1, oldMain: 0, oldPrimary: 0 }, lone))).toBe(
      'echo failover 0 127.0.0.1 33961  -1 "" 0 0 "" "" 127.0.0.1 33961 %  end >> /tmp/hcexp/fo.log',
    );
  });
});

describe('lineSplitter', () => {
  test('lines split across chunks and inside a UTF-8 character come out whole', () => {
    const out: string[] = [];
    const s = lineSplitter((l) => out.push(l));
    const bytes = Buffer.from('héllo\r\nwörld\nlast');
    for (const b of bytes) s.push(Buffer.from([b]));
    s.end();
    expect(out).toEqual(['héllo', 'wörld', 'last']);
  });
});

describe('runCommand', () => {
  test('logs `execute command:`, each output line as it comes, then the exit code', async () => {
    const { log, events } = captureLog();
    const r = await runCommand('echo one; echo two >&2; printf three', { what: 'failover_command', timeoutMs: 5000, log });
    expect(r).toMatchObject({ code: 0, signal: null, timedOut: false });
    expect(events[0]).toMatchObject({ level: 55, msg: 'execute command: echo one; echo two >&2; printf three', what: 'failover_command' });
    const lines = events.filter((e) => e.stream);
    expect(lines.map((e) => [e.stream, e.msg])).toEqual(
      expect.arrayContaining([['stdout', 'one'], ['stderr', 'two'], ['stdout', 'three']]),
    );
    expect(lines.every((e) => e.level === 55 && e.pid === r.pid)).toBe(true);
    expect(events[events.length - 1]).toMatchObject({ msg: expect.stringMatching(/^failover_command exited with code 0 after \d+ ms$/), code: 0 });
  });

  test('a failing command resolves with its exit code and is logged as a warning', async () => {
    const { log, events } = captureLog();
    const r = await runCommand('echo bad >&2; exit 3', { what: 'follow_primary_command', timeoutMs: 5000, log });
    expect(r.code).toBe(3);
    expect(events.find((e) => e.stream === 'stderr')?.msg).toBe('bad');
    expect(events[events.length - 1]).toMatchObject({ level: 40, code: 3, msg: expect.stringContaining('exited with code 3') });
  });

  test('a missing program is exit code 127 with the shell saying why', async () => {
    const { log, events } = captureLog();
    const r = await runCommand('no_such_program_pgrelay_xyz', { what: 'failback_command', timeoutMs: 5000, log });
    expect(r.code).toBe(127);
    expect(events.some((e) => e.stream === 'stderr' && /not found/.test(e.msg))).toBe(true);
  });

  test('on timeout the whole process group is killed and the log says so', async () => {
    const { log, events } = captureLog();
    const t0 = Date.now();
    const r = await runCommand('sleep 100; echo never', { what: 'failover_command', timeoutMs: 300, log });
    expect(Date.now() - t0).toBeLessThan(3000);
    expect(r).toMatchObject({ timedOut: true, code: null, signal: 'SIGTERM' });
    expect(groupRunning(r.pid!)).toBe(false);
    expect(events.some((e) => e.msg === `failover_command did not finish within 300 ms; killing its process group ${r.pid}`)).toBe(true);
    expect(events[events.length - 1]).toMatchObject({ level: 40, timedOut: true, msg: expect.stringContaining('killed after timing out') });
    expect(events.some((e) => e.msg === 'never')).toBe(false);
  });

  test('a group that ignores SIGTERM gets SIGKILL after the grace period', async () => {
    const { log } = captureLog();
    const r = await runCommand("trap '' TERM; sleep 100", { what: 'failover_command', timeoutMs: 200, killGraceMs: 300, log });
    expect(r.timedOut).toBe(true);
    expect(r.signal).toBe('SIGKILL');
    expect(groupRunning(r.pid!)).toBe(false);
  });

  test('a daemon the script leaves behind holding the output pipe does not hold up the result', async () => {
    const { log, events } = captureLog();
    const t0 = Date.now();
    const r = await runCommand('sleep 30 & echo started', { what: 'failover_command', timeoutMs: 10_000, log });
    try {
      expect(r.code).toBe(0);
      expect(Date.now() - t0).toBeLessThan(2000);
      expect(events.some((e) => e.msg === 'started')).toBe(true);
      expect(groupRunning(r.pid!)).toBe(true);
    } finally {
      process.kill(-r.pid!, 'SIGKILL');
    }
  });

  test('an empty command runs nothing and logs nothing, as in pgpool', async () => {
    const { log, events } = captureLog();
    expect(await runCommand('', { what: 'failover_command', timeoutMs: 1000, log })).toMatchObject({ code: 0, timedOut: false });
    expect(events).toHaveLength(0);
  });
});
