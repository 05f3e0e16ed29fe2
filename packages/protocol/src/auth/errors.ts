/** SQLSTATEs the auth code reports; the proxy copies them into the ErrorResponse it sends. */
export const SQLSTATE = {
  protocolViolation: '08P01',
  invalidPassword: '28P01',
  featureNotSupported: '0A000',
} as const;

/**
 * A failed SCRAM/SASL exchange. `message` (and `detail`) are worded like PostgreSQL's own
 * messages so a client sees the same error from pgrelay as from the server it replaces.
 */
export class ScramError extends Error {
  override readonly name = 'ScramError';

  constructor(
    message: string,
    readonly sqlstate: string,
    readonly detail?: string,
  ) {
    super(message);
  }
}

export function malformed(detail: string): ScramError {
  return new ScramError('malformed SCRAM message', SQLSTATE.protocolViolation, detail);
}

/** Quote one character of hostile input for an error message without echoing control bytes. */
export function sanitizeChar(c: string | undefined): string {
  if (c === undefined) return 'end of string';
  const code = c.charCodeAt(0);
  return code >= 0x21 && code <= 0x7e ? `"${c}"` : `0x${code.toString(16).padStart(2, '0')}`;
}
