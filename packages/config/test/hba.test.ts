import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ConfigError, loadHba, matchHba, parseHba, type HbaClient, type HbaRule } from '../src';

const FILE = '/etc/pgpool2/pool_hba.conf';

const RULES = `
# TYPE  DATABASE        USER            ADDRESS                 METHOD
local   all             postgres                                trust
local   sameuser        all                                     md5
host    all             all             127.0.0.1/32            trust
host    all             all             ::1/128                 trust
host    app,"my db"     alice, bob      10.1.0.0 255.255.0.0    scram-sha-256
host    all             +admins         0.0.0.0/0               trust
host    all             mallory         0.0.0.0/0               reject
hostssl all             all             192.168.0.0/16          cert
hostnossl all           all             192.168.0.0/16          password
host    all             all             2001:db8::/32           md5
host    "all"           all             172.16.0.0/12           pam pamservice=pgpool
host    all             all             samenet                 ldap ldapserver=ldap.example.com ldapport=389 "ldapprefix=cn=" ldapsuffix=",dc=example,dc=com"
host    all             all             .example.org            md5
`;

const rules = parseHba(RULES, FILE);
const IFACES = { interfaces: [{ address: '203.0.113.7', netmask: '255.255.255.0' }, { address: 'fe80::1', netmask: 'ffff:ffff:ffff:ffff::' }] };

function lineFor(c: Partial<HbaClient>): number | undefined {
  const client: HbaClient = { local: false, database: 'db', user: 'u', ssl: false, ...c };
  return matchHba(rules, client, IFACES)?.line;
}

describe('parseHba', () => {
  test('fields, lists, quoted names, address forms and options', () => {
    expect(rules.map((r) => r.line)).toEqual([3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15]);
    const r7 = rules.find((r) => r.line === 7)!;
    expect(r7).toMatchObject({ type: 'host', databases: ['app', 'my db'], users: ['alice', 'bob'], method: 'scram-sha-256', options: {} });
    expect(r7.address).toMatchObject({ kind: 'ip', family: 4, text: '10.1.0.0 255.255.0.0' });
    expect(rules[0]).toMatchObject({ type: 'local', databases: ['all'], users: ['postgres'], method: 'trust' });
    expect(rules[0]!.address).toBeUndefined();
    expect(rules.find((r) => r.line === 13)!.options).toEqual({ pamservice: 'pgpool' });
    expect(rules.find((r) => r.line === 14)!.options).toEqual({
      ldapserver: 'ldap.example.com', ldapport: '389', ldapprefix: 'cn=', ldapsuffix: ',dc=example,dc=com',
    });
    expect(rules.find((r) => r.line === 15)!.address).toEqual({ kind: 'hostname', name: '.example.org' });
  });

  test('bad lines are ConfigErrors with file and line', () => {
    const bad: Array<[string, RegExp]> = [
      ['hots all all 1.2.3.4/32 trust', /:1: invalid connection type 'hots', expected local, host, hostssl or hostnossl/],
      ['host all all 1.2.3.4/33 trust', /:1: invalid CIDR address '1.2.3.4\/33'/],
      ['host all all 1.2.3.4 trust', /:1: invalid IP mask 'trust'/],
      ['host all all 1.2.3.4/32', /:1: end of line, expected an authentication method/],
      ['host all all 1.2.3.4/32 ident', /:1: authentication method 'ident' is not supported/],
      ['host all all 1.2.3.4/32 cert', /:1: cert authentication needs an SSL connection, expected connection type hostssl/],
      ['local all', /:1: end of line, expected a user list/],
      ['host all all 1.2.3.4/32 ldap ldapserver', /:1: invalid option 'ldapserver', expected name=value/],
      ['host "all all 1.2.3.4/32 trust', /:1: syntax error: unterminated quoted string/],
      ['host all, all 1.2.3.4/32 trust', /:1: end of line, expected an authentication method/],
    ];
    for (const [line, re] of bad) {
      let err: unknown;
      try {
        parseHba(`${line}\n`, FILE);
      } catch (e) {
        err = e;
      }
      expect([line, err instanceof ConfigError]).toEqual([line, true]);
      expect((err as Error).message).toMatch(re);
      expect((err as ConfigError).line).toBe(1);
    }
  });
});

