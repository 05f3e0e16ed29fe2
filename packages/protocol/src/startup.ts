/** The untyped first message of a connection: startup, SSL/GSS encryption requests, cancel. */
export const PROTOCOL_3_0 = 196608;
export const SSL_REQUEST = 80877103;
export const GSSENC_REQUEST = 80877104;
export const CANCEL_REQUEST = 80877102;

/** PostgreSQL's own limit on a startup packet (MAX_STARTUP_PACKET_LENGTH). */
export const MAX_STARTUP_LENGTH = 10000;

export type StartupPacket =
  | { kind: 'startup'; version: number; params: Map<string, string> }
  | { kind: 'ssl' }
  | { kind: 'gssenc' }
  | { kind: 'cancel'; pid: number; key: number };

export class StartupError extends Error {
  constructor(message: string, readonly sqlstate = '08P01') {
    super(message);
  }
}

/**
 * Returns the packet once `buf` holds all of it, with the number of bytes it used,
 * or null while more bytes are needed. Throws StartupError on a malformed packet.
 */
export function readStartupPacket(buf: Buffer): { packet: StartupPacket; used: number } | null {
  if (buf.length < 4) return null;
  const length = buf.readInt32BE(0);
  if (length < 8 || length > MAX_STARTUP_LENGTH) throw new StartupError('invalid length of startup packet');
  if (buf.length < length) return null;
  const code = buf.readInt32BE(4);
  const used = length;
  if (code === SSL_REQUEST) return { packet: { kind: 'ssl' }, used };
  if (code === GSSENC_REQUEST) return { packet: { kind: 'gssenc' }, used };
  if (code === CANCEL_REQUEST) {
    if (length !== 16) throw new StartupError('invalid length of cancel request packet');
    return { packet: { kind: 'cancel', pid: buf.readInt32BE(8), key: buf.readInt32BE(12) }, used };
  }
  const major = code >>> 16;
  if (major !== 3) {
    throw new StartupError(
      `unsupported frontend protocol ${major}.${code & 0xffff}: server supports 3.0 to 3.0`,
      '0A000',
    );
  }
  const params = new Map<string, string>();
  let i = 8;
  const end = length;
  while (i < end) {
    const keyEnd = buf.indexOf(0, i);
    if (keyEnd < 0 || keyEnd >= end) throw new StartupError('invalid startup packet layout: expected terminator as last byte');
    if (keyEnd === i) break;
    const valEnd = buf.indexOf(0, keyEnd + 1);
    if (valEnd < 0 || valEnd >= end) throw new StartupError('invalid startup packet layout: expected terminator as last byte');
    params.set(buf.toString('utf8', i, keyEnd), buf.toString('utf8', keyEnd + 1, valEnd));
    i = valEnd + 1;
  }
  return { packet: { kind: 'startup', version: code, params }, used };
}
