'use strict';
// The peers: Debian's pgpool-II and PgBouncer, started on free ports in front of the testkit
// cluster, each in a temp dir of its own. Both run as `postgres` when we are root (PgBouncer
// refuses root; pgpool-II does not, but runs unprivileged in production, so it does here too).

const { spawn, spawnSync, execFileSync } = require('node:child_process');
const { createHash } = require('node:crypto');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');
const { freePort } = require('../../../packages/testkit/dist');

const PGPOOL = process.env.PGPOOL_BIN || '/usr/sbin/pgpool';
const PGBOUNCER = process.env.PGBOUNCER_BIN || '/usr/sbin/pgbouncer';

function serverUser() {
  if (process.getuid() !== 0) return null;
  const f = execFileSync('getent', ['passwd', 'postgres'], { encoding: 'utf8' }).trim().split(':');
  return { uid: Number(f[2]), gid: Number(f[3]) };
}

/** Short paths: a Unix socket path must fit in 107 bytes. */
function tempDir(prefix) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `pgrb-${prefix}-`));
  fs.chmodSync(dir, 0o755);
  return dir;
}

function chownTree(dir) {
  const u = serverUser();
  if (!u) return;
  fs.chownSync(dir, u.uid, u.gid);
  for (const f of fs.readdirSync(dir)) fs.chownSync(path.join(dir, f), u.uid, u.gid);
}

function waitPort(port, timeoutMs, died) {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const attempt = () => {
      if (died()) return reject(new Error('exited before listening'));
      const s = net.connect({ host: '127.0.0.1', port });
      s.once('connect', () => {
        s.destroy();
        resolve();
      });
      s.once('error', () => {
        s.destroy();
        if (Date.now() > deadline) reject(new Error(`port ${port} not listening after ${timeoutMs} ms`));
        else setTimeout(attempt, 100);
      });
    };
    attempt();
  });
}

/** Spawns `argv` as the server user in its own process group; the handle stops the group. */
function spawnServer(name, dir, argv, logFile) {
  const u = serverUser();
  const out = fs.openSync(logFile, 'a');
  const child = spawn(argv[0], argv.slice(1), {
    cwd: dir,
    detached: true,
    stdio: ['ignore', out, out],
    env: { PATH: process.env.PATH, LANG: 'C', HOME: dir },
    ...(u ? { uid: u.uid, gid: u.gid } : {}),
  });
  fs.closeSync(out);
  let exited = false;
  const exitedP = new Promise((resolve) => child.on('exit', (code) => resolve(((exited = true), code))));
  const handle = {
    name,
    dir,
    pid: child.pid,
    exited: () => exited,
    log: () => {
      try {
        return fs.readFileSync(logFile, 'utf8');
      } catch {
        return '';
      }
    },
    async stop() {
      if (exited) return;
      try {
        process.kill(-child.pid, 'SIGTERM');
      } catch {
        /* gone */
      }
      const t = setTimeout(() => {
        try {
          process.kill(-child.pid, 'SIGKILL');
        } catch {
          /* gone */
        }
      }, 5000);
      await exitedP;
      clearTimeout(t);
      fs.rmSync(dir, { recursive: true, force: true });
    },
    killNow() {
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    },
  };
  live.add(handle);
  exitedP.then(() => live.delete(handle));
  return handle;
}

/** Handles still running, SIGKILLed if the bench dies without stopping them. */
const live = new Set();
process.on('exit', () => {
  for (const h of live) h.killNow();
});

/**
 * pgpool-II in streaming-replication mode over every node, load balancing on with equal
 * weights (as pgrelay is run), its defaults otherwise; num_init_children ≥ clients + 2.
 * `extraConf`: more pgpool.conf lines, values already quoted as pgpool wants them.
 */
