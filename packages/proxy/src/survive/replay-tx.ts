/**
 * transaction_replay after a failover: the recorded units of the open transaction run again
 * on the new primary, and the session continues only if every answer is byte for byte the
 * one the client already got (SHA-1 per unit). Anything else and the client gets the
 * retryable error instead, as without replay.
 */
import { createHash, type Hash } from 'node:crypto';
import type { BackendConn } from '../backend-conn';
import type { WorkerContext } from '../context';
import type { Replayed } from './answer-outcome';
import { runUnits } from './backend-script';
import type { RecordedUnit } from './tx-recorder';

/** What the recorder held when the session was lost. */
export interface Captured {
  units: RecordedUnit[];
  unanswered: Buffer[];
  /** Why it cannot be replayed, or null. */
  refused: string | null;
}

/**
 * Replays a lost session's open transaction on its new primary `conn`; the outcome to answer
 * the client with, or null when the replay was refused (the client gets the 40001 then).
 */
export async function replayOpenTransaction(ctx: WorkerContext, conn: BackendConn, c: Captured, lost: number, timeoutMs: number): Promise<Replayed | null> {
  const node = conn.node.id;
  let res: ReplayResult;
  try {
    res = c.refused !== null ? { ok: false, why: c.refused } : await replayTransaction(conn, c.units, timeoutMs);
  } catch (e) {
    res = { ok: false, why: (e as Error).message };
  }
  if (!res.ok) {
    ctx.log.log({ node, lost, why: res.why }, `transaction replay on node ${node} refused: ${res.why}; the client gets the retryable error`);
    return null;
  }
  ctx.log.log({ node, lost, units: res.units }, `transaction replayed on node ${node} after failover of node ${lost}: ${res.units} unit(s), every answer matched`);
  return { kind: 'replayed', units: c.units, unanswered: c.unanswered };
}

export type ReplayResult = { ok: true; units: number } | { ok: false; why: string };

export async function replayTransaction(conn: BackendConn, units: readonly RecordedUnit[], timeoutMs: number): Promise<ReplayResult> {
  if (units.length === 0) return { ok: false, why: 'nothing of the transaction was recorded' };
  const hashes: Hash[] = units.map(() => createHash('sha1'));
  const results = await runUnits(conn, units.map((u) => Buffer.concat(u.msgs)), timeoutMs, (i, bytes) => hashes[i]?.update(bytes));
  for (let i = 0; i < units.length; i++) {
    const sum = hashes[i]!.digest('hex');
    if (sum !== units[i]!.sum) {
      const err = results[i]!.error;
      return { ok: false, why: `answer ${i + 1} of ${units.length} differed${err ? ` (${err.code}: ${err.message})` : ''}` };
    }
  }
  return { ok: true, units: units.length };
}
