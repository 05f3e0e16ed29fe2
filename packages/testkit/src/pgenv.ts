import { execFileSync, spawn } from 'node:child_process';
import * as path from 'node:path';

/** Where the PostgreSQL binaries live; Debian keeps them off PATH. */
export const PG_BIN = process.env.PGRELAY_PG_BIN ?? '/usr/lib/postgresql/15/bin';

export function pgBin(name: string): string {
  return path.join(PG_BIN, name);
}

let cachedVersion: string | undefined;

/** "15.18": part of the template's name, so a minor upgrade rebuilds it. */
export function pgVersion(): string {
  if (!cachedVersion) {
    const out = execFileSync(pgBin('postgres'), ['--version'], { encoding: 'utf8' });
    const m = /(\d+(?:\.\d+)*)/.exec(out);
    if (!m) throw new Error(`cannot parse postgres --version output: ${out}`);
    cachedVersion = m[1];
  }
  return cachedVersion;
}

export interface OsUser {
  uid: number;
  gid: number;
  home: string;
}

let cachedUser: OsUser | null | undefined;

/**
 * The account servers run as. PostgreSQL refuses to run as root, so as root we switch to
 * `postgres`; as anyone else we simply run as ourselves (null).
 */
export function serverUser(): OsUser | null {
  if (cachedUser !== undefined) return cachedUser;
  if (process.getuid?.() !== 0) return (cachedUser = null);
  const line = execFileSync('getent', ['passwd', 'postgres'], { encoding: 'utf8' }).trim();
  const f = line.split(':');
  if (f.length < 7) throw new Error(`unexpected getent output: ${line}`);
  return (cachedUser = { uid: Number(f[2]), gid: Number(f[3]), home: f[5] });
}

/** Our environment minus PG* variables, which would silently redirect pg_ctl/libpq. */
export function serverEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('PG')) env[k] = v;
  const u = serverUser();
  if (u) {
    env.HOME = u.home;
    env.USER = env.LOGNAME = 'postgres';
  }
  env.LC_ALL = 'C';
  return env;
}

export interface RunResult {
  code: number | null;
  output: string;
}

/** Runs a PostgreSQL tool as the server user; never throws, the caller judges the result. */
export function runPg(tool: string, args: string[], timeoutMs = 60_000): Promise<RunResult> {
  const u = serverUser();
  return new Promise((resolve) => {
    const child = spawn(pgBin(tool), args, {
      cwd: '/',
      env: serverEnv(),
      stdio: ['ignore', 'pipe', 'pipe'],
      ...(u ? { uid: u.uid, gid: u.gid } : {}),
    });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const timer = setTimeout(() => {
      output += `\n[testkit] ${tool} killed after ${timeoutMs} ms`;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      resolve({ code: -1, output: output + String(err) });
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

export async function runPgOrThrow(tool: string, args: string[], timeoutMs?: number): Promise<string> {
  const r = await runPg(tool, args, timeoutMs);
  if (r.code !== 0) throw new Error(`${tool} ${args.join(' ')} failed (exit ${r.code}):\n${r.output}`);
  return r.output;
}
