/** The few protocol messages the router writes itself, and the fields it reads from the client's. */
import { MessageWriter, simpleQuery } from '@pgrelay/protocol';

export const SYNC = Buffer.from([0x53, 0, 0, 0, 4]);
export const ROLLBACK_QUERY = simpleQuery('ROLLBACK');

export const parseOf = (name: string, text: string): Buffer => new MessageWriter(0x50).cstring(name).cstring(text).int16(0).finish();

/** A C string of a message body starting at `at`; '' without allocating when it is empty. */
export function cstringAt(body: Buffer, at: number): string {
  if (body[at] === 0) return '';
  const end = body.indexOf(0, at);
  return body.toString('utf8', at, end < 0 ? body.length : end);
}

/** Where the C string starting at `at` ends (the index after its NUL). */
export function afterCstring(body: Buffer, at: number): number {
  if (body[at] === 0) return at + 1;
  const end = body.indexOf(0, at);
  return end < 0 ? body.length : end + 1;
}
