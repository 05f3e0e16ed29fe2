/**
 * One PCP client connection, as a pgpool pcp_child serves it: 'M' gives a salt, 'R' checks
 * the md5 answer against pcp.conf (re-read each time, as pgpool does), then requests are
 * answered one at a time in arrival order. ERROR keeps the connection; FATAL ends it.
 */
import type net from 'node:net';
import { ConfigError, loadPcpConf } from '@pgrelay/config';
import { checkPcpAuth, cstrings, MAX_CLIENT_PACKET, newSalt, noticePacket, packet, PacketError, PacketReader, type Packet } from '@pgrelay/pcp';
import { PcpError, pcpFatal } from './errors';
import { attachHandler, detachHandler, promoteHandler, recoveryHandler } from './handlers/control';
import { healthCheckStatsHandler, nodeCountHandler, nodeInfoHandler } from './handlers/nodes';
import { procCountHandler, procInfoHandler } from './handlers/processes';
import { poolStatusHandler, reloadHandler, setParameterHandler, stopHandler, watchdogInfoHandler } from './handlers/server';
import type { Handler, PcpServerContext } from './handlers/types';

const HANDLERS: Record<string, Handler> = {
  L: nodeCountHandler,
  I: nodeInfoHandler,
  H: healthCheckStatsHandler,
  N: procCountHandler,
  P: procInfoHandler,
  B: poolStatusHandler,
  D: detachHandler,
  d: detachHandler,
  C: attachHandler,
  J: promoteHandler,
  j: promoteHandler,
  O: recoveryHandler,
  Z: reloadHandler,
  T: stopHandler,
  t: stopHandler,
  W: watchdogInfoHandler,
  A: setParameterHandler,
};

export class PcpClientConnection {
  private readonly reader = new PacketReader(MAX_CLIENT_PACKET);
  private salt: Buffer | null = null;
  private authenticated = false;
  private chain: Promise<void> = Promise.resolve();
  private ended = false;

  constructor(private readonly ctx: PcpServerContext, private readonly socket: net.Socket) {
    socket.on('data', (chunk) => this.onData(chunk));
    socket.on('error', () => this.end());
    socket.on('close', () => (this.ended = true));
  }

  private onData(chunk: Buffer): void {
    if (this.ended) return;
    let packets: Packet[];
    try {
      packets = this.reader.push(chunk);
    } catch (e) {
      const len = e instanceof PacketError ? e.message : 'incorrect packet length';
      this.fatal(pcpFatal('invalid PCP packet', len));
      return;
    }
    for (const p of packets) this.chain = this.chain.then(() => this.handle(p));
  }

  private async handle(p: Packet): Promise<void> {
    if (this.ended) return;
    try {
      if (p.type === 'M') {
        this.salt = newSalt();
        this.write([packet('m', this.salt)]);
        return;
      }
      if (p.type === 'R') {
        this.authenticate(p.body);
        this.write([packet('r', 'AuthenticationOK')]);
        return;
      }
      if (!this.authenticated) throw pcpFatal('authentication failed for new PCP connection', 'connection not authorized');
      if (p.type === 'X') {
        this.end();
        return;
      }
      // 'F' asked a 3.x pgpool to stop online recovery; later versions ignore it.
      if (p.type === 'F') return;
      const handler = HANDLERS[p.type];
      if (!handler) throw pcpFatal('PCP processing request', `unknown PCP packet type "${p.type}"`);
      const r = await handler(this.ctx, p.body, p.type);
      this.write(r.packets, r.after);
    } catch (e) {
      if (e instanceof PcpError) {
        this.ctx.sup.log.error({ pcp: p.type, detail: e.detail }, e.detail ? `${e.message} (${e.detail})` : e.message);
        if (e.severity === 'FATAL') this.fatal(e);
        else this.write([noticePacket('E', e.notice)]);
      } else {
        this.ctx.sup.log.error({ err: (e as Error).message }, `PCP request failed: ${(e as Error).message}`);
        this.fatal(pcpFatal('PCP processing request', (e as Error).message));
      }
    }
  }

  private authenticate(body: Buffer): void {
    const [user = '', answer = ''] = cstrings(body);
    const salt = this.salt;
    this.salt = null;
    // An 'R' without a fresh salt cannot be checked.
    if (salt === null) throw pcpFatal('authentication failed', 'username and/or password does not match');
    let users: Map<string, string>;
    try {
      users = loadPcpConf(this.ctx.sup.opts.pcpFile);
    } catch (e) {
      throw pcpFatal('failed to authenticate PCP user', e instanceof ConfigError ? e.message : (e as Error).message);
    }
    const hash = users.get(user);
    if (hash === undefined || !checkPcpAuth(hash, user, salt, answer)) {
      throw pcpFatal(`authentication failed for user "${user}"`, 'username and/or password does not match');
    }
    this.authenticated = true;
  }

  private write(packets: Buffer[], after?: () => void): void {
    if (this.ended || this.socket.destroyed) return;
    this.socket.write(Buffer.concat(packets), () => after?.());
  }

  private fatal(e: PcpError): void {
    if (this.ended) return;
    this.socket.end(noticePacket('E', e.notice));
    this.ended = true;
  }

  private end(): void {
    if (this.ended) return;
    this.ended = true;
    this.socket.end();
  }
}
