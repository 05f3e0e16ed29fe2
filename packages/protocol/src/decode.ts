/** Reads the few message fields pgrelay acts on. Bodies are without the 5-byte header. */

export function readCString(body: Buffer, start: number): { value: string; next: number } {
  const end = body.indexOf(0, start);
  if (end < 0) throw new RangeError('unterminated string in message');
  return { value: body.toString('utf8', start, end), next: end + 1 };
}

/** Query ('Q'): the SQL text. */
export const queryText = (body: Buffer): string => readCString(body, 0).value;

/** Parse ('P'): statement name, SQL text, parameter type OIDs. */
export function parseMessage(body: Buffer): { name: string; text: string; paramTypes: number[] } {
  const name = readCString(body, 0);
  const text = readCString(body, name.next);
  const count = body.readInt16BE(text.next);
  const paramTypes: number[] = [];
  for (let i = 0; i < count; i++) paramTypes.push(body.readUInt32BE(text.next + 2 + 4 * i));
  return { name: name.value, text: text.value, paramTypes };
}

/** Bind ('B'): portal and statement names. */
export function bindNames(body: Buffer): { portal: string; statement: string } {
  const portal = readCString(body, 0);
  return { portal: portal.value, statement: readCString(body, portal.next).value };
}

/** Close ('C') and Describe ('D') from the client: 'S'tatement or 'P'ortal, and the name. */
export function targetOf(body: Buffer): { kind: 'S' | 'P'; name: string } {
  return { kind: body[0] === 0x50 ? 'P' : 'S', name: readCString(body, 1).value };
}

/** Fields of ErrorResponse / NoticeResponse keyed by their one-letter codes. */
export function noticeFieldsOf(body: Buffer): Record<string, string> {
  const out: Record<string, string> = {};
  let i = 0;
  while (i < body.length && body[i] !== 0) {
    const code = String.fromCharCode(body[i]!);
    const s = readCString(body, i + 1);
    out[code] = s.value;
    i = s.next;
  }
  return out;
}

/** The SQLSTATE of an ErrorResponse without decoding the other fields. */
export function sqlstateOf(body: Buffer): string | undefined {
  let i = 0;
  while (i < body.length && body[i] !== 0) {
    const end = body.indexOf(0, i + 1);
    if (end < 0) return undefined;
    if (body[i] === 0x43) return body.toString('latin1', i + 1, end);
    i = end + 1;
  }
  return undefined;
}

export function parameterStatusOf(body: Buffer): { name: string; value: string } {
  const name = readCString(body, 0);
  return { name: name.value, value: readCString(body, name.next).value };
}

/** Authentication request ('R'): the sub-code and what follows it. */
export function authRequestOf(body: Buffer): { code: number; data: Buffer } {
  return { code: body.readInt32BE(0), data: body.subarray(4) };
}

/** SASL mechanism names offered in AuthenticationSASL. */
export function saslMechanisms(data: Buffer): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < data.length && data[i] !== 0) {
    const s = readCString(data, i);
    out.push(s.value);
    i = s.next;
  }
  return out;
}

/** SASLInitialResponse ('p'): mechanism and client-first data. */
export function saslInitialResponse(body: Buffer): { mechanism: string; data: Buffer } {
  const m = readCString(body, 0);
  const len = body.readInt32BE(m.next);
  const start = m.next + 4;
  return { mechanism: m.value, data: len < 0 ? Buffer.alloc(0) : body.subarray(start, start + len) };
}

/** PasswordMessage ('p') carrying a clear-text or md5 password. */
export const passwordOf = (body: Buffer): string => readCString(body, 0).value;
