/**
 * A session that was idle in a transaction when its primary failed: the transaction is gone,
 * and the client does not know yet. Its new primary connection sits in an aborted
 * transaction (ABORT_SQL, sent hidden), so once the client has been told, PostgreSQL itself
 * answers what follows (25P02 until ROLLBACK; COMMIT reports ROLLBACK). The telling is the
 * first message the client sends — unless that is the ROLLBACK itself.
 */
import { queryText } from '@pgrelay/protocol';
import { classify } from '@pgrelay/sql';

const Q = 0x51;
const S = 0x53;

/** Puts a fresh connection in an aborted transaction block, the state the client's session is now in. */
export const ABORT_SQL =
  "BEGIN; DO $pgrelay$ BEGIN RAISE EXCEPTION USING ERRCODE = '40001', MESSAGE = 'pgrelay: the transaction of this session was lost in a failover; it stays aborted until the client ends it'; END $pgrelay$";

/** True when this first message after the loss must be answered with the retryable error. */
export function mustAnnounce(type: number, body: Buffer): boolean {
  if (type === S) return false; // a bare Sync: the aborted backend answers it
  if (type !== Q) return true;
  const first = classify(queryText(body))[0];
  return first?.tx?.kind !== 'rollback';
}
