/**
 * PCP packet framing, shared by the client (pcp_* commands) and the server (supervisor):
 * 1 type byte, int32 big-endian length counting itself, then the payload — mostly
 * NUL-terminated strings.
 */

/** pgpool refuses client packets this long or longer (FATAL "invalid PCP packet"). */
export const MAX_CLIENT_PACKET = 260;

export interface Packet {
  type: string;
  body: Buffer;
}

export class PacketError extends Error {}

/** One packet; string parts are written NUL-terminated, Buffers as they are. */
export function packet(type: string, ...parts: (string | Buffer)[]): Buffer {
  const bufs = parts.map((p) => (typeof p === 'string' ? Buffer.from(`${p}\0`) : p));
  const len = 4 + bufs.reduce((n, b) => n + b.length, 0);
  const head = Buffer.alloc(5);
  head.write(type, 0, 'latin1');
  head.writeInt32BE(len, 1);
  return Buffer.concat([head, ...bufs]);
}

/** A 4-byte big-endian integer as a payload part (pool status's ArraySize is binary). */
export function int32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeInt32BE(n);
  return b;
}

/**
 * The NUL-terminated strings of a payload, in order. A trailing run without NUL is
 * returned too, so a sender that forgot the last NUL is still read.
 */
export function cstrings(body: Buffer, from = 0): string[] {
  const out: string[] = [];
  let i = from;
  while (i < body.length) {
    let end = body.indexOf(0, i);
    if (end < 0) end = body.length;
    out.push(body.toString('utf8', i, end));
    i = end + 1;
  }
  return out;
}

/** Reassembles packets from stream chunks. */
export class PacketReader {
  private buf: Buffer = Buffer.alloc(0);

  constructor(private readonly maxLength = 0x7fffffff) {}

  push(chunk: Buffer): Packet[] {
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    const out: Packet[] = [];
    while (this.buf.length >= 5) {
      const len = this.buf.readInt32BE(1);
      if (len < 4 || len >= this.maxLength) {
        throw new PacketError(`incorrect packet length (${len})`);
      }
      if (this.buf.length < len + 1) break;
      out.push({ type: String.fromCharCode(this.buf[0]!), body: this.buf.subarray(5, len + 1) });
      this.buf = this.buf.subarray(len + 1);
    }
    return out;
  }

  /** Bytes received but not yet a whole packet. */
  get pending(): number {
    return this.buf.length;
  }
}
