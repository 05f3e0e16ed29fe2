/** pgpool_status: one line per backend slot (up / down / unused), in logdir. */
import fs from 'node:fs';
import path from 'node:path';
import type { NodeState } from '@pgrelay/cluster';

export const statusFilePath = (logdir: string): string => path.join(logdir, 'pgpool_status');

/** Per slot: 'up', 'down' or 'unused' as the file says; undefined when missing or bogus. */
export function readStatusFile(file: string): ('up' | 'down' | 'unused')[] | undefined {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  const out: ('up' | 'down' | 'unused')[] = [];
  for (const line of text.split('\n')) {
    const l = line.trim().toLowerCase();
    if (l === '') continue;
    if (l.startsWith('up')) out.push('up');
    else if (l.startsWith('down')) out.push('down');
    else if (l.startsWith('unused')) out.push('unused');
    else return undefined;
  }
  // pgpool treats a file with no node up as bogus.
  return out.includes('up') ? out : undefined;
}

/** Returns false (and writes nothing) when every node is down, as pgpool does. */
export function writeStatusFile(file: string, nodes: NodeState[], slots: number): boolean {
  if (!nodes.some((n) => n.status === 'up' || n.status === 'waiting')) return false;
  const byId = new Map(nodes.map((n) => [n.id, n]));
  let text = '';
  for (let i = 0; i < slots; i++) {
    const n = byId.get(i);
    text += !n ? 'unused\n' : n.status === 'down' ? 'down\n' : 'up\n';
  }
  const tmp = `${file}.tmp`;
  const fd = fs.openSync(tmp, 'w');
  try {
    fs.writeSync(fd, text);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, file);
  return true;
}
