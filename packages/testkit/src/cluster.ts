import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { LiveEntry } from './cleanup';
import { makeTempDir, mkdirOwned } from './dirs';
import { Node, primaryConninfo, setPrimaryConninfo } from './node';
import { runPgOrThrow } from './pgenv';
import { freePort } from './ports';
import { reapUnder, signalQuiet, sleep } from './procs';
import { USERS, ensureTemplate } from './template';
import type { Cluster, ClusterOptions, PgNode } from './types';

/** What a cluster needs from a pgrelay started on it, to take it down first. */
export interface Attached {
  dir: string;
  pids(): number[];
  kill(graceMs: number): Promise<void>;
}

export async function startCluster(opts: ClusterOptions = {}): Promise<Cluster> {
  const template = await ensureTemplate();
  const cluster = new ClusterImpl(opts);
  try {
    if (opts.independent !== undefined) await cluster.initIndependent(template, opts.independent);
    else await cluster.init(template, opts.standbys ?? 0);
  } catch (err) {
    await cluster.stop().catch(() => {});
    throw err;
  }
  return cluster;
}

// Node ids in pgpool.conf are 0-based, and so are ours: nodes[i].id === i === backend index.
export class ClusterImpl implements Cluster {
  readonly nodes: Node[] = [];
  readonly baseDir: string;
  readonly archiveDir: string;
  readonly users = USERS;
  private readonly live = new LiveEntry();
  private readonly attached: Attached[] = [];
  private readonly pgConf: Record<string, string>;
  private stopping: Promise<void> | undefined;
  private readonly separateArchives: boolean;
  /** Reserved before the first await, so concurrent addStandby() calls get distinct ids. */
  private nextId = 0;

  constructor(opts: ClusterOptions) {
    this.pgConf = opts.pgConf ?? {};
    this.separateArchives = opts.independent !== undefined;
    this.baseDir = makeTempDir(`c-${opts.name ?? 'pg'}`);
    this.live.addDir(this.baseDir);
    this.live.addPids(() => this.nodes.flatMap((n) => n.knownPids()));
    this.archiveDir = mkdirOwned(path.join(this.baseDir, 'archive'), 0o755);
  }

  async init(template: string, standbys: number): Promise<void> {
    const primary = await this.newNode(this.nextId++);
    await copyDir(template, primary.dataDir);
    primary.writeConf();
    await primary.startServer(true);
    const ids = Array.from({ length: standbys }, () => this.nextId++);
    await Promise.all(ids.map((id) => this.makeStandby(id, primary)));
  }

  /** Separate primaries from one template: identical data, no replication (native replication mode). */
  async initIndependent(template: string, count: number): Promise<void> {
    const ids = Array.from({ length: count }, () => this.nextId++);
    await Promise.all(
      ids.map(async (id) => {
        const node = await this.newNode(id);
        await copyDir(template, node.dataDir);
        node.writeConf();
        await node.startServer(true);
      }),
    );
  }

  primary(): PgNode {
    const running = this.nodes.filter((n) => n.isRunning());
    const out = running.filter((n) => controlState(n.dataDir) === DB_IN_PRODUCTION);
    if (out.length === 0) {
      const desc = this.nodes.map((n) => `node${n.id}:${n.isRunning() ? 'up' : 'down'}`).join(' ');
      throw new Error(`no running primary in cluster (${desc})`);
    }
    // Two out of recovery (a promoted standby beside the old primary): the last promoted wins.
    return out.reduce((a, b) => (b.promotedAt > a.promotedAt ? b : a));
  }

  async waitForCatchup(timeoutMs = 30_000): Promise<void> {
    const primary = this.primary();
    const [row] = await primary.query<{ lsn: string; seg: string }>(
      "SELECT pg_current_wal_insert_lsn()::text AS lsn, setting AS seg FROM pg_settings WHERE name = 'wal_segment_size'",
    );
    const target = recordBoundary(parseLsn(row.lsn), BigInt(row.seg));
    const standbys = this.nodes.filter((n) => n !== primary && n.isRunning() && !n.isPaused());
    const deadline = Date.now() + timeoutMs;
    await Promise.all(
      standbys.map(async (s) => {
        for (;;) {
          const [r] = await s.query<{ lsn: string | null }>('SELECT pg_last_wal_replay_lsn()::text AS lsn');
          if (r.lsn && parseLsn(r.lsn) >= target) return;
          if (Date.now() > deadline) {
            throw new Error(`node${s.id} replayed ${r.lsn ?? 'nothing'}, primary node${primary.id} is at ${row.lsn}`);
          }
          await sleep(20);
        }
      }),
    );
  }

