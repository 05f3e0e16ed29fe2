/**
 * For the PCP tests: Debian's pgpool-II 4.3.5 pcp_* binaries, pgrelay's own, and a real
 * pgpool-II 4.3.5 started on the same cluster from pgrelay's own pgpool.conf.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { freePort, type Pgrelay } from '@pgrelay/testkit';
import { run, type Run } from './helpers';

export const DEBIAN_BIN = '/usr/sbin';
export const PGPOOL = path.join(DEBIAN_BIN, 'pgpool');
const OWN_BIN = path.resolve(__dirname, '../../pcp/dist/bin');

export const haveDebianPcp = (): boolean => fs.existsSync(path.join(DEBIAN_BIN, 'pcp_node_info')) && fs.existsSync(PGPOOL);

/** A 0600 .pcppass in `dir` with the given lines; returns its path. */
export function writePcppass(dir: string, lines: string[], name = '.pcppass'): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, lines.join('\n') + '\n', { mode: 0o600 });
  fs.chmodSync(file, 0o600);
  return file;
}

/** Run by name from PATH, as an operator does: getopt's messages start with argv[0]. */
export const debianPcp = (cmd: string, args: string[], env: Record<string, string> = {}): Promise<Run> =>
  run(cmd, args, { PATH: `${DEBIAN_BIN}:${process.env.PATH ?? ''}`, ...env }, 20_000);

export const ownPcp = (cmd: string, args: string[], env: Record<string, string> = {}): Promise<Run> =>
  run(process.execPath, [path.join(OWN_BIN, `${cmd}.js`), ...args], env, 20_000);

/** Dates and times change between runs; the tests compare everything else. */
export const maskTimes = (s: string): string => s.replace(/\d{4}-\d\d-\d\d \d\d:\d\d:\d\d/g, '<time>');

export interface RealPgpool {
  port: number;
  pcpPort: number;
  dir: string;
  log(): string;
  stop(): Promise<void>;
}

/**
 * pgpool-II 4.3.5 reading pgrelay's pgpool.conf with its own ports and directories appended
 * (the last setting wins). Its cwd is inside pgrelay's dir, so testkit's cleanup reaps it too.
 */
export async function startRealPgpool(relay: Pgrelay, extraConf = ''): Promise<RealPgpool> {
  const dir = path.join(relay.dir, 'pgpool');
  fs.mkdirSync(dir, { recursive: true });
  const port = await freePort();
  const pcpPort = await freePort();
  const conf = path.join(dir, 'pgpool.conf');
  fs.writeFileSync(
    conf,
    fs.readFileSync(relay.confPath, 'utf8') +
      `\n# real pgpool-II\nport = ${port}\npcp_port = ${pcpPort}\nsocket_dir = '${dir}'\npcp_socket_dir = '${dir}'\n` +
      `pid_file_name = '${dir}/pgpool.pid'\nlogdir = '${dir}'\n${extraConf}`,
  );
  for (const f of ['pcp.conf', 'pool_hba.conf', 'pool_passwd']) fs.copyFileSync(path.join(relay.dir, f), path.join(dir, f));
  const logFile = path.join(dir, 'pgpool.log');
  const out = fs.openSync(logFile, 'w');
  const child = spawn(PGPOOL, ['-n', '-f', conf, '-F', path.join(dir, 'pcp.conf'), '-a', path.join(dir, 'pool_hba.conf')], {
    cwd: dir,
    stdio: ['ignore', out, out],
  });
  fs.closeSync(out);
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const log = () => fs.readFileSync(logFile, 'utf8');
  const deadline = Date.now() + 15_000;
  while (!/successfully started/.test(log())) {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`pgpool-II did not start:\n${log()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  // The PCP process starts right after the message; wait until it answers.
  while (!fs.existsSync(path.join(dir, `.s.PGSQL.${pcpPort}`)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  return {
    port,
    pcpPort,
    dir,
    log,
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGINT');
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([exited, new Promise((r) => (timer = setTimeout(r, 5000)))]);
      clearTimeout(timer);
    },
  };
}
