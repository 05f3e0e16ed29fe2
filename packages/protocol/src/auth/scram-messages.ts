// RFC 5802 §7 message grammar for SCRAM-SHA-256 without channel binding, both directions.
//
// Messages are handled as "binary strings" (latin1: one char per byte). All syntax is ASCII, and
// slicing such a string and re-encoding it gives back exactly the bytes the peer sent, which the
// AuthMessage signature covers, even if a user name is not valid UTF-8.

import { decodeBase64Strict } from './base64';
import { malformed, sanitizeChar, ScramError, SQLSTATE } from './errors';
import { isPrintableNonce } from './nonce';
import { SCRAM_KEY_LEN } from './scram-crypto';
import { MAX_ITERATIONS } from './salted-password';
import { saslprep } from './saslprep';

/** The only gs2 header we send: no channel binding, no authzid. */
export const GS2_HEADER_NO_CB = 'n,,';

export function toBinaryString(msg: Buffer): string {
  if (msg.length === 0) throw malformed('The message is empty.');
  // PostgreSQL reads SCRAM messages as C strings; an embedded NUL is a length mismatch there.
  if (msg.includes(0)) throw malformed('Message length does not match input length.');
  return msg.toString('latin1');
}

export function fromBinaryString(s: string): Buffer {
  return Buffer.from(s, 'latin1');
}

/** Reads `a=value` attributes in order, with PostgreSQL's wording for what went wrong. */
class AttributeReader {
  #pos = 0;
  #afterComma = false;

  constructor(private readonly s: string) {}

  get pos(): number {
    return this.#pos;
  }

  /** True at the end of the message; a trailing ',' still promises another attribute. */
  get atEnd(): boolean {
    return this.#pos >= this.s.length && !this.#afterComma;
  }

