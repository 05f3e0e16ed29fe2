import * as fs from 'node:fs';

/** Fields of /proc/<pid>/stat after the command name (which may itself contain spaces). */
function statFields(pid: number): string[] | undefined {
  try {
    const s = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return s.slice(s.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

/**
 * Alive and not a zombie: PID 1 in this container may never reap orphans, so kill(pid, 0)
 * alone would call a dead postmaster alive.
 */
export function isAlive(pid: number): boolean {
  const f = statFields(pid);
  return !!f && f[0] !== 'Z' && f[0] !== 'X';
}

/** Kernel start time of a process: with the pid it identifies a process across pid reuse. */
export function startTime(pid: number): string | undefined {
  return statFields(pid)?.[19];
}

export function cwdOf(pid: number): string | undefined {
  try {
    return fs.readlinkSync(`/proc/${pid}/cwd`).replace(/ \(deleted\)$/, '');
  } catch {
    return undefined;
  }
}

function under(p: string, dir: string): boolean {
  return p === dir || p.startsWith(dir.endsWith('/') ? dir : dir + '/');
}

/**
 * Live processes whose working directory is inside one of `dirs`. Every PostgreSQL process
 * chdirs to its data directory and pgrelay runs in its own dir, so this finds a cluster's
 * processes even after their postmaster died and they were reparented.
 */
export function pidsUnder(dirs: string[], exact = false): number[] {
  if (dirs.length === 0) return [];
  const out: number[] = [];
  let entries: string[];
  try {
    entries = fs.readdirSync('/proc');
  } catch {
    return out;
  }
  for (const e of entries) {
    if (!/^\d+$/.test(e)) continue;
    const pid = Number(e);
    if (pid === process.pid) continue;
    const cwd = cwdOf(pid);
    if (!cwd) continue;
    if (dirs.some((d) => (exact ? cwd === d : under(cwd, d))) && isAlive(pid)) out.push(pid);
  }
  return out;
}

export function signalQuiet(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    /* already gone */
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Waits until no process has its cwd in `dirs`; SIGKILLs stragglers after `graceMs`. */
export async function reapUnder(dirs: string[], graceMs: number, exact = false): Promise<void> {
  const deadline = Date.now() + graceMs;
  for (;;) {
    const left = pidsUnder(dirs, exact);
    if (left.length === 0) return;
    if (Date.now() >= deadline) {
      for (const p of left) signalQuiet(p, 'SIGKILL');
      const hard = Date.now() + 5000;
      while (pidsUnder(dirs, exact).length > 0 && Date.now() < hard) await sleep(20);
      return;
    }
    await sleep(20);
  }
}
