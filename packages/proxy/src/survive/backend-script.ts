/**
 * Runs a list of units on a backend connection no session owns yet — each unit is messages
 * ending in a Query or a Sync, so it gets exactly one ReadyForQuery — all sent at once
 * (one round trip however many SETs and prepared statements a session has). Each unit's
 * result: its error, if any, and every byte of its answer (its ReadyForQuery included) for
 * whoever wants a checksum.
 */
import { noticeFieldsOf } from '@pgrelay/protocol';
import type { BackendConn, BackendOwner } from '../backend-conn';

export interface UnitResult {
  error: { code: string; message: string } | null;
}

const Z = 0x5a;
const E = 0x45;

export function runUnits(
  conn: BackendConn,
  units: readonly Buffer[],
  timeoutMs: number,
  onAnswer?: (unit: number, bytes: Buffer) => void,
): Promise<UnitResult[]> {
  if (units.length === 0) return Promise.resolve([]);
  return new Promise((resolve, reject) => {
    const results: UnitResult[] = [];
    let error: UnitResult['error'] = null;
    const finish = (e?: Error) => {
      clearTimeout(timer);
      conn.detach();
      if (e) reject(e);
      else resolve(results);
    };
    const timer = setTimeout(() => {
      conn.destroy();
      finish(new Error(`node ${conn.node.id} did not answer ${units.length} replayed statement(s) within ${timeoutMs} ms`));
    }, timeoutMs);
    const owner: BackendOwner = {
      beginBatch: () => undefined,
      endBatch: () => undefined,
      backendPassthrough: (bytes) => onAnswer?.(results.length, bytes),
      backendMessage: (type, body, raw) => {
        if (type === E) {
          const f = noticeFieldsOf(body);
          error ??= { code: f.C ?? 'XX000', message: f.M ?? 'error' };
        }
        onAnswer?.(results.length, raw);
        if (type !== Z) return;
        results.push({ error });
        error = null;
        if (results.length === units.length) finish();
      },
      backendClosed: (_c, err) => finish(err ?? new Error(`node ${conn.node.id} closed the connection during the replay`)),
      backendDrained: () => undefined,
    };
    conn.attach(owner);
    conn.socket.cork();
    for (const u of units) conn.write(u);
    conn.socket.uncork();
  });
}
