/**
 * pool_passwd's AES entries, byte-compatible with pg_enc: AES-256-CBC, key and IV from
 * OpenSSL's EVP_BytesToKey(SHA-1, no salt, 1 round) over the key-file passphrase, PKCS#7
 * padding, base64, prefixed with "AES". (Checked against pgpool's src/utils/ssl_utils.c and
 * against pg_enc 4.3.5 output.)
 */
import * as crypto from 'node:crypto';

export const AES_PREFIX = 'AES';

/** EVP_BytesToKey with SHA-1, no salt and one round: D_i = SHA1(D_{i-1} || passphrase). */
function bytesToKey(passphrase: string): { key: Buffer; iv: Buffer } {
  const pass = Buffer.from(passphrase, 'utf8');
  const chunks: Buffer[] = [];
  let prev = Buffer.alloc(0);
  let have = 0;
  while (have < 48) {
    prev = crypto.createHash('sha1').update(Buffer.concat([prev, pass])).digest();
    chunks.push(prev);
    have += prev.length;
  }
  const all = Buffer.concat(chunks);
  return { key: all.subarray(0, 32), iv: all.subarray(32, 48) };
}

export function encryptAes(password: string, key: string): string {
  const { key: k, iv } = bytesToKey(key);
  const cipher = crypto.createCipheriv('aes-256-cbc', k, iv);
  const enc = Buffer.concat([cipher.update(password, 'utf8'), cipher.final()]);
  return AES_PREFIX + enc.toString('base64');
}

/** Accepts the entry with or without its "AES" prefix; throws when the key is wrong or the entry is damaged. */
export function decryptAes(enc: string, key: string): string {
  const b64 = enc.startsWith(AES_PREFIX) ? enc.slice(AES_PREFIX.length) : enc;
  if (b64 === '' || !/^[A-Za-z0-9+/]+={0,2}$/.test(b64) || b64.length % 4 !== 0) {
    throw new Error('not valid base64');
  }
  const data = Buffer.from(b64, 'base64');
  if (data.length === 0 || data.length % 16 !== 0) throw new Error('encrypted data is not a whole number of AES blocks');
  const { key: k, iv } = bytesToKey(key);
  const decipher = crypto.createDecipheriv('aes-256-cbc', k, iv);
  let plain: Buffer;
  try {
    plain = Buffer.concat([decipher.update(data), decipher.final()]);
  } catch {
    throw new Error('decryption failed (wrong key?)');
  }
  return plain.toString('utf8');
}

/** pgpool's md5 entry: "md5" + md5hex(password + user). */
export function md5Hash(password: string, user: string): string {
  return 'md5' + crypto.createHash('md5').update(password + user, 'utf8').digest('hex');
}
