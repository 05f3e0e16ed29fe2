import { randomBytes } from 'node:crypto';

/**
 * Option key that fixes the nonce, so a test can replay a published exchange (RFC 7677 §3).
 * A symbol rather than a named option, and not re-exported from ./index, so production code
 * cannot pass a predictable nonce by accident.
 */
export const injectNonce: unique symbol = Symbol('pgrelay.auth.injectNonce');

export interface NonceInjection {
  [injectNonce]?: string;
}

/** RFC 5802 `printable`: %x21-2B / %x2D-7E, i.e. visible ASCII except ','. */
export function isPrintableNonce(s: string): boolean {
  return /^[\x21-\x2b\x2d-\x7e]+$/.test(s);
}

/** 18 random bytes, base64: the same size PostgreSQL and libpq use, and never contains ','. */
export function makeNonce(opts?: NonceInjection): string {
  const injected = opts?.[injectNonce];
  if (injected !== undefined) {
    if (!isPrintableNonce(injected)) throw new TypeError('injected SCRAM nonce must be printable ASCII without ","');
    return injected;
  }
  return randomBytes(18).toString('base64');
}
