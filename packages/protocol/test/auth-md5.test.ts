import { createHash } from 'node:crypto';
import { md5Hex, md5Response, md5Secret, md5Verify } from '../src/auth';

// Computed here from the definition with node:crypto, independently of the code under test.
const md5 = (b: Buffer | string): string => createHash('md5').update(b).digest('hex');

describe('md5 auth', () => {
  const salt = Buffer.from([0x01, 0x02, 0x03, 0x04]);

  test('md5Hex', () => {
    expect(md5Hex('')).toBe('d41d8cd98f00b204e9800998ecf8427e');
    expect(md5Hex(Buffer.from('abc'))).toBe('900150983cd24fb0d6963f7d28e17f72');
  });

  test('md5Secret is what pg_authid stores: md5 + md5(password || user)', () => {
    expect(md5Secret('md5_pass', 'md5_user')).toBe('md5' + md5('md5_passmd5_user'));
    expect(md5Secret('md5_pass', 'md5_user')).toMatch(/^md5[0-9a-f]{32}$/);
  });

  test('md5Response from a password and from the stored hash agree', () => {
    const expected = 'md5' + md5(Buffer.concat([Buffer.from(md5('md5_passmd5_user')), salt]));
    expect(md5Response({ password: 'md5_pass' }, 'md5_user', salt)).toBe(expected);
    expect(md5Response({ md5: md5Secret('md5_pass', 'md5_user') }, 'md5_user', salt)).toBe(expected);
  });

  test('non-ASCII passwords hash their UTF-8 bytes, as PostgreSQL does', () => {
    expect(md5Secret('pässwörd', 'üser')).toBe('md5' + md5(Buffer.from('pässwördüser', 'utf8')));
  });

  test('md5Verify accepts only the right response', () => {
    const secret = { md5: md5Secret('md5_pass', 'md5_user') };
    const good = md5Response({ password: 'md5_pass' }, 'md5_user', salt);
    expect(md5Verify(secret, 'md5_user', salt, good)).toBe(true);
    expect(md5Verify({ password: 'md5_pass' }, 'md5_user', salt, good)).toBe(true);
    expect(md5Verify(secret, 'md5_user', salt, md5Response({ password: 'wrong' }, 'md5_user', salt))).toBe(false);
    expect(md5Verify(secret, 'md5_user', Buffer.from([4, 3, 2, 1]), good)).toBe(false);
    expect(md5Verify({ password: 'md5_pass' }, 'other', salt, good)).toBe(false); // the stored hash already binds the user
    expect(md5Verify(secret, 'md5_user', salt, '')).toBe(false);
    expect(md5Verify(secret, 'md5_user', salt, good.toUpperCase())).toBe(false);
    expect(md5Verify(secret, 'md5_user', salt, good.slice(0, -1) + '\u0100')).toBe(false);
  });

  test('malformed stored secrets and salts are refused, not silently hashed', () => {
    expect(() => md5Response({ md5: 'md5abc' }, 'u', salt)).toThrow(TypeError);
    expect(() => md5Response({ md5: 'SCRAM-SHA-256$4096:xx$yy:zz' }, 'u', salt)).toThrow(TypeError);
    expect(() => md5Response({ password: 'p' }, 'u', Buffer.alloc(3))).toThrow(RangeError);
  });
});
