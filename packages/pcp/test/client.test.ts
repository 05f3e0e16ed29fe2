/**
 * pgrelay's pcp_* commands against a stand-in server replaying pgpool-II 4.3.5's answers
 * (captured from the real one): the printed output must be what Debian's binaries printed.
 */
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { cstrings, int32, localTimeAlways, noticePacket, packet, PacketReader, runPcp, type Io } from '@pgrelay/pcp';

const EPOCH = 1795385089;
const nodeInfo = (port: string, status: string, role: string, repl: string, sync: string) =>
  packet('i', 'NodeInfo', '127.0.0.1', port, status, '0', 'unknown', '715827882.333333', role, 'unknown', '0', repl, sync, String(EPOCH));

/** Answers by request type; 'M' and 'R' are handled (any password is accepted unless `deny`). */
const ANSWERS: Record<string, (body: Buffer) => Buffer[]> = {
  L: () => [packet('l', 'CommandComplete', '3')],
  I: (b) =>
    cstrings(b)[0] === '-1'
      ? [packet('i', 'ArraySize', '3'), nodeInfo('35013', '1', '2', '', ''), nodeInfo('44225', '1', '3', 'streaming', 'async'), nodeInfo('41987', '3', '3', 'streaming', 'async'), packet('i', 'CommandComplete')]
      : cstrings(b)[0] === '8'
        ? [packet('i', 'ArraySize', '0'), packet('i', 'CommandComplete')]
        : [noticePacket('E', { severity: 'ERROR', message: 'informing node info failed', detail: `invalid node ID : ${cstrings(b)[0]}` })],
  N: () => [packet('n', 'CommandComplete', '4', '22556', '22557', '22558', '22559')],
  B: () => [packet('b', 'ArraySize', int32(2)), packet('b', 'ProcessConfig', 'backend_clustering_mode', '1', 'clustering mode'), packet('b', 'ProcessConfig', 'log_line_prefix', '%m: %a pid %p: ', 'printf-style string to output at beginning of each log line'), packet('b', 'CommandComplete')],
  H: () => [packet('h', 'CommandComplete', '1', '127.0.0.1', '44225', 'waiting', 'standby', '2026-11-22 22:04:49', '0', '0', '0', '0', '0', '0.000000', '0', '0', '0', '0.000000', '', '', '', '')],
  C: () => [noticePacket('N', { severity: 'WARNING', message: 'a notice' }), packet('c', 'CommandComplete')],
  P: () => [packet('p', 'ArraySize', '1'), packet('p', 'ProcessInfo', '22556', '2026-11-22 22:04:49', '0', '0', '0', '', '', '', '', '', '0', '0', '0', '0', '0', '0', 'Wait for connection'), packet('p', 'CommandComplete')],
};

let dir: string;
let server: net.Server;
const port = 31555;
let deny = false;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pcp-client-'));
  server = net.createServer((s) => {
    const r = new PacketReader();
    s.on('data', (d) => {
      for (const p of r.push(d)) {
        if (p.type === 'M') s.write(packet('m', Buffer.from([1, 2, 3, 4])));
        else if (p.type === 'R') {
          if (deny) s.end(noticePacket('E', { severity: 'FATAL', message: `authentication failed for user "${cstrings(p.body)[0]}"`, detail: 'username and/or password does not match' }));
          else s.write(packet('r', 'AuthenticationOK'));
        } else if (p.type === 'X') s.end();
        else s.write(Buffer.concat(ANSWERS[p.type]!(p.body)));
      }
    });
    s.on('error', () => undefined);
  });
  await new Promise<void>((r) => server.listen(path.join(dir, `.s.PGSQL.${port}`), r));
});

afterAll(async () => {
  await new Promise((r) => server.close(r));
  fs.rmSync(dir, { recursive: true, force: true });
});

async function pcp(cmd: string, ...args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const io: Io = { stdout: (s) => (out += s), stderr: (s) => (err += s), env: {}, prompt: async () => '' };
  const code = await runPcp(cmd, ['-h', dir, '-p', String(port), '-U', 'u', '-w', ...args], io);
  return { code, out, err };
}

const t = localTimeAlways(EPOCH * 1000);

