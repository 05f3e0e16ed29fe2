import { createHash, timingSafeEqual } from 'node:crypto';

/** A user's md5 secret: the cleartext password, or the 'md5…' hash pg_authid and pool_passwd store. */
export type Md5Secret = { password: string } | { md5: string };

const MD5_SECRET = /^md5[0-9a-f]{32}$/;

export function md5Hex(s: string | Buffer): string {
  return createHash('md5').update(s).digest('hex');
}

/** What pg_authid.rolpassword holds for password_encryption = md5: 'md5' + md5(password || user). */
export function md5Secret(password: string, user: string): string {
  return 'md5' + md5Hex(password + user);
}

function innerHash(secret: Md5Secret, user: string): string {
  if ('md5' in secret) {
    // A malformed pool_passwd entry must not quietly produce a response no server accepts.
    if (!MD5_SECRET.test(secret.md5)) throw new TypeError("md5 secret must be 'md5' followed by 32 lowercase hex digits");
    return secret.md5.slice(3);
  }
  return md5Hex(secret.password + user);
}

function checkSalt(salt: Buffer): void {
  if (salt.length !== 4) throw new RangeError(`md5 salt must be 4 bytes (AuthenticationMD5Password), got ${salt.length}`);
}

/**
 * The PasswordMessage payload (without its NUL) answering AuthenticationMD5Password:
 * 'md5' + md5(md5hex(password || user) || salt). Knowing only the stored hash is enough, which is
 * why pool_passwd can hold md5 hashes and still log in to backends.
 */
export function md5Response(secret: Md5Secret, user: string, salt: Buffer): string {
  checkSalt(salt);
  return 'md5' + md5Hex(Buffer.concat([Buffer.from(innerHash(secret, user), 'latin1'), salt]));
}

/** Checks a client's md5 response; the comparison does not leak how many characters matched. */
export function md5Verify(secret: Md5Secret, user: string, salt: Buffer, clientResponse: string): boolean {
  const expected = Buffer.from(md5Response(secret, user, salt), 'utf8');
  const actual = Buffer.from(clientResponse, 'utf8');
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}