  expect(name: string): string {
    const c = this.s[this.#pos];
    if (c !== name) {
      throw malformed(c === undefined ? `Expected attribute "${name}" but found end of string.` : `Expected attribute "${name}" but found ${sanitizeChar(c)}.`);
    }
    return this.#value(name);
  }

  any(): [name: string, value: string] {
    const c = this.s[this.#pos];
    if (c === undefined) throw malformed('Attribute expected, but found end of string.');
    if (!/^[A-Za-z]$/.test(c)) throw malformed(`Attribute expected, but found invalid character ${sanitizeChar(c)}.`);
    return [c, this.#value(c)];
  }

  #value(name: string): string {
    this.#pos++;
    if (this.s[this.#pos] !== '=') throw malformed(`Expected character "=" for attribute "${name}".`);
    this.#pos++;
    const comma = this.s.indexOf(',', this.#pos);
    const end = comma === -1 ? this.s.length : comma;
    const value = this.s.slice(this.#pos, end);
    this.#afterComma = comma !== -1;
    this.#pos = comma === -1 ? end : comma + 1;
    return value;
  }
}

// ---- client-first-message (server side parses) -------------------------------------------------

export interface ClientFirst {
  /** "n,," or "y,,": echoed back, base64-encoded, in the client-final c= attribute. */
  gs2Header: string;
  /** client-first-message-bare, the first part of AuthMessage. */
  bare: string;
  nonce: string;
}

export function parseClientFirst(msg: Buffer): ClientFirst {
  const s = toBinaryString(msg);
  switch (s[0]) {
    case 'n': // client does not support channel binding
    case 'y': // client supports it but we did not offer -PLUS: fine, we never do
      break;
    case 'p':
      throw malformed(
        'The client selected SCRAM-SHA-256 without channel binding, but the SCRAM message includes channel binding data.',
      );
    default:
      throw malformed(`Unexpected channel-binding flag ${sanitizeChar(s[0])}.`);
  }
  if (s[1] !== ',') throw malformed(`Comma expected, but found character ${sanitizeChar(s[1])}.`);
  if (s[2] === 'a') {
    throw new ScramError('client uses authorization identity, but it is not supported', SQLSTATE.featureNotSupported);
  }
  if (s[2] !== ',') throw malformed(`Unexpected attribute ${sanitizeChar(s[2])} in client-first-message.`);

  const bare = s.slice(3);
  if (bare[0] === 'm') {
    throw new ScramError('client requires an unsupported SCRAM extension', SQLSTATE.featureNotSupported);
  }
  const r = new AttributeReader(bare);
  r.expect('n'); // ignored, as PostgreSQL does: the user is the one from the startup packet
  const nonce = r.expect('r');
  if (!isPrintableNonce(nonce)) {
    throw new ScramError('non-printable characters in SCRAM nonce', SQLSTATE.protocolViolation);
  }
  while (!r.atEnd) r.any(); // optional extensions; none are defined that we must honour
  return { gs2Header: s.slice(0, 3), bare, nonce };
}

/** saslname (RFC 5802 §5.1): SASLprep'd, with ',' and '=' escaped. PostgreSQL ignores it; RFC peers may not. */
export function formatClientFirstBare(user: string, nonce: string): string {
  const name = saslprep(user).replace(/=/g, '=3D').replace(/,/g, '=2C');
  return `n=${Buffer.from(name, 'utf8').toString('latin1')},r=${nonce}`;
}

// ---- server-first-message ----------------------------------------------------------------------

export interface ServerFirst {
  nonce: string;
  salt: Buffer;
  iterations: number;
}

export function formatServerFirst(nonce: string, salt: Buffer, iterations: number): string {
  return `r=${nonce},s=${salt.toString('base64')},i=${iterations}`;
}

export function parseServerFirst(msg: Buffer): { raw: string } & ServerFirst {
  const raw = toBinaryString(msg);
  if (raw[0] === 'm') throw malformed('The server requires an unsupported SCRAM extension.');
  const r = new AttributeReader(raw);
  const nonce = r.expect('r');
  if (!isPrintableNonce(nonce)) throw malformed('Invalid nonce in server-first-message.');
  const salt = decodeBase64Strict(r.expect('s'));
  if (!salt || salt.length === 0) throw malformed('Invalid salt in server-first-message.');
  const iterText = r.expect('i');
  const iterations = /^[0-9]{1,10}$/.test(iterText) ? Number(iterText) : NaN;
  if (!(iterations >= 1 && iterations <= MAX_ITERATIONS)) throw malformed('Invalid iteration count in server-first-message.');
  while (!r.atEnd) r.any();
  return { raw, nonce, salt, iterations };
}

// ---- client-final-message ----------------------------------------------------------------------

export interface ClientFinal {
  /** The c= value: base64(gs2 header), since no channel-binding data follows it here. */
  channelBinding: string;
  nonce: string;
  proof: Buffer;
  /** client-final-message-without-proof, the last part of AuthMessage. */
  withoutProof: string;
}

export function formatClientFinalWithoutProof(gs2Header: string, nonce: string): string {
  return `c=${Buffer.from(gs2Header, 'latin1').toString('base64')},r=${nonce}`;
}

export function parseClientFinal(msg: Buffer): ClientFinal {
  const s = toBinaryString(msg);
  const r = new AttributeReader(s);
  const channelBinding = r.expect('c');
  const nonce = r.expect('r');
  // Extensions may sit between the nonce and the proof; the proof is always last.
  for (;;) {
    const start = r.pos;
    const [name, value] = r.any();
    if (name !== 'p') continue;
    const proof = decodeBase64Strict(value);
    if (proof?.length !== SCRAM_KEY_LEN) throw malformed('Malformed proof in client-final-message.');
    if (!r.atEnd) throw malformed('Garbage found at the end of client-final-message.');
    return { channelBinding, nonce, proof, withoutProof: s.slice(0, start - 1) };
  }
}

// ---- server-final-message ----------------------------------------------------------------------

export function formatServerFinal(serverSignature: Buffer): string {
  return `v=${serverSignature.toString('base64')}`;
}

export function parseServerFinal(msg: Buffer): { serverSignature: Buffer } | { error: string } {
  const s = toBinaryString(msg);
  const r = new AttributeReader(s);
  if (s[0] === 'e') return { error: r.expect('e') };
  const signature = decodeBase64Strict(r.expect('v'));
  if (signature?.length !== SCRAM_KEY_LEN) throw malformed('Malformed server signature in server-final-message.');
  while (!r.atEnd) r.any();
  return { serverSignature: signature };
}

export function authMessage(clientFirstBare: string, serverFirst: string, clientFinalWithoutProof: string): Buffer {
  return fromBinaryString(`${clientFirstBare},${serverFirst},${clientFinalWithoutProof}`);
}
