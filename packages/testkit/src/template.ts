import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Client } from 'pg';
import { registry } from './cleanup';
import { ROOT, chownToServer, ensureRoot, mkdirOwned } from './dirs';
import { pgVersion, runPg, runPgOrThrow } from './pgenv';
import { isAlive, sleep, startTime } from './procs';

export const USERS = {
  superuser: 'postgres' as const,
  trust: { user: 'trust_user' },
  md5: { user: 'md5_user', password: 'md5_pass' },
  scram: { user: 'scram_user', password: 'scram_pass' },
};

/** Speed over durability: these servers live for one test file. */
const TEMPLATE_CONF = `
# --- pgrelay testkit ---
listen_addresses = '127.0.0.1'
max_connections = 200
shared_buffers = 16MB
wal_level = replica
max_wal_senders = 10
max_replication_slots = 10
wal_keep_size = 128MB
hot_standby = on
wal_log_hints = on
archive_mode = on
fsync = off
synchronous_commit = off
full_page_writes = off
wal_writer_delay = 10ms
wal_retrieve_retry_interval = 1s
wal_receiver_status_interval = 1s
log_min_messages = warning
logging_collector = off
log_line_prefix = '%m [%p] '
log_timezone = 'UTC'
timezone = 'UTC'
# per node: port, socket dir, cluster_name, archive_command, the test's pgConf
include_if_exists = 'testkit.conf'
`;

const HBA = `local all all trust
host all trust_user,postgres 127.0.0.1/32 trust
host all md5_user 127.0.0.1/32 md5
host all scram_user 127.0.0.1/32 scram-sha-256
host replication all 127.0.0.1/32 trust
host all all 127.0.0.1/32 scram-sha-256
`;

const RECOVERY_EXT = '/usr/share/postgresql/15/extension/pgpool_recovery.control';

/** Statements per database, each group in one session (so SET password_encryption sticks). */
function setupSql(withRecoveryExt: boolean): Array<{ database: string; sql: string[] }> {
  const { trust, md5, scram } = USERS;
  return [
    // In template1 first, so `test` inherits it; absent until pgpool2's extension is installed.
    ...(withRecoveryExt ? [{ database: 'template1', sql: ['CREATE EXTENSION IF NOT EXISTS pgpool_recovery'] }] : []),
    {
      database: 'postgres',
      sql: [
        `CREATE ROLE ${trust.user} LOGIN`,
        "SET password_encryption = 'md5'",
        `CREATE ROLE ${md5.user} LOGIN CREATEDB PASSWORD '${md5.password}'`,
        "SET password_encryption = 'scram-sha-256'",
        `CREATE ROLE ${scram.user} LOGIN CREATEDB PASSWORD '${scram.password}'`,
        'CREATE DATABASE test OWNER postgres',
        // PG15 took CREATE on public away from PUBLIC; pgbench as md5_user/scram_user needs it.
        'GRANT ALL ON SCHEMA public TO PUBLIC',
      ],
    },
    { database: 'test', sql: ['GRANT ALL ON SCHEMA public TO PUBLIC'] },
  ];
}

// 1 MB WAL segments: every node starts as a copy of the template, and a fresh 16 MB segment
// of mostly zeros was a third of the bytes copied. Also makes pg_switch_wal/archiving cheap.
const INITDB_ARGS = [
  ...['-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--locale=C'],
  ...['--wal-segsize=1', '--no-sync', '--no-instructions'],
];

/**
 * The extension's control file, or '' when pgpool2's package is absent: part of the template's
 * key, so a template built before the package was installed (or for another version of it,
 * whose SQL objects would not match the new library) is not reused.
 */
function recoveryExtStamp(): string {
  try {
    return fs.readFileSync(RECOVERY_EXT, 'utf8');
  } catch {
    return '';
  }
}

function templateDir(): string {
  const recoveryExt = recoveryExtStamp();
  const hash = createHash('sha256')
    .update(JSON.stringify({ v: 1, TEMPLATE_CONF, HBA, sql: setupSql(recoveryExt !== ''), INITDB_ARGS, recoveryExt }))
    .digest('hex')
    .slice(0, 12);
  return path.join(ROOT, `template-${pgVersion()}-${hash}`);
}

