import * as net from 'node:net';
import { registry } from './cleanup';

/**
 * A loopback port that was free a moment ago. Ports already handed out by this process are
 * skipped; another process may still take it, so starters retry on "address already in use".
 */
export async function freePort(): Promise<number> {
  const given = registry().ports;
  for (let i = 0; i < 50; i++) {
    const port = await new Promise<number>((resolve, reject) => {
      const srv = net.createServer();
      srv.unref();
      srv.once('error', reject);
      srv.listen(0, '127.0.0.1', () => {
        const addr = srv.address() as net.AddressInfo;
        srv.close(() => resolve(addr.port));
      });
    });
    if (!given.has(port)) {
      given.add(port);
      return port;
    }
  }
  throw new Error('freePort: no unused port after 50 tries');
}

export function looksLikeAddrInUse(text: string): boolean {
  return /address already in use|EADDRINUSE|could not create any TCP\/IP sockets/i.test(text);
}