async function startPgpool(cluster, { numInitChildren, extraConf = {} }) {
  const dir = tempDir('pgpool');
  const port = await freePort();
  const pcpPort = await freePort();
  const conf = {
    backend_clustering_mode: `'streaming_replication'`,
    listen_addresses: `'127.0.0.1'`,
    port,
    unix_socket_directories: `'${dir}'`,
    pcp_listen_addresses: `'127.0.0.1'`,
    pcp_port: pcpPort,
    pcp_socket_dir: `'${dir}'`,
    wd_ipc_socket_dir: `'${dir}'`,
    pid_file_name: `'${dir}/pgpool.pid'`,
    logdir: `'${dir}'`,
    num_init_children: numInitChildren,
    load_balance_mode: 'on',
    sr_check_user: `'postgres'`,
    health_check_user: `'postgres'`,
    enable_pool_hba: 'off',
    log_destination: `'stderr'`,
    // settings a caller adds (failover-contrast.js: health check and failover_command)
    ...extraConf,
  };
  let text = '# written by scripts/bench\n';
  for (const [k, v] of Object.entries(conf)) text += `${k} = ${v}\n`;
  for (const n of cluster.nodes) {
    text += `backend_hostname${n.id} = '${n.host}'\nbackend_port${n.id} = ${n.port}\nbackend_weight${n.id} = 1\n`;
    text += `backend_flag${n.id} = 'ALLOW_TO_FAILOVER'\nbackend_data_directory${n.id} = '${n.dataDir}'\n`;
  }
  fs.writeFileSync(path.join(dir, 'pgpool.conf'), text);
  fs.writeFileSync(path.join(dir, 'pcp.conf'), `pcp_user:${createHash('md5').update('pcp_pass').digest('hex')}\n`);
  fs.writeFileSync(path.join(dir, 'pool_hba.conf'), 'host all all 127.0.0.1/32 trust\nlocal all all trust\n');
  chownTree(dir);
  const h = spawnServer('pgpool', dir, [PGPOOL, '-n', '-f', `${dir}/pgpool.conf`, '-F', `${dir}/pcp.conf`, '-a', `${dir}/pool_hba.conf`], `${dir}/pgpool.log`);
  h.port = port;
  try {
    await waitPort(port, 30_000, h.exited);
    await waitLog(h, /successfully started/, 30_000);
  } catch (e) {
    await h.stop();
    throw new Error(`pgpool-II did not start: ${e.message}\n${h.log().slice(-3000)}`);
  }
  h.version = versionOf(PGPOOL);
  return h;
}

/** First line of `bin --version` (pgpool prints it on stderr). */
function versionOf(bin) {
  const r = spawnSync(bin, ['--version'], { encoding: 'utf8' });
  return `${r.stdout ?? ''}${r.stderr ?? ''}`.trim().split('\n')[0];
}

async function waitLog(h, re, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  while (!re.test(h.log())) {
    if (h.exited()) throw new Error('exited');
    if (Date.now() > deadline) throw new Error(`no log line ${re}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * PgBouncer in front of the primary (it has no role-aware load balancing: a host list is
 * round-robin over every node, and tpcb-like writes would hit standbys). Pool size ≥ the
 * largest client count, so session mode never makes a client wait for a server.
 */
async function startPgbouncer(cluster, { mode, poolSize, maxClientConn }) {
  const dir = tempDir(`pgb-${mode}`);
  const port = await freePort();
  const primary = cluster.primary();
  const ini = `; written by scripts/bench
[databases]
test = host=127.0.0.1 port=${primary.port} dbname=test
postgres = host=127.0.0.1 port=${primary.port} dbname=postgres

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = ${port}
unix_socket_dir = ${dir}
auth_type = trust
auth_file = ${dir}/userlist.txt
pool_mode = ${mode}
max_client_conn = ${maxClientConn}
default_pool_size = ${poolSize}
pidfile = ${dir}/pgbouncer.pid
logfile = ${dir}/pgbouncer.log
admin_users = postgres
ignore_startup_parameters = extra_float_digits
`;
  fs.writeFileSync(path.join(dir, 'pgbouncer.ini'), ini);
  fs.writeFileSync(path.join(dir, 'userlist.txt'), '"postgres" ""\n');
  fs.writeFileSync(path.join(dir, 'pgbouncer.log'), '');
  chownTree(dir);
  const h = spawnServer(`pgbouncer-${mode}`, dir, [PGBOUNCER, `${dir}/pgbouncer.ini`], `${dir}/stderr.log`);
  h.port = port;
  const log = h.log;
  h.log = () => log() + fs.readFileSync(`${dir}/pgbouncer.log`, 'utf8');
  try {
    await waitPort(port, 15_000, h.exited);
  } catch (e) {
    await h.stop();
    throw new Error(`PgBouncer (${mode}) did not start: ${e.message}\n${h.log().slice(-3000)}`);
  }
  h.version = versionOf(PGBOUNCER);
  return h;
}

module.exports = { startPgpool, startPgbouncer, tempDir };
