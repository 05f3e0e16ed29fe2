/**
 * The .pcppass lookup of libpcp: PCPPASSFILE or ~/.pcppass, lines host:port:user:password,
 * `*` matches any value, `\` escapes. The file is ignored unless it is a regular file
 * without group/other access. The Unix socket in /tmp (the default) matches "localhost";
 * another socket directory matches its own path, as in libpcp.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { UNIX_DOMAIN_PATH } from './connection';

export function passFilePath(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env.PCPPASSFILE !== undefined) return env.PCPPASSFILE;
  const home = os.homedir();
  return home ? path.join(home, '.pcppass') : undefined;
}

/** Returns the password, or undefined; warnings go to `debug` only, as libpcp does. */
export function passwordFromFile(
  host: string | undefined,
  port: number,
  user: string,
  debug?: (line: string) => void,
  env: NodeJS.ProcessEnv = process.env,
): string | undefined {
  if (!user) return undefined;
  const hostname = host === undefined || host === '' || host === UNIX_DOMAIN_PATH ? 'localhost' : host;
  const file = passFilePath(env);
  if (file === undefined) return undefined;
  let st: fs.Stats;
  try {
    st = fs.statSync(file);
  } catch {
    return undefined;
  }
  if (!st.isFile()) {
    debug?.(`WARNING: password file "${file}" is not a plain file\n`);
    return undefined;
  }
  if ((st.mode & 0o077) !== 0) {
    debug?.(`WARNING: password file "${file}" has group or world access; permissions should be u=rw (0600) or less\n`);
    return undefined;
  }
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  for (const line of text.split('\n')) {
    let rest = matchField(line, hostname);
    if (rest !== undefined) rest = matchField(rest, String(port));
    if (rest !== undefined) rest = matchField(rest, user);
    if (rest === undefined) continue;
    let out = '';
    for (let i = 0; i < rest.length && rest[i] !== ':'; i++) {
      if (rest[i] === '\\' && i + 1 < rest.length) i++;
      out += rest[i];
    }
    return out;
  }
  return undefined;
}

/** The rest of `buf` after a field equal to `token` (or `*`) and its colon; undefined if it differs. */
function matchField(buf: string, token: string): string | undefined {
  if (buf.startsWith('*:')) return buf.slice(2);
  let i = 0;
  let t = 0;
  while (i < buf.length) {
    let escaped = false;
    if (buf[i] === '\\') {
      i++;
      escaped = true;
      if (i >= buf.length) return undefined;
    }
    if (buf[i] === ':' && t === token.length && !escaped) return buf.slice(i + 1);
    if (t === token.length) return undefined;
    if (buf[i] !== token[t]) return undefined;
    i++;
    t++;
  }
  return undefined;
}
