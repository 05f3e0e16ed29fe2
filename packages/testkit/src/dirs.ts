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

let dataRoot: string | undefined;

/**
 * Where clusters and pgrelays get their dirs. Copying the template onto this VM's ext4 cost
 * 0.2-1.3 s of kernel time per node (to tmpfs: 0.06 s), and fsync is off anyway, so prefer
 * /dev/shm when it is a roomy tmpfs. PGRELAY_TESTKIT_DATA_DIR overrides.
 */
export function dataRootDir(): string {
  if (dataRoot) return dataRoot;
  let dir = process.env.PGRELAY_TESTKIT_DATA_DIR;
  if (!dir) {
    dir = ROOT;
    try {
      const st = fs.statfsSync('/dev/shm');
      if (st.bavail * st.bsize > 2 * 1024 ** 3) dir = '/dev/shm/pgrelay-testkit';
    } catch {
      /* no /dev/shm: stay on disk */
    }
  }
  fs.mkdirSync(dir, { recursive: true, mode: 0o755 });
  return (dataRoot = fs.realpathSync(dir));
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
  const dir = fs.realpathSync(fs.mkdtempSync(path.join(dataRootDir(), `${safe}-`)));
  fs.chmodSync(dir, 0o755);
  chownToServer(dir);
  return dir;
}
