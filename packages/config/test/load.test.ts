import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ConfigError, PARAMS, findParam, loadConfig, parseConfigText, type ParamSpec } from '../src';

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

describe('defaults are pgpool 4.3.5 compiled defaults', () => {
  const v = load('').values;
  test.each<[string, unknown]>([
    ['backend_clustering_mode', 'streaming_replication'],
    ['listen_addresses', ['localhost']],
    ['port', 9999],
    ['pcp_port', 9898],
    ['socket_dir', '/tmp'],
    ['unix_socket_directories', ['/tmp']],
    ['pcp_socket_dir', '/tmp'],
    ['num_init_children', 32],
    ['max_pool', 4],
    ['listen_backlog_multiplier', 2],
    ['child_life_time', 300],
    ['connection_life_time', 0],
    ['client_idle_limit', 0],
    ['connection_cache', true],
    ['reset_query_list', ['ABORT', 'DISCARD ALL']],
    ['authentication_timeout', 60],
    ['load_balance_mode', true],
    ['ignore_leading_white_space', true],
    ['disable_load_balance_on_write', 'transaction'],
    ['write_function_list', []],
    ['sr_check_period', 10],
    ['sr_check_user', 'nobody'],
    ['sr_check_database', 'postgres'],
    ['delay_threshold', 0],
    ['log_standby_delay', 'if_over_threshold'],
    ['search_primary_node_timeout', 300],
    ['health_check_period', 0],
    ['health_check_timeout', 20],
    ['health_check_user', 'nobody'],
    ['health_check_database', 'postgres'],
    ['health_check_max_retries', 0],
    ['health_check_retry_delay', 1],
    ['connect_timeout', 10000],
    ['failover_on_backend_error', true],
    ['failover_on_backend_shutdown', true], // 4.3.5 (off from 4.3.10)
    ['auto_failback_interval', 60],
    ['recovery_user', ''],
    ['recovery_timeout', 90],
    ['insert_lock', true],
    ['enable_pool_hba', false],
    ['pool_passwd', '/etc/pgpool2/pool_passwd'], // 'pool_passwd' resolved against the conf dir
    ['ssl', false],
    ['ssl_ciphers', 'HIGH:MEDIUM:+3DES:!aNULL'],
    ['ssl_ecdh_curve', 'prime256v1'],
    ['log_destination', 'stderr'],
    ['log_line_prefix', '%m: %a pid %p: '],
    ['log_min_messages', 'warning'],
    ['client_min_messages', 'notice'],
    ['log_error_verbosity', 'default'],
    ['log_rotation_age', 1440],
    ['log_rotation_size', 10240],
    ['log_file_mode', 0o600],
    ['syslog_facility', 'LOCAL0'],
    ['pid_file_name', '/var/run/pgpool/pgpool.pid'],
    ['logdir', '/tmp'],
    ['use_watchdog', false],
    ['wd_lifecheck_dbname', 'template1'],
    ['wd_heartbeat_deadtime', 30],
    ['memqcache_total_size', 67108864],
    ['memqcache_maxcache', 409600],
    ['memqcache_cache_block_size', 1048576],
    ['memqcache_oiddir', '/var/log/pgpool/oiddir'],
    ['relcache_size', 256],
    ['check_temp_table', 'catalog'],
    ['check_unlogged_table', true],
    ['num_workers', 0],
    ['worker_scheduling', 'none'],
    ['max_message_size', 1073741824],
    ['session_state_max_size', 1048576],
    ['transaction_replay', false],
    ['transaction_replay_max_size', 1048576],
    ['log_format', 'auto'],
  ])('%s', (name, want) => {
    expect(v[name]).toEqual(want);
  });

  test('every parameter with a plain form has a value, and no backends by default', () => {
    for (const p of PARAMS as readonly ParamSpec[]) {
      if (p.indexed !== 'required') expect([p.name, v[p.name]]).not.toEqual([p.name, undefined]);
    }
    expect(v.backends).toEqual([]);
    expect(v.pcp_socket_dirs).toEqual(['/tmp']);
  });

  test('PARAMS entries are complete and consistent', () => {
    const names = new Set<string>();
    for (const p of PARAMS as readonly ParamSpec[]) {
      expect(names.has(p.name)).toBe(false);
      names.add(p.name);
      expect(p.description.length).toBeGreaterThan(5);
      if (p.type === 'int' || p.type === 'real') {
        expect(typeof p.min).toBe('number');
        expect(typeof p.max).toBe('number');
        expect(p.default as number).toBeGreaterThanOrEqual(p.indexed === 'required' && p.name === 'backend_port' ? 0 : p.min!);
      }
      if (p.type === 'enum') expect(p.values).toContain(p.default);
      if (p.type === 'list') expect(Array.isArray(p.default)).toBe(true);
    }
    expect(findParam('delegate_ip')?.name).toBe('delegate_IP');
  });
});

