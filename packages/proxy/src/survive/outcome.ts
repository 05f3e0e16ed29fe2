/**
 * What a session that lost its backend owes its client, judged from what was in flight
 * (the router's batch: the client's messages since it was last owed nothing). Pure, so each
 * case has a unit test.
 */
import type { TxStatus } from '../routing/replies';

export interface InFlight {
  /** The client is owed an answer (router.busy). */
  busy: boolean;
  /** Status of the last ReadyForQuery the client got. */
  status: TxStatus;
  /** Status when the batch began. */
  batchStatus: TxStatus;
  batchWrites: boolean;
  batchCommits: boolean;
  /** Answers (ReadyForQuery) the client got since the batch began. */
  batchDone: number;
  /** Part of the current answer already reached the client. */
  headDelivered: boolean;
  /** The batch's message types, in order. */
  types: readonly number[];
  /** The open transaction sent something that may write. */
  txWrote?: boolean;
  /** The batch is one Query holding only COMMIT (or END). */
  bareCommit?: boolean;
}

export type Outcome =
  /** Nothing in flight, no transaction: rebuild and carry on, unseen. */
  | { kind: 'rebuild' }
  /** Reads in flight outside a transaction: re-run the unanswered messages from `from`. */
  | { kind: 'rerun'; from: number }
  /** A write (or a COMMIT) in flight: its outcome is unknown (08007). */
  | { kind: 'unknown'; owed: number; tail: boolean }
  /** In a transaction with something in flight: the transaction is lost (40001). */
  | { kind: 'lost_tx'; owed: number; tail: boolean }
  /** Idle in a transaction: the transaction is lost; the client hears it at its next statement. */
  | { kind: 'lost_tx_idle' }
  /** A read whose answer was half sent: it cannot be re-run unseen (40001 as well). */
  | { kind: 'interrupted'; owed: number; tail: boolean }
  /** A COMMIT of a transaction that wrote nothing: nothing can have been lost, it succeeds. */
  | { kind: 'commit_readonly' };

const Q = 0x51;
const S = 0x53;
const F = 0x46;

/** Messages that end a unit the client gets one ReadyForQuery for. */
export const endsUnit = (type: number): boolean => type === Q || type === S || type === F;

/** Index of the first batch message whose unit the client has not had an answer for. */
export function unansweredFrom(types: readonly number[], done: number): number {
  let units = 0;
  for (let i = 0; i < types.length && units < done; i++) if (endsUnit(types[i]!)) if (++units === done) return i + 1;
  return done === 0 ? 0 : types.length;
}

export function judge(f: InFlight): Outcome {
  if (!f.busy) return f.status === 'I' ? { kind: 'rebuild' } : { kind: 'lost_tx_idle' };
  let units = 0;
  for (const t of f.types) if (endsUnit(t)) units++;
  const from = unansweredFrom(f.types, f.batchDone);
  const tail = f.types.length > 0 && !endsUnit(f.types[f.types.length - 1]!);
  const owed = Math.max(0, units - f.batchDone);
  const inTx = f.batchStatus !== 'I' || f.status !== 'I';
  // a COMMIT that may or may not have happened is not a lost transaction: its outcome is
  // unknown — unless the transaction wrote nothing, when either outcome is the same
  if (f.batchCommits) return f.bareCommit && f.txWrote === false && f.batchDone === 0 ? { kind: 'commit_readonly' } : { kind: 'unknown', owed, tail };
  if (inTx) return { kind: 'lost_tx', owed, tail };
  if (f.batchWrites) return { kind: 'unknown', owed, tail };
  if (f.headDelivered) return { kind: 'interrupted', owed, tail };
  return { kind: 'rerun', from };
}
