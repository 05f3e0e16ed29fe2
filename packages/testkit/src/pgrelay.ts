import { type ChildProcess, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { LiveEntry } from './cleanup';
import { ClusterImpl } from './cluster';
import { pgpoolConfLines } from './conf';
import { makeTempDir } from './dirs';
import { freePort, looksLikeAddrInUse } from './ports';
import { reapUnder, signalQuiet } from './procs';
import { USERS } from './template';
import type { Pgrelay, PgrelayOptions, StopMode } from './types';

/** Works from src/ (jest) and dist/ (built) alike. */
export const DEFAULT_PGRELAY_BIN = path.resolve(__dirname, '../../supervisor/dist/bin/pgrelay.js');

const READY = 'ready to accept connections';
const PCP = { user: 'pcp_user', password: 'pcp_pass' };
const MAX_LOG = 64 * 1024 * 1024;

const SIGNAL_FOR: Record<StopMode, NodeJS.Signals> = { smart: 'SIGTERM', fast: 'SIGINT', immediate: 'SIGQUIT' };

/** Thrown when pgrelay exits (or never says ready): carries what it printed. */
export class PgrelayStartError extends Error {
  constructor(
    message: string,
    readonly log: string,
    readonly exitCode: number | null,
  ) {
    super(`${message}\n--- pgrelay output ---\n${log}`);
  }
}

export async function startPgrelay(opts: PgrelayOptions = {}): Promise<Pgrelay> {
  const bin = opts.bin ?? process.env.PGRELAY_BIN ?? DEFAULT_PGRELAY_BIN;
  if (!fs.existsSync(bin)) throw new Error(`pgrelay binary ${bin} not found: run \`pnpm build\` (or pass bin)`);
  const dir = makeTempDir('r');
  const relays: RelayProcess[] = [];
  const handle = {
    dir,
    pids: () => relays.filter((r) => r.exitCode === undefined).map((r) => r.pid),
    kill: async (graceMs: number) => {
      for (const r of relays) await r.terminate('immediate', graceMs);
    },
  };
  // Its dir lives as long as the cluster (or, standalone, the test process): tests may read
  // pgpool_status or logs after stop().
  const cluster = opts.cluster instanceof ClusterImpl ? opts.cluster : undefined;
  const live = cluster ? undefined : new LiveEntry();
  if (cluster) cluster.attach(handle);
  else {
    live!.addDir(dir);
    live!.addPids(handle.pids);
  }

  const fixedPorts = opts.conf?.port !== undefined || opts.conf?.pcp_port !== undefined;
  for (let attempt = 1; ; attempt++) {
    const port = Number(opts.conf?.port ?? (await freePort()));
    const pcpPort = Number(opts.conf?.pcp_port ?? (await freePort()));
    const confPath = writeFiles(dir, port, pcpPort, opts);
    const relay = new RelayProcess(bin, dir, confPath, port, pcpPort, opts);
    relays.push(relay);
    if (cluster) cluster.noteChange();
    else live!.save();
    if (opts.waitReady === false) return relay;
    try {
      await relay.waitForLog(new RegExp(READY), opts.readyTimeoutMs ?? 20_000);
      return relay;
    } catch (err) {
      await relay.terminate('immediate', 2000);
      const log = relay.log();
      if (attempt < 3 && !fixedPorts && looksLikeAddrInUse(log)) continue;
      throw new PgrelayStartError(
        `pgrelay did not become ready: ${(err as Error).message.split('\n')[0]}`,
        log,
        relay.exitCode ?? null,
      );
    }
  }
}

function writeFiles(dir: string, port: number, pcpPort: number, opts: PgrelayOptions): string {
  const defaults: Record<string, string | number | boolean> = {
    listen_addresses: '127.0.0.1',
    port,
    pcp_listen_addresses: '127.0.0.1',
    pcp_port: pcpPort,
    unix_socket_directories: dir,
    pcp_socket_dir: dir,
    pid_file_name: path.join(dir, 'pgrelay.pid'),
    logdir: dir,
    backend_clustering_mode: opts.mode ?? 'streaming_replication',
    num_workers: 1,
    health_check_period: 0,
    sr_check_period: 0,
    sr_check_user: 'postgres',
    health_check_user: 'postgres',
    enable_pool_hba: opts.hba !== undefined,
    pool_passwd: 'pool_passwd',
  };
  for (const n of opts.cluster?.nodes ?? []) {
    Object.assign(defaults, {
      [`backend_hostname${n.id}`]: n.host,
      [`backend_port${n.id}`]: n.port,
      [`backend_weight${n.id}`]: 1,
      [`backend_data_directory${n.id}`]: n.dataDir,
      [`backend_flag${n.id}`]: 'ALLOW_TO_FAILOVER',
      [`backend_application_name${n.id}`]: `node${n.id}`,
    });
  }
  const confPath = path.join(dir, 'pgpool.conf');
  // Defaults first, then the test's lines: the last occurrence wins, as in pgpool.
  fs.writeFileSync(
    confPath,
    '# written by @pgrelay/testkit\n' +
      pgpoolConfLines(defaults) +
      (opts.conf ? '# test settings\n' + pgpoolConfLines(opts.conf) : '') +
      (opts.rawConf !== undefined ? '# raw\n' + opts.rawConf + '\n' : ''),
  );
  fs.writeFileSync(path.join(dir, 'pool_hba.conf'), opts.hba ?? 'local all all trust\nhost all all 127.0.0.1/32 trust\n');
  // TEXT entries let pgrelay answer md5 and SCRAM backends for the cluster's users.
  const passwd = opts.poolPasswd ?? `${USERS.md5.user}:TEXT${USERS.md5.password}\n${USERS.scram.user}:TEXT${USERS.scram.password}\n`;
  fs.writeFileSync(path.join(dir, 'pool_passwd'), passwd, { mode: 0o600 });
  const pcp = opts.pcpConf ?? `${PCP.user}:${createHash('md5').update(PCP.password).digest('hex')}\n`;
  fs.writeFileSync(path.join(dir, 'pcp.conf'), pcp, { mode: 0o600 });
  if (opts.keyFile !== undefined) fs.writeFileSync(path.join(dir, '.pgpoolkey'), opts.keyFile, { mode: 0o600 });
  return confPath;
}

interface Waiter {
  re: RegExp;
  resolve(line: string): void;
  reject(err: Error): void;
  timer: NodeJS.Timeout;
}

class RelayProcess implements Pgrelay {
  readonly host = '127.0.0.1' as const;
  readonly socketDir: string;
  readonly pid: number;
  readonly pcp = PCP;
  readonly exited: Promise<number | null>;
  exitCode: number | null | undefined;
  private readonly child: ChildProcess;
  private out = '';
  private lines: string[] = [];
  private partial = '';
  private waiters: Waiter[] = [];

  constructor(
    bin: string,
    readonly dir: string,
    readonly confPath: string,
    readonly port: number,
    readonly pcpPort: number,
    opts: PgrelayOptions,
  ) {
    this.socketDir = dir;
    const args = ['-n', '-f', confPath, '-F', path.join(dir, 'pcp.conf'), '-a', path.join(dir, 'pool_hba.conf')];
    if (opts.keyFile !== undefined) args.push('-k', path.join(dir, '.pgpoolkey'));
    args.push(...(opts.args ?? []));
    const viaNode = /\.[cm]?js$/.test(bin);
    this.child = spawn(viaNode ? process.execPath : bin, viaNode ? [bin, ...args] : args, {
      cwd: dir, // cleanup finds the supervisor and its workers by this cwd
      env: { ...process.env, ...opts.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.pid = this.child.pid ?? -1;
    this.child.stdout!.on('data', (d: Buffer) => this.onData(d));
    this.child.stderr!.on('data', (d: Buffer) => this.onData(d));
    this.exited = new Promise((resolve) => {
      this.child.on('error', (err) => this.onData(Buffer.from(`[testkit] spawn failed: ${err.message}\n`)));
      this.child.on('exit', (code) => {
        this.exitCode = code;
        // Output can trail the exit event: give the pipes a moment before judging waiters.
        setTimeout(() => {
          if (this.partial) this.addLine(this.partial);
          this.partial = '';
          for (const w of this.waiters.splice(0)) {
            clearTimeout(w.timer);
            w.reject(new Error(`pgrelay exited (code ${code}) before printing ${w.re}`));
          }
          resolve(code);
        }, 50);
      });
    });
    // A test that forgets stop() must not keep jest alive; the exit hook kills it instead.
    this.child.unref();
    for (const s of [this.child.stdout, this.child.stderr]) (s as unknown as { unref?(): void }).unref?.();
  }

  log(): string {
    return this.out;
  }

  waitForLog(re: RegExp, timeoutMs = 10_000): Promise<string> {
    const plain = new RegExp(re.source, re.flags.replace(/[gy]/g, ''));
    const hit = this.lines.find((l) => plain.test(l));
    if (hit !== undefined) return Promise.resolve(hit);
    if (this.exitCode !== undefined) return Promise.reject(new Error(`pgrelay has exited; no line matches ${re}`));
    return new Promise((resolve, reject) => {
      const w: Waiter = {
        re: plain,
        resolve,
        reject,
        timer: setTimeout(() => {
          this.waiters = this.waiters.filter((x) => x !== w);
          reject(new Error(`no pgrelay log line matched ${re} within ${timeoutMs} ms`));
        }, timeoutMs),
      };
      this.waiters.push(w);
    });
  }

  async stop(mode: StopMode = 'fast'): Promise<void> {
    await this.terminate(mode, 10_000);
  }

  /** Signal, wait up to graceMs, then SIGKILL; also reaps workers left in our dir. */
  async terminate(mode: StopMode, graceMs: number): Promise<void> {
    if (this.exitCode === undefined) {
      this.signal(SIGNAL_FOR[mode]);
      const timer = setTimeout(() => this.signal('SIGKILL'), graceMs);
      await this.exited;
      clearTimeout(timer);
    }
    await reapUnder([this.dir], 2000);
  }

  signal(sig: NodeJS.Signals): void {
    if (this.exitCode === undefined) signalQuiet(this.pid, sig);
  }

  connectionString(user = 'postgres', database = 'postgres', password?: string): string {
    const auth = encodeURIComponent(user) + (password !== undefined ? `:${encodeURIComponent(password)}` : '');
    return `postgresql://${auth}@${this.host}:${this.port}/${encodeURIComponent(database)}`;
  }

  private onData(d: Buffer): void {
    const text = d.toString('utf8');
    if (this.out.length < MAX_LOG) this.out += text;
    const parts = (this.partial + text).split('\n');
    this.partial = parts.pop() ?? '';
    for (const line of parts) this.addLine(line);
  }

  private addLine(line: string): void {
    this.lines.push(line);
    for (const w of [...this.waiters]) {
      if (!w.re.test(line)) continue;
      clearTimeout(w.timer);
      this.waiters = this.waiters.filter((x) => x !== w);
      w.resolve(line);
    }
  }
}
