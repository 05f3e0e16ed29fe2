import * as fs from 'node:fs';
import * as path from 'node:path';
import { Client } from 'pg';
import { pgConfLines, quote } from './conf';
import { writeOwned } from './dirs';
import { runPg, runPgOrThrow } from './pgenv';
import { freePort, looksLikeAddrInUse } from './ports';
import { cwdOf, isAlive, reapUnder, signalQuiet, sleep } from './procs';
import type { PgNode, QueryOptions, StopMode } from './types';

export interface NodeContext {
  archiveDir: string;
  pgConf: Record<string, string>;
  /** A pid may have changed: the cluster rewrites its live file. */
  onChange(): void;
}

let promotions = 0;

export class Node implements PgNode {
  readonly host = '127.0.0.1' as const;
  readonly dataDir: string;
  readonly socketDir: string;
  readonly logFile: string;
  /** Order of promote() calls: breaks the tie when two nodes are out of recovery. */
  promotedAt = 0;
  private lastPid: number | undefined;
  private paused = false;

  constructor(
    readonly id: number,
    nodeDir: string,
    public port: number,
    private readonly ctx: NodeContext,
  ) {
    this.socketDir = nodeDir;
    this.dataDir = path.join(nodeDir, 'data');
    this.logFile = path.join(nodeDir, `node${id}.log`);
  }

  /** Settings that differ per node, included from the template's postgresql.conf. */
  writeConf(): void {
    const archive = this.ctx.archiveDir;
    const text =
      `port = ${this.port}\n` +
      `unix_socket_directories = ${quote(this.socketDir)}\n` +
      `cluster_name = 'node${this.id}'\n` +
      `archive_command = ${quote(`test ! -f ${archive}/%f && cp %p ${archive}/%f`)}\n` +
      pgConfLines(this.ctx.pgConf);
    writeOwned(path.join(this.dataDir, 'testkit.conf'), text);
  }