describe('errors and warnings', () => {
  test('a bad value names file, line and key', () => {
    const e = errorOf(() => load('# c\nport = 9999\nnum_init_children = 4\n\n\n\n\n\n\n\n\nport = abc\n'));
    expect(e.message).toBe("/etc/pgpool2/pgpool.conf:12: port: invalid value 'abc', expected an integer in 1024..65535");
    expect(e).toMatchObject({ file: FILE, line: 12, key: 'port', expected: 'an integer in 1024..65535' });
  });

  test('out of range values', () => {
    expect(errorOf(() => load('pcp_port = 80\n')).message).toBe(`${FILE}:1: pcp_port: invalid value '80', expected an integer in 1024..65535`);
    expect(errorOf(() => load('backend_weight1 = -1\n')).message).toBe(`${FILE}:1: backend_weight1: invalid value '-1', expected a number in 0..100000000`);
    expect(errorOf(() => load('backend_port1 = 0\n')).message).toMatch(/backend_port1: invalid value '0', expected an integer in 1024\.\.65535/);
    expect(errorOf(() => load('memqcache_cache_block_size = 100\n')).message).toMatch(/expected a size in bytes in 512\.\./);
  });

  test('the first bad line in the file is reported', () => {
    expect(errorOf(() => load('max_pool = x\nport = y\n')).line).toBe(1);
    expect(errorOf(() => load('port = y\nmax_pool = x\n')).key).toBe('port');
  });

  test('unknown parameters are warnings, not errors', () => {
    const r = load('port = 5433\nmaster_slave_mode = on\nbackend_hostname = x\n');
    expect(r.values.port).toBe(5433);
    expect(r.warnings).toEqual([
      { file: FILE, line: 2, key: 'master_slave_mode', message: 'unrecognized configuration parameter "master_slave_mode"' },
      { file: FILE, line: 3, key: 'backend_hostname', message: 'unrecognized configuration parameter "backend_hostname"' },
    ]);
  });

  test('slot numbers above 127 are errors', () => {
    expect(errorOf(() => load('backend_port128 = 5432\n')).message).toBe(`${FILE}:1: backend_port128: slot number 128 is out of range, expected a slot number in 0..127`);
  });

  test('backend_flag: ALLOW and DISALLOW together is an error; flags are case-sensitive', () => {
    expect(errorOf(() => load("backend_flag0 = 'ALLOW_TO_FAILOVER|DISALLOW_TO_FAILOVER'\n")).message)
      .toBe(`${FILE}:1: backend_flag0: invalid value 'ALLOW_TO_FAILOVER|DISALLOW_TO_FAILOVER' (ALLOW_TO_FAILOVER and DISALLOW_TO_FAILOVER cannot be set together), expected ALLOW_TO_FAILOVER or DISALLOW_TO_FAILOVER, optionally with |ALWAYS_PRIMARY`);
    expect(() => load("backend_flag0 = 'allow_to_failover'\n")).toThrow(/unknown backend flag 'allow_to_failover'/);
    expect(() => load("backend_flag0 = 'DISALLOW_TO_FAILOVER|ALWAYS_PRIMARY'\n")).not.toThrow();
  });

  test('recovery commands need a data directory on every used backend', () => {
    const base = "backend_hostname0 = 'a'\nbackend_port0 = 5432\nbackend_data_directory0 = '/d0'\nbackend_hostname1 = 'b'\nbackend_port1 = 5432\n";
    expect(errorOf(() => load(`${base}recovery_1st_stage_command = 'recovery_1st_stage'\n`)).message)
      .toBe(`${FILE}:6: recovery_1st_stage_command: backend_data_directory1 is not set, expected backend_data_directoryN for every backend when recovery_1st_stage_command or recovery_2nd_stage_command is set`);
    expect(() => load(`${base}backend_data_directory1 = '/d1'\nrecovery_2nd_stage_command = 'x'\n`)).not.toThrow();
    // unused slots (no port) do not count, and no backend at all is fine at parse time
    expect(() => load("recovery_1st_stage_command = 'x'\nbackend_hostname5 = 'c'\n")).not.toThrow();
  });

  test('log_destination takes stderr, syslog or both', () => {
    expect(load("log_destination = 'stderr,syslog'\n").values.log_destination).toBe('stderr,syslog');
    expect(() => load("log_destination = 'file'\n")).toThrow(/log_destination: invalid value 'file', expected 'stderr', 'syslog' or 'stderr,syslog'/);
  });

  test('a missing file', () => {
    expect(() => loadConfig('/nonexistent/pgpool.conf')).toThrow('/nonexistent/pgpool.conf: cannot read configuration file (ENOENT)');
  });
});

