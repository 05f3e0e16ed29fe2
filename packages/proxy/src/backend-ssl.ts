/**
 * SSL to a backend (ssl = on), as pgpool does: ask with an SSLRequest; 'S' starts the
 * handshake, 'N' goes on in the clear (the server's pg_hba.conf decides whether that is
 * allowed). The server's certificate is not verified, as pgpool 4.3 does not.
 */
import type net from 'node:net';
import tls from 'node:tls';
import { BackendUnreachable } from './errors';

const SSL_REQUEST = Buffer.from([0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f]);

export async function negotiateSsl(socket: net.Socket, nodeId: number, timeoutMs: number): Promise<net.Socket> {
  const answer = await new Promise<number>((resolve, reject) => {
    const timer = timeoutMs > 0 ? setTimeout(() => fail(new Error(`no answer to SSLRequest in ${timeoutMs} ms`)), timeoutMs) : null;
    const done = () => {
      if (timer) clearTimeout(timer);
      socket.off('data', onData);
      socket.off('error', fail);
      socket.off('close', onClose);
    };
    const onData = (chunk: Buffer) => {
      done();
      socket.pause();
      // anything after the one byte would be unencrypted data the server should not send
      if (chunk.length !== 1) reject(new BackendUnreachable(nodeId, `node ${nodeId} answered the SSLRequest with ${chunk.length} bytes`));
      else resolve(chunk[0]!);
    };
    const onClose = () => fail(new Error('connection closed'));
    function fail(e: Error) {
      done();
      reject(new BackendUnreachable(nodeId, `SSL negotiation with node ${nodeId} failed: ${e.message}`));
    }
    socket.on('data', onData);
    socket.on('error', fail);
    socket.on('close', onClose);
    socket.write(SSL_REQUEST);
  });
  if (answer === 0x4e) {
    socket.resume();
    return socket;
  }
  if (answer !== 0x53) throw new BackendUnreachable(nodeId, `node ${nodeId} answered the SSLRequest with byte ${answer}`);
  const secure = tls.connect({ socket, rejectUnauthorized: false });
  await new Promise<void>((resolve, reject) => {
    secure.once('secureConnect', () => {
      secure.off('error', onError);
      resolve();
    });
    const onError = (e: Error) => reject(new BackendUnreachable(nodeId, `SSL handshake with node ${nodeId} failed: ${e.message}`));
    secure.once('error', onError);
  });
  return secure;
}
