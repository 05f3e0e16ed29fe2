import { CANCEL_REQUEST, readStartupPacket, SSL_REQUEST, StartupError } from '../src/startup';

function packet(code: number, body: Buffer = Buffer.alloc(0)): Buffer {
  const b = Buffer.alloc(8 + body.length);
  b.writeInt32BE(b.length, 0);
  b.writeInt32BE(code, 4);
  body.copy(b, 8);
  return b;
}

describe('readStartupPacket', () => {
  test('startup parameters', () => {
    const p = packet(196608, Buffer.from('user\0alice\0database\0db\0application_name\0psql\0\0'));
    const r = readStartupPacket(p)!;
    expect(r.used).toBe(p.length);
    expect(r.packet).toEqual({ kind: 'startup', version: 196608, params: new Map([['user', 'alice'], ['database', 'db'], ['application_name', 'psql']]) });
  });

  test('partial packets wait for more bytes', () => {
    const p = packet(196608, Buffer.from('user\0alice\0\0'));
    expect(readStartupPacket(p.subarray(0, 3))).toBeNull();
    expect(readStartupPacket(p.subarray(0, p.length - 1))).toBeNull();
  });

  test('SSL request and cancel request', () => {
    expect(readStartupPacket(packet(SSL_REQUEST))!.packet).toEqual({ kind: 'ssl' });
    const c = Buffer.alloc(8);
    c.writeInt32BE(1234, 0);
    c.writeInt32BE(-5, 4);
    expect(readStartupPacket(packet(CANCEL_REQUEST, c))!.packet).toEqual({ kind: 'cancel', pid: 1234, key: -5 });
  });

  test('bad lengths, versions and layouts are refused', () => {
    expect(() => readStartupPacket(Buffer.from('GET / HTTP/1.1\r\n'))).toThrow(StartupError);
    expect(() => readStartupPacket(packet(2 << 16))).toThrow(/unsupported frontend protocol 2.0/);
    expect(() => readStartupPacket(packet(196608, Buffer.from('user\0alice')))).toThrow(/invalid startup packet layout/);
  });
});
