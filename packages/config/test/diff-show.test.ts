import { diffConfig, findParam, formatParamValue, parseConfigText, type ParamSpec } from '../src';

const load = (text: string) => parseConfigText(text, '/etc/pgpool2/pgpool.conf');

const BASE = `
port = 9999
num_init_children = 32
backend_hostname0 = 'a'
backend_port0 = 5432
backend_weight0 = 1
backend_hostname1 = 'b'
backend_port1 = 5432
backend_weight1 = 1
sr_check_password = 'old'
`;

describe('diffConfig', () => {
  test('no changes', () => {
    expect(diffConfig(load(BASE), load(BASE))).toEqual([]);
  });

  test('marks restart vs reload vs session', () => {
    const after = load(`${BASE}
port = 9998
log_min_messages = debug1
health_check_period = 5
load_balance_mode = off
`);
    expect(diffConfig(load(BASE), after)).toEqual([
      { key: 'port', before: 9999, after: 9998, apply: 'restart' },
      { key: 'health_check_period', before: 0, after: 5, apply: 'reload' },
      { key: 'load_balance_mode', before: true, after: false, apply: 'restart' },
      { key: 'log_min_messages', before: 'warning', after: 'debug1', apply: 'session' },
    ]);
  });

  test('backend slots: weight reloads, address of a used slot needs restart, new slot reloads', () => {
    const after = load(`${BASE}
backend_weight0 = 3
backend_hostname1 = 'b2'
backend_hostname2 = 'c'
backend_port2 = 5433
health_check_period2 = 9
`);
    const changes = diffConfig(load(BASE), after);
    expect(changes).toEqual(expect.arrayContaining([
      { key: 'backend_weight0', before: 1, after: 3, apply: 'reload' },
      { key: 'backend_hostname1', before: 'b', after: 'b2', apply: 'restart' },
      { key: 'backend_hostname2', before: undefined, after: 'c', apply: 'reload' },
      { key: 'backend_port2', before: undefined, after: 5433, apply: 'reload' },
      { key: 'health_check_period2', before: undefined, after: 9, apply: 'reload' },
    ]));
    expect(changes.find((c) => c.key === 'backend_flag2')).toMatchObject({ after: 'ALLOW_TO_FAILOVER', apply: 'reload' });
  });

  test('removing a slot needs a restart', () => {
    const after = load(BASE.replace("backend_port1 = 5432\n", ''));
    expect(diffConfig(load(BASE), after)).toEqual(expect.arrayContaining([
      { key: 'backend_port1', before: 5432, after: undefined, apply: 'restart' },
    ]));
  });

  test('sensitive values are masked', () => {
    expect(diffConfig(load(BASE), load(`${BASE}sr_check_password = 'new'\n`))).toEqual([
      { key: 'sr_check_password', before: '*****', after: '*****', apply: 'reload' },
    ]);
  });
});

describe('formatParamValue (PGPOOL SHOW)', () => {
  const show = (name: string, value: unknown) => formatParamValue(findParam(name) as ParamSpec, value);
  test('booleans, enums, units, lists, secrets', () => {
    const v = load('').values;
    expect(show('load_balance_mode', v.load_balance_mode)).toBe('on');
    expect(show('ssl', v.ssl)).toBe('off');
    expect(show('backend_clustering_mode', v.backend_clustering_mode)).toBe('streaming_replication');
    expect(show('syslog_facility', v.syslog_facility)).toBe('LOCAL0');
    expect(show('child_life_time', v.child_life_time)).toBe('5min');
    expect(show('authentication_timeout', v.authentication_timeout)).toBe('1min');
    expect(show('recovery_timeout', v.recovery_timeout)).toBe('90s');
    expect(show('sr_check_period', v.sr_check_period)).toBe('10s');
    expect(show('log_rotation_age', v.log_rotation_age)).toBe('1d');
    expect(show('log_rotation_size', v.log_rotation_size)).toBe('10MB');
    expect(show('memqcache_total_size', v.memqcache_total_size)).toBe('64MB');
    expect(show('memqcache_maxcache', v.memqcache_maxcache)).toBe('400kB');
    expect(show('memqcache_cache_block_size', v.memqcache_cache_block_size)).toBe('1MB');
    expect(show('connection_life_time', v.connection_life_time)).toBe('0');
    expect(show('client_idle_limit_in_recovery', -1)).toBe('-1');
    expect(show('health_check_timeout', v.health_check_timeout)).toBe('20');
    expect(show('connect_timeout', v.connect_timeout)).toBe('10000');
    expect(show('log_file_mode', v.log_file_mode)).toBe('384');
    expect(show('reset_query_list', v.reset_query_list)).toBe('ABORT;DISCARD ALL');
    expect(show('listen_addresses', v.listen_addresses)).toBe('localhost');
    expect(show('sr_check_password', 'x')).toBe('*****');
    expect(show('pool_passwd', v.pool_passwd)).toBe('*****');
    expect(show('port', v.port)).toBe('9999');
  });
});
