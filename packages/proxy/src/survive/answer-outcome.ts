/**
 * Once a lost session is rebuilt, what its client is owed, as survive/outcome.ts judged it:
 * nothing (rebuild), the same messages again (rerun, replayed), or pgrelay's own answers with
 * the SQLSTATE the issue names — 08007 when a write's outcome is unknown, 40001 when the
 * transaction is lost (the new backend then sits in an aborted transaction until ROLLBACK).
 */
import { commandComplete, readyForQuery, type Notice } from '@pgrelay/protocol';
import type { Router } from '../routing/router';
import { ABORT_SQL } from './lost-tx';
import type { Outcome } from './outcome';
import { answerOwed, errorOf } from './owed-replies';
import type { RecordedUnit } from './tx-recorder';

/** A transaction replayed on the new primary, and what the client sent after what was answered. */
export interface Replayed {
  kind: 'replayed';
  units: RecordedUnit[];
  unanswered: Buffer[];
}

/**
 * `resend` takes a client message again (through the session, so it is recorded as the
 * client's); `rerun` are the messages to re-run for a read. Returns the error the client is to
 * hear at its next statement (a transaction lost while idle), or null.
 */
export function answerOutcome(router: Router, outcome: Outcome | Replayed, where: string, rerun: readonly Buffer[], resend: (raw: Buffer) => void): Notice | null {
  switch (outcome.kind) {
    case 'rebuild':
      return null;
    case 'rerun':
      for (const raw of rerun) router.fromClient(raw[0]!, raw.subarray(5), raw);
      return null;
    case 'replayed':
      router.resumeTransaction();
      for (const raw of outcome.unanswered) resend(raw);
      return null;
    case 'unknown':
      answerOwed(router, errorOf('08007', `the outcome of the statement is unknown: ${where} while it ran`, undefined, 'Check whether it took effect before running it again.'), outcome.owed, outcome.tail, 'I');
      return null;
    case 'commit_readonly':
      router.replies.addLocal(Buffer.concat([commandComplete('COMMIT'), readyForQuery('I')]), 'I');
      return null;
    case 'interrupted':
      answerOwed(router, errorOf('40001', `the answer was interrupted: ${where} while it was sent`, undefined, 'Run the statement again.'), outcome.owed, outcome.tail, 'I');
      return null;
    case 'lost_tx':
      router.hiddenQuery(ABORT_SQL);
      answerOwed(router, lostTxError(where), outcome.owed, outcome.tail, 'E');
      return null;
    case 'lost_tx_idle':
      router.hiddenQuery(ABORT_SQL);
      return lostTxError(where);
  }
}

function lostTxError(where: string): Notice {
  return errorOf('40001', `the transaction was lost: ${where}`, undefined, 'Roll back and run the transaction again.');
}
