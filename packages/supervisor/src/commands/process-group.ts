/**
 * Ending a command's whole process group. A killed member stays a zombie until init reaps it
 * (here pid 1 took ~1.8 s), and kill(-pgid, 0) still succeeds on zombies, so liveness is read
 * from /proc where there is one.
 */
import fs from 'node:fs';

/** SIGTERM to the group, SIGKILL after `graceMs` if any member still runs; resolves once none does. */
export async function terminateGroup(pgid: number, graceMs: number): Promise<void> {
  if (!signalGroup(pgid, 'SIGTERM')) return;
  if (await goneWithin(pgid, graceMs)) return;
  signalGroup(pgid, 'SIGKILL');
  await goneWithin(pgid, 1000);
}

export function groupRunning(pgid: number): boolean {
  const viaProc = runningMembersViaProc(pgid);
  return viaProc ?? signalGroup(pgid, 0);
}

async function goneWithin(pgid: number, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 20));
    if (!groupRunning(pgid)) return true;
  }
  return false;
}

/** false when no process is left in the group (or it cannot be signalled). */
function signalGroup(pgid: number, sig: NodeJS.Signals | 0): boolean {
  try {
    process.kill(-pgid, sig);
    return true;
  } catch {
    return false;
  }
}

/** Whether a non-zombie process is in the group; undefined without a readable /proc. */
function runningMembersViaProc(pgid: number): boolean | undefined {
  let entries: string[];
  try {
    entries = fs.readdirSync('/proc');
  } catch {
    return undefined;
  }
  for (const d of entries) {
    if (d.charCodeAt(0) < 48 || d.charCodeAt(0) > 57) continue;
    let stat: string;
    try {
      stat = fs.readFileSync(`/proc/${d}/stat`, 'utf8');
    } catch {
      continue;
    }
    // After the ")" closing the command name: state, ppid, pgrp, ...
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(f[2]) === pgid && f[0] !== 'Z' && f[0] !== 'X') return true;
  }
  return false;
}