describe('old and new names', () => {
  test('socket_dir (4.3) and unix_socket_directories (4.4+): the later line wins', () => {
    expect(load("socket_dir = '/var/run/pgpool'\n").values).toMatchObject({ socket_dir: '/var/run/pgpool', unix_socket_directories: ['/var/run/pgpool'] });
    expect(load("unix_socket_directories = '/a, /b'\n").values).toMatchObject({ socket_dir: '/a', unix_socket_directories: ['/a', '/b'] });
    expect(load("unix_socket_directories = '/a'\nsocket_dir = '/c'\n").values.unix_socket_directories).toEqual(['/c']);
    expect(load("socket_dir = '/c'\nunix_socket_directories = '/a,/b'\n").values.unix_socket_directories).toEqual(['/a', '/b']);
  });

  test('pcp_socket_dir becomes pcp_socket_dirs', () => {
    expect(load("pcp_socket_dir = '/run/a,/run/b'\n").values.pcp_socket_dirs).toEqual(['/run/a', '/run/b']);
  });

  test('fail_over_on_backend_error is accepted but, as in pgpool 4.3, has no effect', () => {
    const r = load('fail_over_on_backend_error = off\n');
    expect(r.values.failover_on_backend_error).toBe(true);
    expect(r.values.fail_over_on_backend_error).toBe(false);
    expect(r.warnings).toHaveLength(1);
    expect(r.warnings[0]!.message).toMatch(/old name of failover_on_backend_error and has no effect/);
  });

  test('delegate_ip and work_dir are aliases', () => {
    const r = load("delegate_ip = '10.0.0.9'\nwork_dir = '/var/lib/pgpool'\n");
    expect(r.values.delegate_IP).toBe('10.0.0.9');
    expect(r.values.logdir).toBe('/var/lib/pgpool');
    expect(r.explicit.has('delegate_IP')).toBe(true);
    expect(r.warnings).toEqual([]);
  });
});

describe('paths', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pgrelay-config-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('relative file settings resolve against the conf file directory', () => {
    fs.writeFileSync(path.join(dir, 'pgpool.conf'), "ssl_key = 'certs/server.key'\nssl_cert = '/abs/server.crt'\npid_file_name = 'run/pgpool.pid'\n");
    const r = loadConfig(path.join(dir, 'pgpool.conf'));
    expect(r.file).toBe(path.join(dir, 'pgpool.conf'));
    expect(r.dir).toBe(dir);
    expect(r.values.ssl_key).toBe(path.join(dir, 'certs/server.key'));
    expect(r.values.ssl_cert).toBe('/abs/server.crt');
    expect(r.values.pid_file_name).toBe(path.join(dir, 'run/pgpool.pid'));
    expect(r.values.pool_passwd).toBe(path.join(dir, 'pool_passwd'));
    expect(r.values.ssl_ca_cert).toBe('');
  });

  test("pool_passwd = '' stays empty (disabled)", () => {
    expect(load("pool_passwd = ''\n").values.pool_passwd).toBe('');
  });
});

describe('pgrelay settings', () => {
  test('accept their own values', () => {
    const v = load("num_workers = 4\nworker_scheduling = rr\nmax_message_size = 64MB\nsession_state_max_size = 2MB\ntransaction_replay = on\ntransaction_replay_max_size = 512kB\nlog_format = json\n").values;
    expect(v).toMatchObject({
      num_workers: 4, worker_scheduling: 'rr', max_message_size: 67108864, session_state_max_size: 2097152,
      transaction_replay: true, transaction_replay_max_size: 524288, log_format: 'json',
    });
    expect(() => load('worker_scheduling = fair\n')).toThrow(/expected one of none, rr/);
    expect(findParam('num_workers')).toMatchObject({ apply: 'restart' });
    expect(findParam('session_state_max_size')).toMatchObject({ apply: 'reload', unit: 'bytes' });
  });
});