test('pcp_node_info, plain and -v, from pgpool-II 4.3.5 bytes', async () => {
  expect((await pcp('pcp_node_info')).out).toBe(
    `127.0.0.1 35013 1 0.333333 waiting unknown primary unknown 0 none none ${t}\n` +
      `127.0.0.1 44225 1 0.333333 waiting unknown standby unknown 0 streaming async ${t}\n` +
      `127.0.0.1 41987 3 0.333333 down unknown standby unknown 0 streaming async ${t}\n`,
  );
  const v = (await pcp('pcp_node_info', '-v')).out.split('\n\n')[1]!;
  expect(v).toBe(
    [
      'Hostname               : 127.0.0.1',
      'Port                   : 44225',
      'Status                 : 1',
      'Weight                 : 0.333333',
      'Status Name            : waiting',
      'Backend Status Name    : unknown',
      'Role                   : standby',
      'Backend Role           : unknown',
      'Replication Delay      : 0',
      'Replication State      : streaming',
      'Replication Sync State : async',
      `Last Status Change     : ${t}`,
    ].join('\n'),
  );
});

test('errors go to stderr with exit code 0; an empty array prints "Command Successful"', async () => {
  expect(await pcp('pcp_node_info', '-n', '7')).toEqual({ code: 0, out: '', err: 'ERROR:  informing node info failed\nDETAIL:  invalid node ID : 7\n\n' });
  expect(await pcp('pcp_node_info', '-n', '8')).toEqual({ code: 0, out: 'pcp_node_info -- Command Successful\n', err: '' });
});

test('a refused login: FATAL, exit 1', async () => {
  deny = true;
  try {
    expect(await pcp('pcp_node_count')).toEqual({ code: 1, out: '', err: 'FATAL:  authentication failed for user "u"\nDETAIL:  username and/or password does not match\n\n' });
  } finally {
    deny = false;
  }
});

test('the other listings', async () => {
  expect((await pcp('pcp_node_count', '-v')).out).toBe('Node Count\n____________\n 3\n');
  expect((await pcp('pcp_proc_count')).out).toBe('22556 22557 22558 22559 \n');
  expect((await pcp('pcp_proc_count', '-v')).out).toBe('No \t | \t PID\n_____________________\n0 \t | \t 22556\n1 \t | \t 22557\n2 \t | \t 22558\n3 \t | \t 22559\n\nTotal Processes:4\n');
  expect((await pcp('pcp_pool_status')).out).toBe(
    'name : backend_clustering_mode\nvalue: 1\ndesc : clustering mode\n\nname : log_line_prefix\nvalue: %m: %a pid %p: \ndesc : printf-style string to output at beginning of each log line\n\n',
  );
  expect((await pcp('pcp_pool_status', '-v')).out).toMatch(/^Name \[  0\]:\tbackend_clustering_mode\nValue:      \t1\nDescription:\tclustering mode\n\nName \[  1\]:/);
  expect((await pcp('pcp_health_check_stats', '-n', '1')).out).toBe('1 127.0.0.1 44225 waiting standby 2026-11-22 22:04:49 0 0 0 0 0 0.000000 0 0 0 0.000000    \n');
  expect((await pcp('pcp_proc_info')).out).toBe('No process information available\n\n');
  expect((await pcp('pcp_proc_info', '-a')).out).toBe('  2026-11-22 22:04:49 0 0 0   0  0 0 0 22556 0 Wait for connection\n');
  expect((await pcp('pcp_attach_node', '1')).out).toBe('pcp_attach_node -- Command Successful\n');
});

test('-d traces the packets on stdout with libpcp\'s spellings, notices included', async () => {
  expect((await pcp('pcp_attach_node', '-d', '1')).out).toBe(
    'DEBUG: recv: tos="m", len=8\nDEBUG: recv: tos="r", len=21\nDEBUG: send: tos="C", len=6\n' +
      'DEBUG: recv: tos="N", len=49\nBACKEND WARNING:  a notice\nDEBUG: recv: tos="c", len=20\n' +
      'pcp_attach_node -- Command Successful\nDEBUG: send: tos="X", len=4\n',
  );
});
