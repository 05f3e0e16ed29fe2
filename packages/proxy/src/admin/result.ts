/** Replies the admin commands send: an all-text result set, or an ERROR; then ReadyForQuery. */
import { commandComplete, dataRow, errorResponse, readyForQuery, rowDescription } from '@pgrelay/protocol';

export type TxStatus = 'I' | 'T' | 'E';

export function resultSet(columns: string[], rows: string[][], tx: TxStatus): Buffer {
  return Buffer.concat([rowDescription(columns), ...rows.map((r) => dataRow(r)), commandComplete(`SELECT ${rows.length}`), readyForQuery(tx)]);
}

/** pgpool's own errors carry SQLSTATE XX000 and leave the transaction as it was. */
export function adminError(message: string, tx: TxStatus, detail?: string): Buffer {
  return Buffer.concat([errorResponse({ severity: 'ERROR', code: 'XX000', message, detail }), readyForQuery(tx)]);
}

export function tagOnly(tag: string, tx: TxStatus): Buffer {
  return Buffer.concat([commandComplete(tag), readyForQuery(tx)]);
}
