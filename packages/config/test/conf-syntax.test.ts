import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ConfigError, lexConf, parseConfigText, loadConfig } from '../src';

const FILE = '/etc/pgpool2/pgpool.conf';
const load = (text: string) => parseConfigText(text, FILE);

function errorOf(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (e) {
    if (e instanceof ConfigError) return e;
    throw e;
  }
  throw new Error('expected a ConfigError');
}

describe('pgpool.conf lexer', () => {
  test('name = value, name value, comments, blank lines and CR', () => {
    const entries = lexConf("# header\r\n\r\nport = 5433 # trailing\r\nnum_init_children 10\n\t  \nlog_line_prefix='%t: '#x\n", FILE);
    expect(entries.map((e) => [e.name, e.value, e.line])).toEqual([
      ['port', '5433', 3],
      ['num_init_children', '10', 4],
      ['log_line_prefix', '%t: ', 6],
    ]);
  });

  test('quoted strings: # inside quotes, doubled quote, backslash kept', () => {
    const v = load(String.raw`
sr_check_user = 'a#b'
health_check_user = 'it''s'
recovery_user = 'x\'y'
wd_authkey = 'c:\\d'
failover_command = ''
`).values;
    expect(v.sr_check_user).toBe('a#b');
    expect(v.health_check_user).toBe("it's");
    // pgpool keeps the backslash: quotes are the only thing removed
    expect(v.recovery_user).toBe("x\\'y");
    expect(v.wd_authkey).toBe('c:\\\\d');
    expect(v.failover_command).toBe('');
  });

  test('bare words may contain . : / -', () => {
    expect(load('wd_authkey = abc.def:/x-y\n').values.wd_authkey).toBe('abc.def:/x-y');
  });

  test('syntax errors give file, line and token', () => {
    const e = errorOf(() => load("port = 9999\nsr_check_user = 'unterminated\n"));
    expect(e.message).toBe(`${FILE}:2: sr_check_user: syntax error at ''unterminated', expected a closing quote`);
    expect(e.line).toBe(2);

    expect(errorOf(() => load('port = 1 2\n')).message).toBe(`${FILE}:1: port: syntax error at '2', expected end of line or a # comment`);
    expect(errorOf(() => load('socket_dir = /tmp\n')).message).toMatch(/:1: socket_dir: syntax error at '\/tmp'/);
    expect(errorOf(() => load('= 5\n')).message).toBe(`${FILE}:1: syntax error at '=', expected a parameter name`);
    expect(errorOf(() => load('\n\nport =\n')).message).toBe(`${FILE}:3: port: syntax error at end of line, expected a value`);
  });

  test('duplicates: the last occurrence wins', () => {
    const r = load('port = 1111\nport = 2222\nnum_init_children = 5\nport = 3333\n');
    expect(r.values.port).toBe(3333);
    expect(r.explicit.get('port')).toEqual({ file: FILE, line: 4, raw: '3333' });
    // explicit is in effective file order
    expect([...r.explicit.keys()]).toEqual(['num_init_children', 'port']);
  });
});

