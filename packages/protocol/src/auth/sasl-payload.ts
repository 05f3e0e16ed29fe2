// Bodies of the SASL-related protocol messages (everything after the type byte and the Int32
// length, which the framer adds or strips). Only what a SASL exchange needs; the general message
// codecs live elsewhere in this package.

import { ScramError, SQLSTATE } from './errors';

/** Int32 request codes of the 'R' (Authentication*) messages used by SASL. */
const AUTH_SASL = 10;
const AUTH_SASL_CONTINUE = 11;
const AUTH_SASL_FINAL = 12;

function authBody(code: number, data: Buffer): Buffer {
  const out = Buffer.allocUnsafe(4 + data.length);
  out.writeInt32BE(code, 0);
  data.copy(out, 4);
  return out;
}

function protocolError(message: string): ScramError {
  return new ScramError(message, SQLSTATE.protocolViolation);
}

/** 'R' AuthenticationSASL: Int32 10, then each mechanism name NUL-terminated, then a final NUL. */
function encodeMechanisms(mechanisms: readonly string[]): Buffer {
  return authBody(AUTH_SASL, Buffer.from(mechanisms.map((m) => `${m}\0`).join('') + '\0', 'utf8'));
}

/** The mechanism list of an 'R' AuthenticationSASL body (including its Int32 10). */
function decodeMechanisms(body: Buffer): string[] {
  if (body.length < 5 || body.readInt32BE(0) !== AUTH_SASL || body[body.length - 1] !== 0) {
    throw protocolError('malformed AuthenticationSASL message');
  }
  const names = body.subarray(4, body.length - 1).toString('utf8').split('\0');
  // An empty list arrives as a lone terminator: nothing before the final NUL.
  if (names.length === 1 && names[0] === '') return [];
  if (names.at(-1) !== '' || names.slice(0, -1).some((n) => n === '')) {
    throw protocolError('malformed AuthenticationSASL message');
  }
  return names.slice(0, -1);
}

/** 'R' AuthenticationSASLContinue: Int32 11 + server-first-message. */
function encodeContinue(data: Buffer): Buffer {
  return authBody(AUTH_SASL_CONTINUE, data);
}

/** 'R' AuthenticationSASLFinal: Int32 12 + server-final-message. */
function encodeFinal(data: Buffer): Buffer {
  return authBody(AUTH_SASL_FINAL, data);
}

/** 'p' SASLInitialResponse: mechanism NUL, Int32 length of the data (-1: none), the data. */
function encodeInitialResponse(mechanism: string, data: Buffer | null): Buffer {
  const name = Buffer.from(`${mechanism}\0`, 'utf8');
  const len = Buffer.allocUnsafe(4);
  len.writeInt32BE(data ? data.length : -1, 0);
  return Buffer.concat(data ? [name, len, data] : [name, len]);
}

/**
 * Decodes a 'p' body received while a SASLInitialResponse is expected. `data` is null when the
 * client sent no initial response: the server then sends an empty AuthenticationSASLContinue and
 * the next 'p' (a plain SASLResponse) carries the client-first-message, as PostgreSQL does.
 */
function decodeInitialResponse(body: Buffer): { mechanism: string; data: Buffer | null } {
  const nul = body.indexOf(0);
  if (nul <= 0 || body.length < nul + 5) throw protocolError('malformed SASLInitialResponse message');
  const mechanism = body.subarray(0, nul).toString('utf8');
  const len = body.readInt32BE(nul + 1);
  const rest = body.subarray(nul + 5);
  if (len === -1 && rest.length === 0) return { mechanism, data: null };
  if (len !== rest.length) throw protocolError('malformed SASLInitialResponse message');
  return { mechanism, data: rest };
}

/** Encoders/decoders for SASL message bodies, grouped so they cannot clash with the general codecs. */
export const saslPayload = Object.freeze({
  encodeMechanisms,
  decodeMechanisms,
  encodeContinue,
  encodeFinal,
  encodeInitialResponse,
  decodeInitialResponse,
});