  async addStandby(): Promise<PgNode> {
    const primary = this.primary() as Node;
    return this.makeStandby(this.nextId++, primary);
  }

  attach(a: Attached): void {
    this.attached.push(a);
    this.live.addDir(a.dir);
    this.live.addPids(() => a.pids());
  }

  /** A pid changed (pgrelay started): rewrite the live file. */
  noteChange(): void {
    this.live.save();
  }

  stop(): Promise<void> {
    this.stopping ??= this.doStop();
    return this.stopping;
  }

  private async doStop(): Promise<void> {
    await Promise.all(this.attached.map((a) => a.kill(3000).catch(() => {})));
    // filter: skips slots of standbys still being built when a start failed
    for (const n of this.nodes.filter(Boolean)) {
      const pid = n.pid();
      if (!pid) continue;
      signalQuiet(pid, 'SIGCONT'); // a paused postmaster cannot act on SIGQUIT
      signalQuiet(pid, 'SIGQUIT'); // = pg_ctl stop -m immediate
    }
    // By cwd: also catches children orphaned by kill9() and pgrelay workers.
    await reapUnder(this.live.dirs(), 5000);
    for (const d of this.live.dirs()) fs.rmSync(d, { recursive: true, force: true, maxRetries: 3 });
    this.live.dispose();
  }

  archiveDirOf(id: number): string {
    if (!this.separateArchives) return this.archiveDir;
    const dir = path.join(this.archiveDir, `node${id}`);
    if (!fs.existsSync(dir)) mkdirOwned(dir, 0o755);
    return dir;
  }

  private async newNode(id: number): Promise<Node> {
    const nodeDir = mkdirOwned(path.join(this.baseDir, `node${id}`), 0o755);
    const node = new Node(id, nodeDir, await freePort(), {
      archiveDir: this.archiveDirOf(id),
      pgConf: this.pgConf,
      onChange: () => this.live.save(),
    });
    this.nodes[id] = node;
    return node;
  }

  /** pg_basebackup from the running primary: ~60 ms on tmpfs, as cheap as copying the template. */
  private async makeStandby(id: number, primary: Node): Promise<Node> {
    const node = await this.newNode(id);
    await runPgOrThrow('pg_basebackup', [
      ...['-h', '127.0.0.1', '-p', String(primary.port), '-U', 'postgres'],
      ...['-D', node.dataDir, '-X', 'stream', '-c', 'fast', '-R', '--no-sync'],
    ]);
    setPrimaryConninfo(node.dataDir, primaryConninfo(primary.port, id));
    node.writeConf();
    await node.startServer(true);
    return node;
  }
}

function copyDir(from: string, to: string): Promise<void> {
  return new Promise((resolve, reject) => {
    // cp -a keeps the template's postgres ownership and 0700 mode, which the server insists on;
    // sparse: zero pages need no fresh memory/disk, the slow part of a copy on this VM.
    const cp = spawn('cp', ['-a', '--sparse=always', from, to], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    cp.stderr.on('data', (d: Buffer) => (err += d.toString()));
    cp.on('error', reject);
    cp.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`cp -a ${from} ${to}: ${err}`))));
  });
}

const DB_IN_PRODUCTION = 6;

/**
 * DBState from global/pg_control (offset 16, after system identifier and two versions).
 * pg_ctl promote -w watches the same field; reading it keeps primary() synchronous and
 * immune to a paused node, where a pg_is_in_recovery() query would hang.
 */
function controlState(dataDir: string): number | undefined {
  try {
    const fd = fs.openSync(path.join(dataDir, 'global', 'pg_control'), 'r');
    try {
      const buf = Buffer.alloc(4);
      fs.readSync(fd, buf, 0, 4, 16);
      return buf.readInt32LE(0);
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    return undefined;
  }
}

export function parseLsn(lsn: string): bigint {
  const [hi, lo] = lsn.split('/');
  return (BigInt(`0x${hi}`) << 32n) + BigInt(`0x${lo}`);
}

/**
 * The insert position right after a page header is where the next record *would* start;
 * a standby's replay position stops at the end of the last record, before that header
 * (e.g. after pg_switch_wal). Step back over an empty header so the two compare.
 */
export function recordBoundary(lsn: bigint, segSize: bigint): bigint {
  if (lsn % segSize === 40n) return lsn - 40n; // long page header at a segment start
  if (lsn % 8192n === 24n) return lsn - 24n; // short page header
  return lsn;
}