describe('value spellings', () => {
  test('booleans: words, digits, unique prefixes, any case', () => {
    const cases: Array<[string, boolean]> = [
      ['on', true], ['off', false], ['true', true], ['false', false], ['yes', true], ['no', false],
      ['1', true], ['0', false], ['t', true], ['f', false], ['y', true], ['n', false], ['of', false],
      ['TRUE', true], ['Off', false], ["'on'", true],
    ];
    for (const [text, want] of cases) {
      expect([text, load(`log_statement = ${text}\n`).values.log_statement]).toEqual([text, want]);
    }
  });

  test('invalid booleans are errors (a lone o is ambiguous)', () => {
    expect(errorOf(() => load('log_statement = o\n')).message)
      .toBe(`${FILE}:1: log_statement: invalid value 'o', expected a boolean (on, off, true, false, yes, no, 1, 0)`);
    expect(() => load('insert_lock = maybe\n')).toThrow(ConfigError);
  });

  test('integers: sign, hex, octal, fractions rounded half to even', () => {
    expect(load('child_life_time = 0x10\n').values.child_life_time).toBe(16);
    expect(load('log_file_mode = 0600\n').values.log_file_mode).toBe(0o600);
    expect(load('client_idle_limit_in_recovery = -1\n').values.client_idle_limit_in_recovery).toBe(-1);
    expect(load('client_idle_limit_in_recovery = +5\n').values.client_idle_limit_in_recovery).toBe(5);
    expect(load('recovery_timeout = 1.5\n').values.recovery_timeout).toBe(2);
    expect(load('recovery_timeout = 2.5\n').values.recovery_timeout).toBe(2);
    expect(load("port = '5433'\n").values.port).toBe(5433);
  });

  test('time units convert to the parameter unit', () => {
    const v = load([
      'child_life_time = 10s', 'connection_life_time = 1min', 'authentication_timeout = 500ms',
      'search_primary_node_timeout = 1h', 'recovery_timeout = 1.5min', 'connect_timeout = 2s',
      'log_rotation_age = 2h', 'memqcache_expire = 1d', 'health_check_period = 30s', 'health_check_timeout0 = 1min',
      'backend_port0 = 5432', '',
    ].join('\n')).values;
    expect(v.child_life_time).toBe(10);
    expect(v.connection_life_time).toBe(60);
    expect(v.authentication_timeout).toBe(0); // 0.5 s rounds to even, as pgpool
    expect(v.search_primary_node_timeout).toBe(3600);
    expect(v.recovery_timeout).toBe(90);
    expect(v.connect_timeout).toBe(2000); // connect_timeout is in ms
    expect(v.log_rotation_age).toBe(120); // minutes
    expect(v.memqcache_expire).toBe(86400);
    expect(v.health_check_period).toBe(30);
    expect(v.backends[0]!.healthCheck.timeout).toBe(60);
  });

  test('size units convert to bytes or kB', () => {
    const v = load('memqcache_total_size = 64MB\nmemqcache_maxcache = 400kB\nlog_rotation_size = 1GB\ndelay_threshold = 1kB\nmax_message_size = 16MB\n').values;
    expect(v.memqcache_total_size).toBe(64 * 1024 * 1024);
    expect(v.memqcache_maxcache).toBe(409600);
    expect(v.log_rotation_size).toBe(1024 * 1024); // kB
    expect(v.delay_threshold).toBe(1024);
    expect(v.max_message_size).toBe(16 * 1024 * 1024);
  });

  test('a unit on a unitless parameter, or the wrong kind of unit, is an error', () => {
    expect(errorOf(() => load('num_init_children = 10s\n')).message)
      .toBe(`${FILE}:1: num_init_children: invalid value '10s', expected an integer in 1..2147483647`);
    expect(errorOf(() => load('child_life_time = 10MB\n')).message)
      .toBe(`${FILE}:1: child_life_time: invalid value '10MB', expected a number of seconds in 0..2147483647 (units us, ms, s, min, h, d accepted)`);
    expect(() => load('memqcache_total_size = 64mb\n')).toThrow(/invalid value '64mb'/); // units are case-sensitive
  });

  test('reals and enums', () => {
    const v = load("backend_port0 = 5432\nbackend_weight0 = .5e1\nlog_min_messages = DEBUG1\nsyslog_facility = local3\nbackend_clustering_mode = 'NATIVE_REPLICATION'\nclient_min_messages = debug\n").values;
    expect(v.backends[0]!.weight).toBe(5);
    expect(v.log_min_messages).toBe('debug1');
    expect(v.syslog_facility).toBe('LOCAL3');
    expect(v.backend_clustering_mode).toBe('native_replication');
    expect(v.client_min_messages).toBe('debug2');
    expect(errorOf(() => load('\nbackend_clustering_mode = replication\n')).message)
      .toBe(`${FILE}:2: backend_clustering_mode: invalid value 'replication', expected one of streaming_replication, native_replication, logical_replication, slony, raw, snapshot_isolation`);
  });

  test('lists', () => {
    const v = load("listen_addresses = 'localhost, 192.168.0.1'\nwrite_function_list = 'nextval, setval'\nreset_query_list = 'ABORT; DISCARD ALL'\nprimary_routing_query_pattern_list = 'a\\;b;c\\'d'\npcp_listen_addresses = ''\n").values;
    expect(v.listen_addresses).toEqual(['localhost', '192.168.0.1']);
    expect(v.write_function_list).toEqual(['nextval', 'setval']);
    expect(v.reset_query_list).toEqual(['ABORT', 'DISCARD ALL']);
    expect(v.primary_routing_query_pattern_list).toEqual(['a;b', "c'd"]);
    expect(v.pcp_listen_addresses).toEqual([]);
  });
});

describe('include', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pgrelay-config-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('relative to the including file, nested, later lines override', () => {
    fs.mkdirSync(path.join(dir, 'conf.d'));
    fs.writeFileSync(path.join(dir, 'pgpool.conf'), "port = 1111\ninclude 'conf.d/a.conf'\nnum_init_children = 7\n");
    fs.writeFileSync(path.join(dir, 'conf.d', 'a.conf'), "port = 2222\nnum_init_children = 3\ninclude = 'b.conf'\n");
    fs.writeFileSync(path.join(dir, 'conf.d', 'b.conf'), 'max_pool = 9\nbogus_param = 1\n');
    const r = loadConfig(path.join(dir, 'pgpool.conf'));
    expect(r.values.port).toBe(2222);
    expect(r.values.num_init_children).toBe(7);
    expect(r.values.max_pool).toBe(9);
    expect(r.explicit.get('max_pool')).toEqual({ file: path.join(dir, 'conf.d', 'b.conf'), line: 1, raw: '9' });
    expect(r.warnings).toEqual([{ file: path.join(dir, 'conf.d', 'b.conf'), line: 2, key: 'bogus_param', message: 'unrecognized configuration parameter "bogus_param"' }]);
  });

  test('errors inside an included file name that file', () => {
    fs.writeFileSync(path.join(dir, 'pgpool.conf'), "include 'x.conf'\n");
    fs.writeFileSync(path.join(dir, 'x.conf'), '\nport = abc\n');
    expect(() => loadConfig(path.join(dir, 'pgpool.conf'))).toThrow(`${path.join(dir, 'x.conf')}:2: port: invalid value 'abc'`);
  });

  test('a missing include file and include loops are errors', () => {
    fs.writeFileSync(path.join(dir, 'pgpool.conf'), "port = 5000\ninclude 'nope.conf'\n");
    expect(() => loadConfig(path.join(dir, 'pgpool.conf'))).toThrow(`${path.join(dir, 'pgpool.conf')}:2: include: cannot read`);
    fs.writeFileSync(path.join(dir, 'loop.conf'), "include 'loop.conf'\n");
    expect(() => loadConfig(path.join(dir, 'loop.conf'))).toThrow(/too many nested includes/);
  });

  test('parseConfigText resolves includes against dirname(file)', () => {
    fs.writeFileSync(path.join(dir, 'extra.conf'), 'port = 4444\n');
    expect(parseConfigText("include 'extra.conf'\n", path.join(dir, 'pgpool.conf')).values.port).toBe(4444);
  });
});
