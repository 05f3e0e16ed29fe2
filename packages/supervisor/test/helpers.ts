/** Small helpers shared by the end-to-end tests: run psql/pgbench, open pg clients. */
import { execFile } from 'node:child_process';
import { Client } from 'pg';

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a command (psql, pgbench) and resolves with its output whatever the exit code. */
export function run(cmd: string, args: string[], env: Record<string, string> = {}, timeoutMs = 120_000): Promise<Run> {
  return new Promise((resolve) => {
    execFile(cmd, args, { env: { ...process.env, ...env }, timeout: timeoutMs, maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

export async function connect(port: number, opts: { user?: string; password?: string; database?: string } = {}): Promise<Client> {
  const c = new Client({ host: '127.0.0.1', port, user: opts.user ?? 'postgres', password: opts.password, database: opts.database ?? 'test' });
  await c.connect();
  return c;
}

export const psqlArgs = (port: number, user = 'postgres', db = 'test'): string[] => ['-X', '-h', '127.0.0.1', '-p', String(port), '-U', user, '-d', db, '-v', 'ON_ERROR_STOP=1'];

/** pgrelay's worker processes: children of the supervisor, with their worker index. */
export function workerProcesses(supervisorPid: number): { pid: number; index: number }[] {
  const fs = require('node:fs') as typeof import('node:fs');
  const out: { pid: number; index: number }[] = [];
  for (const d of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${d}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid !== supervisorPid) continue;
      const env = fs.readFileSync(`/proc/${d}/environ`, 'utf8').split('\0');
      const idx = env.find((e) => e.startsWith('PGRELAY_WORKER_INDEX='));
      if (idx) out.push({ pid: Number(d), index: Number(idx.split('=')[1]) });
    } catch {
      // the process went away while we looked
    }
  }
  return out;
}

/** Sends a CancelRequest for (pid, key) on a new connection, as libpq and drivers do. */
export function sendCancel(port: number, pid: number, key: number): Promise<void> {
  const net = require('node:net') as typeof import('node:net');
  const packet = Buffer.alloc(16);
  packet.writeInt32BE(16, 0);
  packet.writeInt32BE(80877102, 4);
  packet.writeInt32BE(pid, 8);
  packet.writeInt32BE(key, 12);
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1', () => s.end(packet));
    s.on('close', () => resolve());
    s.on('error', reject);
  });
}
