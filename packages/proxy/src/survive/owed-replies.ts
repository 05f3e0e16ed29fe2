/**
 * pgrelay's own answers for what a lost backend never answered: one ErrorResponse and
 * ReadyForQuery per owed Query/Sync, in the client's order (router.replies keeps it), and
 * an unsynced pipeline skipped up to the client's Sync, as PostgreSQL does after an error.
 */
import { errorResponse, readyForQuery, type Notice } from '@pgrelay/protocol';
import type { TxStatus } from '../routing/replies';
import type { Router } from '../routing/router';

const ABORTED: Notice = {
  severity: 'ERROR',
  code: '25P02',
  message: 'current transaction is aborted, commands ignored until end of transaction block',
};

/**
 * `first` answers the first owed unit; the later ones get `first` again outside a
 * transaction (their outcome is as unknown) and 25P02 inside one (it is aborted).
 */
export function answerOwed(router: Router, first: Notice, owed: number, tail: boolean, status: TxStatus): void {
  for (let i = 0; i < owed; i++) {
    const n = i === 0 || status === 'I' ? first : ABORTED;
    router.replies.addLocal(Buffer.concat([errorResponse(n), readyForQuery(status)]), status);
  }
  if (tail) {
    if (owed === 0) router.replies.addLocal(errorResponse(first), status);
    router.skipPipeline(status);
  }
}

export const errorOf = (code: string, message: string, detail?: string, hint?: string): Notice => ({ severity: 'ERROR', code, message, detail, hint });
