import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadConfig, parseConfigText } from '../src';

const FIXTURE = path.join(__dirname, 'fixtures', 'pgpool.conf.stream');

describe('a full streaming-replication pgpool.conf', () => {
  const r = loadConfig(FIXTURE);

  test('loads without warnings', () => {
    expect(r.warnings).toEqual([]);
    expect(r.explicit.size).toBeGreaterThan(190);
  });

  test('values', () => {
    const v = r.values;
    expect(v.listen_addresses).toEqual(['*']);
    expect(v.unix_socket_directories).toEqual(['/var/run/postgresql']);
    expect(v.backends.map((b) => [b.id, b.hostname, b.weight, b.allowToFailover])).toEqual([
      [0, 'server1', 1, true], [1, 'server2', 1, true], [2, 'server3', 2, false],
    ]);
    expect(v.backends[0]!.healthCheck).toMatchObject({ period: 10, user: 'monitor', max_retries: 5, connect_timeout: 3000 });
    expect(v.backends[1]!.healthCheck).toMatchObject({ period: 5, timeout: 30, user: 'pgpool', database: '', max_retries: 3 });
    expect(v.watchdog_nodes.map((n) => n.hostname)).toEqual(['server1', 'server2', 'server3']);
    expect(v.heartbeat_destinations).toHaveLength(3);
    expect(v.write_function_list).toEqual(['nextval', 'setval', 'lo_.*']);
    expect(v.primary_routing_query_pattern_list).toEqual(['.*pg_advisory_lock.*', '.*FOR UPDATE.*']);
    expect(v.log_rotation_age).toBe(1440);
    expect(v.authentication_timeout).toBe(60);
    expect(v.ssl_key).toBe(path.join(path.dirname(FIXTURE), 'server.key'));
    expect(v.delegate_IP).toBe('192.168.100.50');
  });

  test('the Debian package pgpool.conf, every commented setting enabled, loads without warnings', () => {
    const debian = '/etc/pgpool2/pgpool.conf';
    if (!fs.existsSync(debian)) return; // only where the pgpool2 package is installed
    const text = fs.readFileSync(debian, 'utf8').replace(/^#([A-Za-z_]+[0-9]* *=)/gm, '$1');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pgrelay-config-'));
    try {
      const loaded = parseConfigText(text, path.join(dir, 'pgpool.conf'));
      expect(loaded.warnings).toEqual([]);
      expect(loaded.explicit.size).toBeGreaterThan(150);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
