/** Native replication mode (backend_clustering_mode = native_replication): see router.ts. */
import type { BackendConn } from '../backend-conn';
import type { ClientError } from '../errors';
import type { Router, RouterHost } from '../routing/router';
import { NativeRouter } from './router';

export { connectAllNodes, withoutLostNodes } from './connect';
export { NativeRouter } from './router';

export const isNative = (mode: string): boolean => mode === 'native_replication';

/**
 * The session holds its router as a Router; a NativeRouter provides every member the session
 * uses (SessionFacing, checked by the compiler), so the session needs no branch but this one.
 */
export function nativeRouter(host: RouterHost, conns: readonly BackendConn[], balance: number, end: (err: ClientError) => void): Router {
  return new NativeRouter(host, conns, balance, end) as unknown as Router;
}
