/** The few protocol messages the router writes itself, and the fields it reads from the client's. */
import { MessageWriter, simpleQuery } from '@pgrelay/protocol';

export const SYNC = Buffer.from([0x53, 0, 0, 0, 4]);
export const ROLLBACK_QUERY = simpleQuery('ROLLBACK');

export const parseOf = (name: string, text: string): Buffer => new MessageWriter(0x50).cstring(name).cstring(text).int16(0).finish();

/**
 * Where the NUL ending the C string at `at` is (body.length when there is none). Statement and
 * portal names are short: a JS loop over the first bytes beats Buffer#indexOf's native call;
 * a long SQL text goes on with indexOf.
 */
function nulAt(body: Buffer, at: number): number {
  const n = body.length;
  const lim = at + 32 < n ? at + 32 : n;
  for (let i = at; i < lim; i++) if (body[i] === 0) return i;
  if (lim === n) return n;
  const end = body.indexOf(0, lim);
  return end < 0 ? n : end;
}

/** A C string of a message body starting at `at`; '' without allocating when it is empty. */
export function cstringAt(body: Buffer, at: number): string {
  if (body[at] === 0) return '';
  return body.toString('utf8', at, nulAt(body, at));
}

/** Where the C string starting at `at` ends (the index after its NUL). */
export function afterCstring(body: Buffer, at: number): number {
  if (body[at] === 0) return at + 1;
  const end = nulAt(body, at);
  return end < body.length ? end + 1 : end;
}
