import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { type Cluster, startCluster, startPgrelay } from '@pgrelay/testkit';
import { processesIn } from './procs';

// The real supervisor is another package's job; this stub stands in for it: it echoes its
// argv, prints the ready line the way pino would, and reports the signal that stops it.
const STUB = `
const mode = process.env.STUB_MODE || 'ok';
console.log(JSON.stringify({ argv: process.argv.slice(2), cwd: process.cwd() }));
if (mode === 'fail') { console.error('FATAL: syntax error in configuration file'); process.exit(3); }
if (mode === 'silent') { setInterval(() => {}, 1000); return; }
if (mode === 'addrinuse' && !require('fs').existsSync(process.cwd() + '/tried')) {
  require('fs').writeFileSync(process.cwd() + '/tried', '');
  console.error('Error: listen EADDRINUSE: address already in use 127.0.0.1:9999');
  process.exit(1);
}
for (const sig of ['SIGTERM', 'SIGINT', 'SIGQUIT']) process.on(sig, () => { console.log('got ' + sig); process.exit(0); });
setTimeout(() => process.stdout.write(JSON.stringify({ level: 30, msg: 'pgrelay ready to accept connections' }) + '\\n'), 50);
setInterval(() => {}, 1000);
`;

let cluster: Cluster;
let bin: string;

beforeAll(async () => {
  bin = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'pgrelay-stub-')), 'pgrelay-stub.js');
  fs.writeFileSync(bin, `(function () {${STUB}})();`);
  cluster = await startCluster({ name: 'relay', standbys: 1 });
});

afterAll(async () => {
  await cluster?.stop();
  if (bin) fs.rmSync(path.dirname(bin), { recursive: true, force: true });
});

test('writes pgpool.conf with defaults, backends, then the test settings', async () => {
  const relay = await startPgrelay({
    cluster,
    bin,
    conf: { num_init_children: 4, load_balance_mode: true, listen_addresses: '*', sr_check_user: "o'brien" },
    rawConf: 'this is = = not valid',
    hba: 'host all all 127.0.0.1/32 trust\n',
    keyFile: 'secret-passphrase\n',
  });
  const conf = fs.readFileSync(relay.confPath, 'utf8');
  const [n0, n1] = cluster.nodes;
  for (const line of [
    `port = ${relay.port}`,
    `pcp_port = ${relay.pcpPort}`,
    `unix_socket_directories = '${relay.dir}'`,
    `pid_file_name = '${relay.dir}/pgrelay.pid'`,
    "backend_clustering_mode = 'streaming_replication'",
    'num_workers = 1',
    'health_check_period = 0',
    'enable_pool_hba = on',
    "pool_passwd = 'pool_passwd'",
    `backend_port0 = ${n0.port}`,
    `backend_port1 = ${n1.port}`,
    `backend_data_directory1 = '${n1.dataDir}'`,
    "backend_flag1 = 'ALLOW_TO_FAILOVER'",
    "backend_application_name1 = 'node1'",
    'num_init_children = 4',
    'load_balance_mode = on',
    "sr_check_user = 'o''brien'",
  ]) {
    expect(conf).toContain(`\n${line}\n`);
  }
  // Test settings come after the defaults (last one wins), raw text last of all.
  expect(conf.lastIndexOf("listen_addresses = '*'")).toBeGreaterThan(conf.indexOf("listen_addresses = '127.0.0.1'"));
  expect(conf.trimEnd().endsWith('this is = = not valid')).toBe(true);
  expect(fs.readFileSync(path.join(relay.dir, 'pool_hba.conf'), 'utf8')).toBe('host all all 127.0.0.1/32 trust\n');
  expect(fs.readFileSync(path.join(relay.dir, 'pcp.conf'), 'utf8')).toMatch(/^pcp_user:[0-9a-f]{32}\n$/);
  expect(fs.readFileSync(path.join(relay.dir, 'pool_passwd'), 'utf8')).toContain('md5_user:TEXTmd5_pass');

  const first = JSON.parse(relay.log().split('\n')[0]);
  expect(first.cwd).toBe(relay.dir);
  expect(first.argv).toEqual([
    ...['-n', '-f', relay.confPath, '-F', path.join(relay.dir, 'pcp.conf')],
    ...['-a', path.join(relay.dir, 'pool_hba.conf'), '-k', path.join(relay.dir, '.pgpoolkey')],
  ]);
  expect(relay.connectionString('md5_user', 'test', 'p@ss')).toBe(`postgresql://md5_user:p%40ss@127.0.0.1:${relay.port}/test`);
  await relay.stop();
  expect(await relay.exited).toBe(0);
});

test.each([
  ['smart', 'SIGTERM'],
  ['fast', 'SIGINT'],
  ['immediate', 'SIGQUIT'],
] as const)('stop(%s) sends %s and waits for the exit', async (mode, sig) => {
  const relay = await startPgrelay({ bin, args: ['-d'] });
  expect(relay.log()).toContain('"-d"');
  expect(fs.readFileSync(relay.confPath, 'utf8')).toContain('enable_pool_hba = off');
  await relay.stop(mode);
  expect(relay.log()).toContain(`got ${sig}`);
  expect(processesIn(relay.dir)).toEqual([]);
  await relay.stop(); // already stopped: no-op
});

test('waitForLog resolves with the matching line, or times out', async () => {
  const relay = await startPgrelay({ bin, cluster });
  const line = await relay.waitForLog(/ready to accept/);
  expect(JSON.parse(line).msg).toBe('pgrelay ready to accept connections');
  await expect(relay.waitForLog(/never printed/, 100)).rejects.toThrow(/within 100 ms/);
  relay.signal('SIGTERM');
  expect(await relay.exited).toBe(0);
  expect(relay.log()).toContain('got SIGTERM');
});

test('an exit before ready rejects with the captured output', async () => {
  const err = await startPgrelay({ bin, env: { STUB_MODE: 'fail' } }).catch((e) => e);
  expect(err.message).toMatch(/syntax error in configuration file/);
  expect(err.exitCode).toBe(3);
  expect(err.log).toContain('FATAL');
});

test('waitReady: false returns at once; exited reports the code', async () => {
  const relay = await startPgrelay({ bin, env: { STUB_MODE: 'fail' }, waitReady: false });
  expect(relay.pid).toBeGreaterThan(0);
  expect(await relay.exited).toBe(3);
  expect(relay.log()).toContain('syntax error');
});

test('never ready: rejects after readyTimeoutMs and kills the process', async () => {
  const err = await startPgrelay({ bin, env: { STUB_MODE: 'silent' }, readyTimeoutMs: 300 }).catch((e) => e);
  expect(err.message).toMatch(/did not become ready/);
});

test('"address already in use" is retried on fresh ports', async () => {
  const relay = await startPgrelay({ bin, env: { STUB_MODE: 'addrinuse' } });
  expect(fs.existsSync(path.join(relay.dir, 'tried'))).toBe(true);
  await relay.stop();
});

test('a missing binary is reported clearly', async () => {
  await expect(startPgrelay({ bin: '/nonexistent/pgrelay.js' })).rejects.toThrow(/pnpm build/);
});

test('cluster.stop() also stops the pgrelays started on it', async () => {
  const c = await startCluster({ name: 'relay2' });
  const relay = await startPgrelay({ bin, cluster: c });
  await c.stop();
  expect(await relay.exited).toBe(0);
  expect(relay.log()).toContain('got SIGQUIT');
  expect(fs.existsSync(relay.dir)).toBe(false);
});
