import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadPcpConf, parsePcpConf } from '../src';

const FILE = '/etc/pgpool2/pcp.conf';
const HASH = '5ebe2294ecd0e0f08eab7690d2a6ee69'; // pg_md5 secret

describe('pcp.conf', () => {
  test('user:md5hex lines, comments and blank lines', () => {
    const m = parsePcpConf(`# USERID:MD5PASSWD\n\npostgres:${HASH}\r\nadmin:${HASH.toUpperCase()}\npostgres:${'0'.repeat(32)}\n`, FILE);
    expect([...m]).toEqual([['postgres', HASH], ['admin', HASH]]);
  });

  test('a bad line is an error with file and line', () => {
    expect(() => parsePcpConf(`ok:${HASH}\n\nadmin:secret\n`, FILE)).toThrow(`${FILE}:3: invalid line 'admin:...', expected user:<md5 of the password, 32 hex digits>`);
    expect(() => parsePcpConf('justaname\n', FILE)).toThrow(`${FILE}:1: invalid line 'justaname'`);
    expect(() => parsePcpConf(`:${HASH}\n`, FILE)).toThrow(`${FILE}:1: invalid line`);
  });

  test('loadPcpConf reads a file', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pgrelay-config-'));
    try {
      fs.writeFileSync(path.join(dir, 'pcp.conf'), `pcpadmin:${HASH}\n`);
      expect(loadPcpConf(path.join(dir, 'pcp.conf')).get('pcpadmin')).toBe(HASH);
      expect(() => loadPcpConf(path.join(dir, 'missing.conf'))).toThrow(/cannot read pcp.conf \(ENOENT\)/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
