import { normalisedWeights, parseConfigText } from '../src';

const load = (text: string) => parseConfigText(text, '/etc/pgpool2/pgpool.conf');

describe('backend slots', () => {
  const conf = `
backend_hostname0 = 'primary.example'
backend_port0 = 5432
backend_weight0 = 1
backend_data_directory0 = '/var/lib/postgresql/15/main'

# slot 1 has no port: unused
backend_hostname1 = 'ghost'

backend_hostname3 = ''
backend_port3 = 5433
backend_weight3 = 3
backend_flag3 = 'DISALLOW_TO_FAILOVER|ALWAYS_PRIMARY'
backend_application_name3 = 'node3'

backend_port2 = 5434
backend_hostname2 = '/var/run/postgresql'

health_check_period = 10
health_check_user = 'hc'
health_check_password = 'secret'
health_check_max_retries = 2
connect_timeout = 5000
health_check_period3 = 1
health_check_user3 = 'hc3'
connect_timeout3 = 1s
health_check_retry_delay2 = 7
`;
  const v = load(conf).values;

  test('only used slots, sorted by id, id kept', () => {
    expect(v.backends.map((b) => b.id)).toEqual([0, 2, 3]);
  });

  test('fields and defaults', () => {
    expect(v.backends[0]).toEqual({
      id: 0, hostname: 'primary.example', port: 5432, weight: 1, data_directory: '/var/lib/postgresql/15/main',
      flag: 'ALLOW_TO_FAILOVER', allowToFailover: true, alwaysPrimary: false, application_name: '',
      healthCheck: { period: 10, timeout: 20, user: 'hc', password: 'secret', database: 'postgres', max_retries: 2, retry_delay: 1, connect_timeout: 5000 },
    });
    expect(v.backends[1]).toMatchObject({ id: 2, hostname: '/var/run/postgresql', port: 5434, weight: 0, flag: 'ALLOW_TO_FAILOVER' });
    expect(v.backends[2]).toMatchObject({
      id: 3, hostname: '', port: 5433, weight: 3, flag: 'DISALLOW_TO_FAILOVER|ALWAYS_PRIMARY',
      allowToFailover: false, alwaysPrimary: true, application_name: 'node3',
    });
  });

  test('per-node health check settings override the plain ones', () => {
    expect(v.backends[2]!.healthCheck).toEqual({
      period: 1, timeout: 20, user: 'hc3', password: 'secret', database: 'postgres', max_retries: 2, retry_delay: 1, connect_timeout: 1000,
    });
    expect(v.backends[1]!.healthCheck.retry_delay).toBe(7);
    expect(v.backends[1]!.healthCheck.period).toBe(10);
  });

  test('normalised weights are weight / sum', () => {
    expect(normalisedWeights(v.backends)).toEqual([0.25, 0, 0.75]);
    expect(normalisedWeights([{ weight: 1 }, { weight: 1 }, { weight: 1 }]).map((w) => w.toFixed(6))).toEqual(['0.333333', '0.333333', '0.333333']);
    expect(normalisedWeights([{ weight: 0 }, { weight: 0 }])).toEqual([0, 0]);
    expect(normalisedWeights([])).toEqual([]);
  });

  test('the numbered keys are recorded in explicit', () => {
    const r = load(conf);
    expect(r.explicit.get('backend_port3')).toEqual({ file: '/etc/pgpool2/pgpool.conf', line: 11, raw: '5433' });
    expect(r.explicit.get('connect_timeout3')?.raw).toBe('1s');
  });
});

describe('watchdog slots', () => {
  test('nodes and heartbeat destinations with a host name are folded', () => {
    const v = load(`
hostname0 = 'pg1'
wd_port0 = 9000
pgpool_port0 = 9999
hostname1 = 'pg2'
wd_port1 = 9001
hostname2 = ''
heartbeat_hostname0 = 'pg1'
heartbeat_port0 = 9694
heartbeat_device0 = 'eth1'
heartbeat_hostname1 = ''
`).values;
    expect(v.watchdog_nodes).toEqual([
      { id: 0, hostname: 'pg1', wd_port: 9000, pgpool_port: 9999 },
      { id: 1, hostname: 'pg2', wd_port: 9001, pgpool_port: 9999 },
    ]);
    expect(v.heartbeat_destinations).toEqual([{ id: 0, hostname: 'pg1', port: 9694, device: 'eth1' }]);
  });
});