  /** From postmaster.pid, so restarts done behind our back (pg_ctl in a failover script) count. */
  pid(): number | undefined {
    let pid: number | undefined;
    try {
      pid = Number(fs.readFileSync(path.join(this.dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
    } catch {
      pid = undefined;
    }
    // A stale file after kill -9 may name a pid since reused: the postmaster's cwd is its data dir.
    if (pid && isAlive(pid) && cwdOf(pid) === this.dataDir) {
      this.lastPid = pid;
      return pid;
    }
    return undefined;
  }

  /** Includes a postmaster that just died, for the cleanup net. */
  knownPids(): Array<number | undefined> {
    return [this.pid() ?? this.lastPid];
  }

  isRunning(): boolean {
    return this.pid() !== undefined;
  }

  start(): Promise<void> {
    return this.startServer(false);
  }

  /** `allowPortChange` only while the cluster is being built: later, pgrelay configs hold the port. */
  async startServer(allowPortChange: boolean): Promise<void> {
    if (this.isRunning()) return;
    this.paused = false;
    for (let attempt = 1; ; attempt++) {
      // Children of a SIGKILLed postmaster still hold its shared memory and block a new one.
      await reapUnder([this.dataDir], 0, true);
      this.removeStaleLocks();
      const logStart = fileSize(this.logFile);
      const r = await runPg('pg_ctl', ['start', '-D', this.dataDir, '-l', this.logFile, '-w', '-t', '30']);
      if (r.code === 0) {
        this.pid();
        this.ctx.onChange();
        return;
      }
      const log = readFrom(this.logFile, logStart);
      const retryable = looksLikeAddrInUse(log) || /shared memory block|lock file .* already exists/.test(log);
      if (!retryable || attempt >= 5 || this.isRunning()) {
        throw new Error(`node${this.id} failed to start (port ${this.port}):\n${r.output}\n--- log ---\n${log}`);
      }
      if (looksLikeAddrInUse(log) && allowPortChange) {
        this.port = await freePort();
        this.writeConf();
      } else {
        await sleep(200 * attempt);
      }
    }
  }

  /**
   * PID 1 here reaps orphans lazily, so a SIGKILLed postmaster lingers as a zombie, and
   * PostgreSQL's kill(pid, 0) check takes the zombie for a running server ("lock file
   * already exists") until it is reaped, which can take seconds. Dead is dead: drop the
   * data-dir and socket lock files it left.
   */
  private removeStaleLocks(): void {
    for (const file of [
      path.join(this.dataDir, 'postmaster.pid'),
      path.join(this.socketDir, `.s.PGSQL.${this.port}.lock`),
    ]) {
      try {
        const pid = Number(fs.readFileSync(file, 'utf8').split('\n')[0]);
        if (pid && !isAlive(pid)) fs.rmSync(file, { force: true });
      } catch {
        /* no lock file */
      }
    }
  }

  async stop(mode: StopMode = 'fast'): Promise<void> {
    if (!this.isRunning()) return;
    if (this.paused) this.resume();
    const r = await runPg('pg_ctl', ['stop', '-D', this.dataDir, '-m', mode, '-w', '-t', '30']);
    if (r.code !== 0 && this.isRunning()) throw new Error(`node${this.id}: pg_ctl stop -m ${mode} failed:\n${r.output}`);
    await reapUnder([this.dataDir], 5000, true);
    this.ctx.onChange();
  }

  async restart(): Promise<void> {
    await this.stop('fast');
    await this.start();
  }

  kill9(): void {
    const pid = this.requirePid('kill9');
    signalQuiet(pid, 'SIGKILL');
    this.paused = false;
  }

  crash(): void {
    const pm = this.requirePid('crash');
    signalQuiet(pm, 'SIGSTOP'); // no crash-restart while its children go
    for (const d of fs.readdirSync('/proc')) {
      if (!/^\d+$/.test(d)) continue;
      try {
        const stat = fs.readFileSync(`/proc/${d}/stat`, 'utf8');
        if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pm) signalQuiet(Number(d), 'SIGKILL');
      } catch {
        // gone already
      }
    }
    this.kill9();
  }

  pause(): void {
    signalQuiet(this.requirePid('pause'), 'SIGSTOP');
    this.paused = true;
  }

  resume(): void {
    signalQuiet(this.requirePid('resume'), 'SIGCONT');
    this.paused = false;
  }

  isPaused(): boolean {
    return this.paused && this.isRunning();
  }

  async promote(): Promise<void> {
    await runPgOrThrow('pg_ctl', ['promote', '-D', this.dataDir, '-w', '-t', '30']);
    const deadline = Date.now() + 30_000;
    while ((await this.query<{ r: boolean }>('SELECT pg_is_in_recovery() AS r'))[0].r) {
      if (Date.now() > deadline) throw new Error(`node${this.id}: still in recovery 30 s after promote`);
      await sleep(50);
    }
    this.promotedAt = ++promotions;
  }

  async follow(primary: PgNode): Promise<void> {
    const running = this.isRunning();
    if (running && !(await this.query<{ r: boolean }>('SELECT pg_is_in_recovery() AS r'))[0].r) {
      throw new Error(`node${this.id} is a primary: stop it (and pg_rewind) before it can follow node${primary.id}`);
    }
    setPrimaryConninfo(this.dataDir, primaryConninfo(primary.port, this.id));
    writeOwned(path.join(this.dataDir, 'standby.signal'), '');
    // primary_conninfo is reloadable since PG13: the walreceiver restarts with it.
    if (running) await this.query('SELECT pg_reload_conf()');
  }

  async query<T = any>(sql: string, params?: unknown[], opts: QueryOptions = {}): Promise<T[]> {
    const client = new Client({
      host: this.host,
      port: this.port,
      user: opts.user ?? 'postgres',
      password: opts.password,
      database: opts.database ?? 'postgres',
      connectionTimeoutMillis: opts.connectTimeoutMs ?? 15_000,
    });
    // A server killed mid-query emits 'error' on the client; unhandled it would crash jest.
    client.on('error', () => {});
    try {
      await client.connect();
      const res = await client.query(sql, params as any[] | undefined);
      return res.rows as T[];
    } finally {
      client.end().catch(() => {});
    }
  }

  connectionString(user = 'postgres', database = 'postgres'): string {
    return `postgresql://${encodeURIComponent(user)}@${this.host}:${this.port}/${encodeURIComponent(database)}`;
  }

  log(): string {
    return readFrom(this.logFile, 0);
  }

  private requirePid(what: string): number {
    const pid = this.pid();
    if (!pid) throw new Error(`node${this.id}: ${what}: not running`);
    return pid;
  }
}

export function primaryConninfo(primaryPort: number, standbyId: number): string {
  // application_name = backend_application_nameN, so pg_stat_replication rows match pgpool's.
  return `host=127.0.0.1 port=${primaryPort} user=postgres application_name=node${standbyId}`;
}

/** Where pg_basebackup -R and ALTER SYSTEM keep it; the last line wins, so replace, don't append. */
export function setPrimaryConninfo(dataDir: string, conninfo: string): void {
  const file = path.join(dataDir, 'postgresql.auto.conf');
  let text = '';
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    /* a fresh file */
  }
  const kept = text.split('\n').filter((l) => l && !/^\s*primary_conninfo\s*=/.test(l));
  kept.push(`primary_conninfo = ${quote(conninfo)}`);
  writeOwned(file, kept.join('\n') + '\n');
}

function fileSize(file: string): number {
  return fs.statSync(file, { throwIfNoEntry: false })?.size ?? 0;
}

function readFrom(file: string, offset: number): string {
  try {
    return fs.readFileSync(file).subarray(offset).toString('utf8');
  } catch {
    return '';
  }
}