/**
 * The data directory every node starts from. Built once per machine: the finished build is
 * renamed into place (atomic), and a mkdir lock keeps two jest workers from both building.
 */
export function ensureTemplate(): Promise<string> {
  const dir = templateDir();
  const memo = registry().templates;
  let p = memo.get(dir);
  if (!p) {
    p = obtain(dir);
    memo.set(dir, p);
    p.catch(() => memo.delete(dir));
  }
  return p;
}

async function obtain(dir: string): Promise<string> {
  const data = path.join(dir, 'data');
  const lock = `${dir}.lock`;
  const deadline = Date.now() + 180_000;
  ensureRoot();
  for (;;) {
    if (fs.existsSync(dir)) return data;
    if (tryLock(lock)) {
      try {
        if (!fs.existsSync(dir)) await build(dir);
        return data;
      } finally {
        fs.rmSync(lock, { recursive: true, force: true });
      }
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for template build (lock ${lock})`);
    await sleep(100);
  }
}

function tryLock(lock: string): boolean {
  try {
    fs.mkdirSync(lock);
    fs.writeFileSync(path.join(lock, 'owner'), `${process.pid} ${startTime(process.pid)}`);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  // A builder that died leaves its lock behind; take it over once its owner is gone.
  let owner = '';
  try {
    owner = fs.readFileSync(path.join(lock, 'owner'), 'utf8');
  } catch {
    // mkdir done, owner not yet written: only stale if it stays like that.
    const age = Date.now() - (fs.statSync(lock, { throwIfNoEntry: false })?.mtimeMs ?? 0);
    if (age < 10_000) return false;
  }
  const [pid, start] = owner.split(' ');
  if (owner && isAlive(Number(pid)) && startTime(Number(pid)) === start) return false;
  fs.rmSync(lock, { recursive: true, force: true });
  return false; // the next loop turn competes for the lock again
}

async function build(dir: string): Promise<void> {
  // Holding the lock, any other build dir of this template is a dead builder's leftover.
  for (const f of fs.readdirSync(path.dirname(dir))) {
    if (f.startsWith(`${path.basename(dir)}.build-`)) fs.rmSync(path.join(path.dirname(dir), f), { recursive: true, force: true });
  }
  const tmp = `${dir}.build-${process.pid}`;
  mkdirOwned(tmp, 0o755);
  const data = path.join(tmp, 'data');
  const logFile = path.join(tmp, 'build.log');
  try {
    await runPgOrThrow('initdb', ['-D', data, ...INITDB_ARGS]);
    fs.appendFileSync(path.join(data, 'postgresql.conf'), TEMPLATE_CONF);
    fs.writeFileSync(path.join(data, 'pg_hba.conf'), HBA);
    chownToServer(path.join(data, 'pg_hba.conf'));
    // Socket only: nothing can connect to the template while it is being shaped.
    const opts = `-c listen_addresses='' -c unix_socket_directories='${tmp}' -c archive_mode=off -p 5432`;
    const started = await runPg('pg_ctl', ['start', '-D', data, '-l', logFile, '-w', '-t', '30', '-o', opts]);
    if (started.code !== 0) {
      throw new Error(`template server failed to start:\n${started.output}\n${readQuiet(logFile)}`);
    }
    try {
      for (const group of setupSql(fs.existsSync(RECOVERY_EXT))) await runSql(tmp, group.database, group.sql);
    } finally {
      await runPgOrThrow('pg_ctl', ['stop', '-D', data, '-m', 'fast', '-w', '-t', '30']);
    }
    fs.rmSync(logFile, { force: true });
    fs.renameSync(tmp, dir);
  } catch (err) {
    fs.rmSync(tmp, { recursive: true, force: true });
    throw err;
  }
}

async function runSql(socketDir: string, database: string, statements: string[]): Promise<void> {
  const client = new Client({ host: socketDir, port: 5432, user: 'postgres', database });
  await client.connect();
  try {
    for (const sql of statements) await client.query(sql);
  } finally {
    await client.end();
  }
}

function readQuiet(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}
