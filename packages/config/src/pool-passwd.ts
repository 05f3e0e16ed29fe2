/**
 * pool_passwd: `user:secret` lines. The secret's kind is decided by its prefix exactly as pgpool
 * does ("md5" + 32 characters, "AES", "SCRAM-SHA-256$", "TEXT", anything else clear text).
 * As in pgpool, `\` escapes the next character in the user and secret fields and the first
 * line for a user wins. A third and fourth field (a mapped backend user and password) are ignored.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ConfigError } from './errors';
import { decryptAes } from './aes';

export type PasswdSecret =
  | { kind: 'md5'; hash: string }
  | { kind: 'text'; password: string }
  | { kind: 'aes'; encrypted: string; password?: string; error?: string }
  | { kind: 'scram'; verifier: string };

/** pgpool reads the key with a 256-byte fgets buffer: at most 255 bytes of the first line. */
const MAX_KEY_BYTES = 255;

export function loadPoolPasswd(file: string, key?: string): Map<string, PasswdSecret> {
  const abs = path.resolve(file);
  let text: string;
  try {
    text = fs.readFileSync(abs, 'utf8');
  } catch (e) {
    throw new ConfigError({ file: abs, problem: `cannot read pool_passwd (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})` });
  }
  return parsePoolPasswd(text, abs, key);
}

export function parsePoolPasswd(text: string, file: string, key?: string): Map<string, PasswdSecret> {
  const out = new Map<string, PasswdSecret>();
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.replace(/\r$/, '');
    if (line.trim() === '' || line.startsWith('#')) continue;
    const { user, rest } = splitUser(line);
    if (rest === undefined || user === '') {
      // The line may hold a password, so it is not echoed.
      const problem = rest === undefined ? "no ':' after the user name" : 'empty user name';
      throw new ConfigError({ file, line: i + 1, problem, expected: 'user:password' });
    }
    if (out.has(user)) continue;
    out.set(user, classify(rest, key));
  }
  return out;
}

function splitUser(line: string): { user: string; rest?: string } {
  let user = '';
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (c === '\\' && i + 1 < line.length) {
      user += line[++i];
    } else if (c === ':') {
      return { user, rest: line.slice(i + 1) };
    } else {
      user += c;
    }
  }
  return { user };
}

/** The secret field: up to the next unescaped ':' (a SCRAM verifier contains ':' itself, so it takes the rest). */
function secretField(rest: string): string {
  if (rest.startsWith('SCRAM-SHA-256$')) return rest;
  let out = '';
  for (let i = 0; i < rest.length; i++) {
    const c = rest[i]!;
    if (c === '\\' && i + 1 < rest.length) out += rest[++i];
    else if (c === ':') break;
    else out += c;
  }
  return out;
}

export function classifySecret(secret: string, key?: string): PasswdSecret {
  if (secret.startsWith('md5') && secret.length === 35) return { kind: 'md5', hash: secret };
  if (secret.startsWith('AES')) {
    if (key === undefined) return { kind: 'aes', encrypted: secret, error: 'no AES key (pool key file) was given' };
    try {
      return { kind: 'aes', encrypted: secret, password: decryptAes(secret, key) };
    } catch (e) {
      return { kind: 'aes', encrypted: secret, error: `unable to decrypt password from pool_passwd: ${(e as Error).message}` };
    }
  }
  if (secret.startsWith('SCRAM-SHA-256$')) return { kind: 'scram', verifier: secret };
  if (secret.startsWith('TEXT')) return { kind: 'text', password: secret.slice(4) };
  return { kind: 'text', password: secret };
}

function classify(rest: string, key?: string): PasswdSecret {
  return classifySecret(secretField(rest), key);
}

/**
 * The AES passphrase: first line of the key file given (-k), else of $PGPOOLKEYFILE, else of
 * ~/.pgpoolkey. Only the trailing newline is removed, as pgpool does. undefined when the file
 * is missing, unreadable, not a regular file or empty.
 */
export function readKeyFile(explicit?: string): string | undefined {
  const file = explicit ?? process.env.PGPOOLKEYFILE ?? path.join(process.env.HOME || os.homedir(), '.pgpoolkey');
  let data: Buffer;
  try {
    if (!fs.statSync(file).isFile()) return undefined;
    data = fs.readFileSync(file);
  } catch {
    return undefined;
  }
  if (data.length === 0) return undefined;
  const nl = data.indexOf(0x0a);
  let first = nl >= 0 ? data.subarray(0, nl + 1) : data;
  if (first.length > MAX_KEY_BYTES) first = first.subarray(0, MAX_KEY_BYTES);
  const s = first.toString('utf8');
  return s.endsWith('\n') ? s.slice(0, -1) : s;
}
