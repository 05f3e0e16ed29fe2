import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ConfigError, decryptAes, encryptAes, loadPoolPasswd, md5Hash, parsePoolPasswd, readKeyFile } from '../src';

const FILE = '/etc/pgpool2/pool_passwd';

function which(cmd: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(':').concat(['/usr/sbin', '/usr/bin'])) {
    const p = path.join(dir, cmd);
    if (fs.existsSync(p)) return p;
  }
  return undefined;
}

describe('AES entries (pg_enc format)', () => {
  // Produced by pg_enc of pgpool-II 4.3.5 (Debian 12): `pg_enc -k <keyfile> <password>`.
  const VECTORS: Array<[key: string, password: string, entry: string]> = [
    ['secretkey', 'mypassword', 'AESGLnfFFp7OQXHBqHb9dPyoQ=='],
    ['secretkey', '', 'AESmezHUOomUbFTiplzDaPs0Q=='],
    ['k', 'exactly16bytes!!', 'AES5+s5QSvd82VRpsg7RJxPDe5WqaxUI/QDpkMh/0pABNM='],
    ['secretkey', 'p@ss:word', 'AESd8F9mSt7HDSINuqtvgCA6g=='],
  ];

  test.each(VECTORS)('key %j, password %j', (key, password, entry) => {
    expect(encryptAes(password, key)).toBe(entry);
    expect(decryptAes(entry, key)).toBe(password);
    expect(decryptAes(entry.slice(3), key)).toBe(password);
  });

  test('round trip with non-ASCII text and a long key', () => {
    const key = 'ключ '.repeat(20);
    const pw = 'pässwörd with spaces and : colons';
    expect(decryptAes(encryptAes(pw, key), key)).toBe(pw);
  });

  test('a wrong key or a damaged entry throws', () => {
    expect(() => decryptAes('AESGLnfFFp7OQXHBqHb9dPyoQ==', 'wrong')).toThrow(/decryption failed/);
    expect(() => decryptAes('AESnot base64!', 'k')).toThrow(/base64/);
    expect(() => decryptAes('AESAAAA', 'k')).toThrow(/AES blocks/);
  });

  const pgEnc = which('pg_enc');
  test('matches the real pg_enc (when installed)', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pgrelay-config-'));
    try {
      const keyFile = path.join(dir, '.pgpoolkey');
      fs.writeFileSync(keyFile, 'the key phrase\nsecond line ignored\n', { mode: 0o600 });
      const out = execFileSync(pgEnc!, ['-k', keyFile, 'hunter2'], { encoding: 'utf8' });
      const entry = /pool_passwd string: (AES\S+)/.exec(out)![1]!;
      expect(entry).toBe(encryptAes('hunter2', 'the key phrase'));

      // -m writes pool_passwd next to the given pgpool.conf
      const conf = path.join(dir, 'pgpool.conf');
      fs.writeFileSync(conf, "pool_passwd = 'pool_passwd'\n");
      execFileSync(pgEnc!, ['-m', '-k', keyFile, '-f', conf, '-u', 'alice', 's3cr3t'], { encoding: 'utf8' });
      const pgMd5 = which('pg_md5');
      if (pgMd5) execFileSync(pgMd5, ['-m', '-f', conf, '-u', 'bob', 'bobpw'], { encoding: 'utf8' });
      const map = loadPoolPasswd(path.join(dir, 'pool_passwd'), readKeyFile(keyFile));
      expect(map.get('alice')).toMatchObject({ kind: 'aes', password: 's3cr3t' });
      if (pgMd5) expect(map.get('bob')).toEqual({ kind: 'md5', hash: md5Hash('bobpw', 'bob') });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('md5Hash', () => {
  test("'md5' + md5hex(password + user), as pg_md5 -m writes it", () => {
    // pg_md5 -m -u bob secret wrote bob:md521f3163f8f86fa10bdefbfbd502a8f06
    expect(md5Hash('secret', 'bob')).toBe('md521f3163f8f86fa10bdefbfbd502a8f06');
  });
});

describe('parsePoolPasswd', () => {
  const KEY = 'secretkey';
  const text = [
    'alice:md5' + 'a'.repeat(32),
    'bob:AESGLnfFFp7OQXHBqHb9dPyoQ==',
    'carol:TEXTmy:pass',
    'dave:plainpass',
    'erin:SCRAM-SHA-256$4096:c2FsdA==$c3RvcmVk:c2VydmVy',
    'frank:md5short',
    'we\\:ird:pa\\:ss',
    '',
    '# a comment',
    'alice:TEXTsecond entry is ignored',
    'gina:AESnot-valid!',
    'hank:pw:backenduser:backendpw\r',
  ].join('\n');

  test('all kinds', () => {
    const m = parsePoolPasswd(text, FILE, KEY);
    expect(m.get('alice')).toEqual({ kind: 'md5', hash: 'md5' + 'a'.repeat(32) });
    expect(m.get('bob')).toEqual({ kind: 'aes', encrypted: 'AESGLnfFFp7OQXHBqHb9dPyoQ==', password: 'mypassword' });
    // as in pgpool, an unescaped ':' ends the secret
    expect(m.get('carol')).toEqual({ kind: 'text', password: 'my' });
    expect(m.get('dave')).toEqual({ kind: 'text', password: 'plainpass' });
    expect(m.get('erin')).toEqual({ kind: 'scram', verifier: 'SCRAM-SHA-256$4096:c2FsdA==$c3RvcmVk:c2VydmVy' });
    // "md5" without 32 more characters is a clear-text password that happens to start with md5
    expect(m.get('frank')).toEqual({ kind: 'text', password: 'md5short' });
    expect(m.get('we:ird')).toEqual({ kind: 'text', password: 'pa:ss' });
    expect(m.get('hank')).toEqual({ kind: 'text', password: 'pw' });
    expect(m.get('gina')).toMatchObject({ kind: 'aes', encrypted: 'AESnot-valid!' });
    expect((m.get('gina') as { error?: string }).error).toMatch(/unable to decrypt/);
    expect(m.size).toBe(9);
  });

  test('a wrong key gives an error entry, not a throw', () => {
    const m = parsePoolPasswd(text, FILE, 'not the key');
    const bob = m.get('bob');
    expect(bob).toMatchObject({ kind: 'aes', encrypted: 'AESGLnfFFp7OQXHBqHb9dPyoQ==' });
    expect(bob).not.toHaveProperty('password');
    expect((bob as { error: string }).error).toMatch(/unable to decrypt password from pool_passwd/);
  });

  test('no key: AES entries stay encrypted with an error', () => {
    expect(parsePoolPasswd('bob:AESGLnfFFp7OQXHBqHb9dPyoQ==\n', FILE).get('bob')).toEqual({
      kind: 'aes', encrypted: 'AESGLnfFFp7OQXHBqHb9dPyoQ==', error: 'no AES key (pool key file) was given',
    });
  });

  test('a line without a user:secret separator is an error naming file and line (without echoing it)', () => {
    let err: unknown;
    try {
      parsePoolPasswd('ok:pw\nsomepassword\n', FILE);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toBe(`${FILE}:2: no ':' after the user name, expected user:password`);
    expect(() => parsePoolPasswd(':pw\n', FILE)).toThrow(`${FILE}:1: empty user name`);
  });
});

describe('readKeyFile', () => {
  let dir: string;
  const saved = { key: process.env.PGPOOLKEYFILE, home: process.env.HOME };
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pgrelay-config-'));
  });
  afterEach(() => {
    fs.rmSync(dir, { recursive: true, force: true });
    if (saved.key === undefined) delete process.env.PGPOOLKEYFILE;
    else process.env.PGPOOLKEYFILE = saved.key;
    process.env.HOME = saved.home;
  });

  test('explicit path, then $PGPOOLKEYFILE, then ~/.pgpoolkey; first line only', () => {
    fs.writeFileSync(path.join(dir, 'a'), 'from-explicit\nmore\n');
    fs.writeFileSync(path.join(dir, 'b'), 'from-env');
    fs.writeFileSync(path.join(dir, '.pgpoolkey'), 'from-home  \n');
    process.env.PGPOOLKEYFILE = path.join(dir, 'b');
    process.env.HOME = dir;
    expect(readKeyFile(path.join(dir, 'a'))).toBe('from-explicit');
    expect(readKeyFile()).toBe('from-env');
    delete process.env.PGPOOLKEYFILE;
    expect(readKeyFile()).toBe('from-home  '); // only the newline is removed
  });

  test('missing, empty or not a regular file: undefined', () => {
    expect(readKeyFile(path.join(dir, 'nope'))).toBeUndefined();
    fs.writeFileSync(path.join(dir, 'empty'), '');
    expect(readKeyFile(path.join(dir, 'empty'))).toBeUndefined();
    expect(readKeyFile(dir)).toBeUndefined();
    fs.writeFileSync(path.join(dir, 'blank'), '\nsecond\n');
    expect(readKeyFile(path.join(dir, 'blank'))).toBe('');
  });
});
