/**
 * A PCP client connection: connect (Unix socket or TCP), md5 login, then request/response
 * packets. Failures carry the text pgpool's libpcp would print, so the commands can print
 * them unchanged.
 */
import net from 'node:net';
import path from 'node:path';
import { pcpAuthResponse } from '../auth';
import { formatNotice, parseNotice } from '../notice';
import { PacketReader, packet, type Packet } from '../wire';
import { strerror } from './strerror';

/** The connection could not be made or authenticated (the commands exit 1). */
export class PcpConnectError extends Error {}

export interface ConnectOptions {
  /** undefined, '' or a directory = Unix socket (default /tmp); anything else = TCP host. */
  host?: string;
  port: number;
  user: string;
  password: string;
  /** Where -d traces go (pgpool: stdout). */
  debug?: (line: string) => void;
}

export const UNIX_DOMAIN_PATH = '/tmp';

export class PcpConnection {
  private readonly reader = new PacketReader();
  private readonly queue: Packet[] = [];
  private waiter: ((p: Packet | null) => void) | null = null;
  private closed = false;

  private constructor(private readonly socket: net.Socket, private readonly debug?: (line: string) => void) {
    socket.on('data', (chunk) => {
      let packets: Packet[];
      try {
        packets = this.reader.push(chunk);
      } catch {
        socket.destroy();
        return;
      }
      for (const p of packets) this.deliver(p);
    });
    const end = () => {
      this.closed = true;
      this.deliver(null);
    };
    socket.on('close', end);
    socket.on('error', end);
  }

  static async open(opts: ConnectOptions): Promise<PcpConnection> {
    const socket = await openSocket(opts.host, opts.port);
    const conn = new PcpConnection(socket, opts.debug);
    await conn.authenticate(opts.user, opts.password);
    return conn;
  }

  private deliver(p: Packet | null): void {
    if (this.waiter) {
      const w = this.waiter;
      this.waiter = null;
      w(p);
    } else if (p) {
      this.queue.push(p);
    }
  }

  /** The next packet; null when the server closed the connection. Notices are traced and skipped. */
  async read(): Promise<Packet | null> {
    for (;;) {
      const p = this.queue.shift() ?? (this.closed ? null : await new Promise<Packet | null>((r) => (this.waiter = r)));
      if (p === null) return null;
      this.debug?.(`DEBUG: recv: tos="${p.type}", len=${p.body.length + 4}\n`);
      if (p.type === 'N') {
        const n = parseNotice(p.body);
        if (n.severity !== undefined || n.message !== undefined) this.debug?.(`BACKEND ${formatNotice(n)}`);
        continue;
      }
      return p;
    }
  }

  /** Sends one request packet; `trace` is what libpcp prints for it under -d (its own spelling). */
  send(bytes: Buffer, trace?: string): void {
    this.socket.write(bytes);
    if (trace !== undefined) this.debug?.(`${trace}, len=${bytes.length - 1}\n`);
  }

  private async authenticate(user: string, password: string): Promise<void> {
    if (Buffer.byteLength(user) >= 128) throw new PcpConnectError('ERROR: PCP authorization failed. username too long.');
    this.send(packet('M'));
    const salt = await this.read();
    if (salt === null) throw new PcpConnectError('ERROR: unable to read data from socket.');
    if (salt.type === 'E') throw new PcpConnectError(formatNotice(parseNotice(salt.body)));
    if (salt.type !== 'm' || salt.body.length < 4) throw new PcpConnectError('command failed. invalid response');
    this.send(packet('R', user, pcpAuthResponse(user, password, salt.body.subarray(0, 4))));
    const ok = await this.read();
    if (ok === null) throw new PcpConnectError('ERROR: unable to read data from socket.');
    if (ok.type === 'E') throw new PcpConnectError(formatNotice(parseNotice(ok.body)));
    const text = ok.body.toString('utf8').replace(/\0.*$/s, '');
    // libpcp has no message for an unexpected answer here and prints its fallback.
    if (ok.type !== 'r') throw new PcpConnectError('Unknown Error');
    if (text !== 'AuthenticationOK') throw new PcpConnectError(`ERROR: authentication failed. reason="${text}"`);
  }

  /** Sends X and closes, as libpcp does whatever the command's outcome. */
  async close(): Promise<void> {
    if (!this.closed && !this.socket.destroyed) {
      this.send(packet('X'));
      this.debug?.('DEBUG: send: tos="X", len=4\n');
    }
    await new Promise<void>((resolve) => {
      if (this.socket.destroyed) return resolve();
      this.socket.once('close', () => resolve());
      this.socket.end();
    });
  }
}

function openSocket(host: string | undefined, port: number): Promise<net.Socket> {
  const unix = host === undefined || host === '' || host.startsWith('/');
  const sockPath = unix ? path.posix.join(host || UNIX_DOMAIN_PATH, `.s.PGSQL.${port}`) : '';
  return new Promise((resolve, reject) => {
    const s = unix ? net.connect(sockPath) : net.connect({ host, port, family: 4, noDelay: true });
    s.once('connect', () => {
      s.removeAllListeners('error');
      resolve(s);
    });
    s.once('error', (e: NodeJS.ErrnoException) => {
      if (unix) reject(new PcpConnectError(`ERROR: connection to socket "${sockPath}" failed with error "${strerror(e)}"`));
      else if (e.code === 'ENOTFOUND' || e.code === 'EAI_AGAIN' || e.syscall === 'getaddrinfo') {
        // libpcp reports errno after gethostbyname(), which is left at 0.
        reject(new PcpConnectError('ERROR: could not retrieve hostname. gethostbyname failed with error "Success"'));
      } else reject(new PcpConnectError(`ERROR: connection to host "${host}" failed with error "${strerror(e)}"`));
    });
  });
}