describe('matchHba', () => {
  test('local connections', () => {
    expect(lineFor({ local: true, user: 'postgres' })).toBe(3);
    expect(lineFor({ local: true, user: 'u', database: 'u' })).toBe(4); // sameuser
    expect(lineFor({ local: true, user: 'u', database: 'other' })).toBeUndefined();
  });

  test('IPv4, IPv6 and IPv4-mapped IPv6 addresses', () => {
    expect(lineFor({ address: '127.0.0.1' })).toBe(5);
    expect(lineFor({ address: '::ffff:127.0.0.1' })).toBe(5);
    expect(lineFor({ address: '::1' })).toBe(6);
    expect(lineFor({ address: '2001:db8:1::5', user: 'x' })).toBe(12);
    expect(lineFor({ address: '2001:db9::5', user: 'x' })).toBeUndefined();
  });

  test('ip + mask form and database/user lists, quoted names', () => {
    expect(lineFor({ address: '10.1.200.3', database: 'app', user: 'bob' })).toBe(7);
    expect(lineFor({ address: '::ffff:10.1.200.3', database: 'my db', user: 'alice' })).toBe(7);
    expect(lineFor({ address: '10.2.0.1', database: 'app', user: 'bob' })).toBeUndefined(); // outside 10.1/16
    expect(lineFor({ address: '10.1.0.1', database: 'other', user: 'bob' })).not.toBe(7);
  });

  test('+group never matches; reject is returned as a rule', () => {
    const r = matchHba(rules, { local: false, address: '10.9.9.9', database: 'x', user: 'mallory', ssl: false }, IFACES);
    expect(r).toMatchObject({ line: 9, method: 'reject' });
  });

  test('hostssl and hostnossl', () => {
    expect(lineFor({ address: '192.168.3.4', ssl: true })).toBe(10);
    expect(lineFor({ address: '192.168.3.4', ssl: false })).toBe(11);
  });

  test('a quoted "all" is a database name, not the keyword', () => {
    expect(lineFor({ address: '172.16.5.5', database: 'all' })).toBe(13);
    expect(lineFor({ address: '172.16.5.5', database: 'other' })).toBeUndefined();
  });

  test('samehost, samenet and host names', () => {
    const local = parseHba('host all all samehost trust\n', FILE);
    expect(matchHba(local, { local: false, address: '203.0.113.7', database: 'd', user: 'u', ssl: false }, IFACES)).toBeDefined();
    expect(matchHba(local, { local: false, address: '::ffff:203.0.113.7', database: 'd', user: 'u', ssl: false }, IFACES)).toBeDefined();
    expect(matchHba(local, { local: false, address: '203.0.113.8', database: 'd', user: 'u', ssl: false }, IFACES)).toBeUndefined();
    // samehost with the real interfaces: loopback is always a local address
    expect(matchHba(local, { local: false, address: '127.0.0.1', database: 'd', user: 'u', ssl: false })).toBeDefined();

    expect(lineFor({ address: '203.0.113.99' })).toBe(14); // samenet
    expect(lineFor({ address: 'fe80::abcd' })).toBe(14);
    expect(lineFor({ address: '198.51.100.1', hostname: 'db1.example.org' })).toBe(15);
    expect(lineFor({ address: '198.51.100.1', hostname: 'example.org.evil' })).toBeUndefined();
    expect(lineFor({ address: '198.51.100.1' })).toBeUndefined(); // no name given: host-name rules cannot match
  });

  test('no match returns undefined (caller rejects)', () => {
    expect(matchHba([], { local: true, database: 'd', user: 'u', ssl: false })).toBeUndefined();
  });
});

describe('@file lists', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pgrelay-config-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('names come from a file relative to pool_hba.conf; nested @ works', () => {
    fs.writeFileSync(path.join(dir, 'users'), '# staff\nalice, bob\n"carol c"\n@more\n');
    fs.writeFileSync(path.join(dir, 'more'), 'dave');
    fs.writeFileSync(path.join(dir, 'pool_hba.conf'), 'host all @users 0.0.0.0/0 md5\nhost all "@users" 0.0.0.0/0 trust\n');
    const r: HbaRule[] = loadHba(path.join(dir, 'pool_hba.conf'));
    expect(r[0]!.users).toEqual(['alice', 'bob', 'carol c', 'dave']);
    expect(r[1]!.users).toEqual(['@users']); // quoted: a literal name
    const m = (user: string) => matchHba(r, { local: false, address: '1.2.3.4', database: 'd', user, ssl: false })?.line;
    expect(m('dave')).toBe(1);
    expect(m('carol c')).toBe(1);
    expect(m('@users')).toBe(2);
    expect(m('eve')).toBeUndefined();
  });

  test('a missing @file is an error on that line', () => {
    fs.writeFileSync(path.join(dir, 'pool_hba.conf'), '\nhost all @nope 0.0.0.0/0 md5\n');
    expect(() => loadHba(path.join(dir, 'pool_hba.conf'))).toThrow(`${path.join(dir, 'pool_hba.conf')}:2: cannot read '${path.join(dir, 'nope')}' (ENOENT)`);
  });
});
