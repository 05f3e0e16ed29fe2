import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { serverUser } from './pgenv';

/** Shared by every jest worker and every run, so the template is built once per machine. */
export const ROOT = path.join(os.tmpdir(), 'pgrelay-testkit');
export const LIVE_DIR = path.join(ROOT, 'live');

export function ensureRoot(): void {
  fs.mkdirSync(LIVE_DIR, { recursive: true, mode: 0o755 });
}

/** The server writes into these, so they belong to the server user. */
export function chownToServer(p: string): void {
  const u = serverUser();
  if (u) fs.chownSync(p, u.uid, u.gid);
}

export function mkdirOwned(p: string, mode = 0o700): string {
  fs.mkdirSync(p, { mode });
  chownToServer(p);
  return p;
}

export function writeOwned(p: string, text: string, mode = 0o600): void {
  fs.writeFileSync(p, text, { mode });
  chownToServer(p);
}

/** Kept short: a socket path (dir + "/.s.PGSQL.NNNNN") must fit in 107 bytes. */
export function makeTempDir(prefix: string): string {
  ensureRoot();
  const safe = prefix.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 24);
  // realpath: processes are matched by /proc/<pid>/cwd, which is always the resolved path.
  const dir = fs.realpathSync(fs.mkdtempSync(path.join(ROOT, `${safe}-`)));
  fs.chmodSync(dir, 0o755);
  chownToServer(dir);
  return dir;
}
