/**
 * pcp.conf: `user:md5hex` lines (the md5 of the password alone, 32 hex digits, no "md5"
 * prefix; `pg_md5 <password>` prints it), `#` comments and blank lines. The first line for a
 * user wins, as in pgpool, which stops at the first match.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ConfigError } from './errors';

export function loadPcpConf(file: string): Map<string, string> {
  const abs = path.resolve(file);
  let text: string;
  try {
    text = fs.readFileSync(abs, 'utf8');
  } catch (e) {
    throw new ConfigError({ file: abs, problem: `cannot read pcp.conf (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})` });
  }
  return parsePcpConf(text, abs);
}

export function parsePcpConf(text: string, file: string): Map<string, string> {
  const out = new Map<string, string>();
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.replace(/\r$/, '').trim();
    if (line === '' || line.startsWith('#')) continue;
    const colon = line.indexOf(':');
    const user = colon >= 0 ? line.slice(0, colon).trim() : '';
    const hash = colon >= 0 ? line.slice(colon + 1).trim() : '';
    if (user === '' || !/^[0-9a-fA-F]{32}$/.test(hash)) {
      const shown = colon >= 0 && user !== '' ? `'${user}:...'` : `'${line}'`;
      throw new ConfigError({ file, line: i + 1, problem: `invalid line ${shown}`, expected: 'user:<md5 of the password, 32 hex digits>' });
    }
    if (!out.has(user)) out.set(user, hash.toLowerCase());
  }
  return out;
}
