/** The PCP packet codec and the md5 challenge, checked against bytes captured from pgpool-II 4.3.5. */
import { createHash } from 'node:crypto';
import { checkPcpAuth, cstrings, formatNotice, int32, noticePacket, packet, PacketError, PacketReader, parseNotice, pcpAuthResponse } from '@pgrelay/pcp';

describe('packets', () => {
  test('type byte, int32 length counting itself, NUL-terminated strings', () => {
    // pcp_node_info -n 1 as libpcp sends it.
    expect(packet('I', '1')).toEqual(Buffer.from('I\0\0\0\x061\0', 'latin1'));
    expect(packet('X')).toEqual(Buffer.from('X\0\0\0\x04', 'latin1'));
    // pgpool's node count answer.
    expect(packet('l', 'CommandComplete', '3')).toEqual(Buffer.from('l\0\0\0\x16CommandComplete\x003\0', 'latin1'));
    // Promote: "<id> " then the option byte without a NUL.
    expect(packet('J', '1 ', Buffer.from('n'))).toEqual(Buffer.from('J\0\0\0\x081 \0n', 'latin1'));
    // Pool status's array size is a binary int.
    expect(packet('b', 'ArraySize', int32(160)).subarray(15)).toEqual(Buffer.from([0, 0, 0, 160]));
  });

  test('the reader reassembles packets split anywhere and several per chunk', () => {
    const bytes = Buffer.concat([packet('i', 'ArraySize', '2'), packet('i', 'NodeInfo', 'h', '5432'), packet('i', 'CommandComplete')]);
    for (let cut = 1; cut < bytes.length; cut++) {
      const r = new PacketReader();
      const got = [...r.push(bytes.subarray(0, cut)), ...r.push(bytes.subarray(cut))];
      expect(got.map((p) => [p.type, cstrings(p.body)])).toEqual([
        ['i', ['ArraySize', '2']],
        ['i', ['NodeInfo', 'h', '5432']],
        ['i', ['CommandComplete']],
      ]);
      expect(r.pending).toBe(0);
    }
  });

  test('a length below 4 or at the limit is refused, as pgpool refuses client packets of 260+ bytes', () => {
    expect(() => new PacketReader().push(Buffer.from('L\0\0\0\x03', 'latin1'))).toThrow(PacketError);
    const big = Buffer.alloc(5);
    big.write('R');
    big.writeInt32BE(260, 1);
    expect(() => new PacketReader(260).push(big)).toThrow('incorrect packet length (260)');
    big.writeInt32BE(259, 1);
    expect(new PacketReader(260).push(big)).toEqual([]);
  });

  test('cstrings keeps empty strings (empty fields of NodeInfo) and a last string without NUL', () => {
    expect(cstrings(Buffer.from('a\0\0b\0c', 'latin1'))).toEqual(['a', '', 'b', 'c']);
  });
});

describe('md5 challenge', () => {
  // Captured: pgpool-II 4.3.5 sent salt 38 3b af b4; Debian's pcp_node_count answered this for pcp_user/pcp_pass.
  const salt = Buffer.from([0x38, 0x3b, 0xaf, 0xb4]);
  const answer = 'e561230e73c060dd21826cc92bae1fce';
  const fileHash = createHash('md5').update('pcp_pass').digest('hex');

  test('the client computes what libpcp sends', () => {
    expect(pcpAuthResponse('pcp_user', 'pcp_pass', salt)).toBe(answer);
  });

  test('the server checks it against md5(password) from pcp.conf', () => {
    expect(checkPcpAuth(fileHash, 'pcp_user', salt, answer)).toBe(true);
    expect(checkPcpAuth(fileHash, 'pcp_user', Buffer.from([1, 2, 3, 4]), answer)).toBe(false);
    expect(checkPcpAuth(fileHash, 'other', salt, answer)).toBe(false);
    expect(checkPcpAuth(fileHash, 'pcp_user', salt, 'short')).toBe(false);
  });
});

describe('error packets', () => {
  test('fields S C M D F L, printed the way libpcp prints them', () => {
    const p = noticePacket('E', { severity: 'ERROR', message: 'informing node info failed', detail: 'invalid node ID : 7' });
    expect(p[0]).toBe(0x45);
    const n = parseNotice(p.subarray(5));
    expect([n.severity, n.code, n.message, n.detail]).toEqual(['ERROR', 'XX000', 'informing node info failed', 'invalid node ID : 7']);
    expect(formatNotice(n)).toBe('ERROR:  informing node info failed\nDETAIL:  invalid node ID : 7\n');
    expect(formatNotice({ severity: 'FATAL', message: 'x' })).toBe('FATAL:  x\n');
  });

  test('reads pgpool-II 4.3.5 bytes', () => {
    const body = Buffer.from('SERROR\0CXX000\0MPCP: informing watchdog info failed\0Dwatchdog is not enabled\0Fpcp_worker.c\0L794\0\0', 'latin1');
    expect(formatNotice(parseNotice(body))).toBe('ERROR:  PCP: informing watchdog info failed\nDETAIL:  watchdog is not enabled\n');
  });
});
