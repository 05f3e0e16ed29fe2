/**
 * PCP's md5 challenge. pcp.conf stores md5(password); the client proves it knows the
 * password with md5(md5(md5(password) + user) + salt), so neither side sends it in clear.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

const md5hex = (data: string | Buffer): string => createHash('md5').update(data).digest('hex');

export const newSalt = (): Buffer => randomBytes(4);

/** What the client sends in its 'R' packet. */
export function pcpAuthResponse(user: string, password: string, salt: Buffer): string {
  return md5hex(Buffer.concat([Buffer.from(md5hex(md5hex(password) + user)), salt]));
}

/** Checks a client's answer against the md5(password) kept in pcp.conf. */
export function checkPcpAuth(fileHash: string, user: string, salt: Buffer, answer: string): boolean {
  const expected = Buffer.from(md5hex(Buffer.concat([Buffer.from(md5hex(fileHash + user)), salt])));
  const got = Buffer.from(answer);
  return got.length === expected.length && timingSafeEqual(got, expected);
}
