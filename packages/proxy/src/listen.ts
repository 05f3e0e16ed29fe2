/** Where clients reach pgrelay: TCP listen_addresses:port and the Unix socket directories. */
import path from 'node:path';

export type ListenTarget = { host: string; port: number } | { path: string };

export function listenTargets(listenAddresses: string, port: number, socketDirs: string[]): ListenTarget[] {
  const out: ListenTarget[] = [];
  for (const raw of listenAddresses.split(',')) {
    const a = raw.trim();
    if (a === '') continue;
    out.push({ host: a === '*' ? '::' : a, port });
  }
  for (const dir of socketDirs) if (dir.trim() !== '') out.push({ path: path.join(dir.trim(), `.s.PGSQL.${port}`) });
  return out;
}

export const describeTarget = (t: ListenTarget): string => ('path' in t ? t.path : `${t.host}:${t.port}`);
