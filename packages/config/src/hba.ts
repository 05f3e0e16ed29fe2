/**
 * pool_hba.conf: parsing and first-match lookup.
 *
 * Limits, by design: `+group` (and samerole/samegroup) needs a database query to resolve, so such
 * an entry never matches here; a host-name address only matches when the caller passes the
 * client's (reverse-resolved) host name, since matching must not do DNS.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ConfigError } from './errors';
import { HbaSyntaxError, splitHbaIncludeFile, splitHbaLine, type HbaField, type HbaToken } from './hba-lexer';
import { clientInNetwork, parseIp, prefixMask, type IpBytes } from './ip';

export type { HbaToken } from './hba-lexer';

export type HbaConnectionType = 'local' | 'host' | 'hostssl' | 'hostnossl';
export type HbaMethod = 'trust' | 'reject' | 'md5' | 'scram-sha-256' | 'password' | 'pam' | 'ldap' | 'cert';

export type HbaAddress =
  | { kind: 'ip'; text: string; family: 4 | 6; network: IpBytes; mask: IpBytes }
  | { kind: 'all' }
  | { kind: 'samehost' }
  | { kind: 'samenet' }
  | { kind: 'hostname'; name: string };

export interface HbaRule {
  file: string;
  line: number;
  type: HbaConnectionType;
  /** Database names and keywords as written (@file lists expanded). */
  databases: string[];
  users: string[];
  /** Absent for `local`. */
  address?: HbaAddress;
  method: HbaMethod;
  options: Record<string, string>;
  /** The same lists with quoting kept, which decides whether `all` is a keyword or a name. */
  databaseTokens: HbaToken[];
  userTokens: HbaToken[];
}

export interface HbaClient {
  local: boolean;
  /** Peer address as node reports it (IPv4, IPv6 or ::ffff:-mapped IPv4). */
  address?: string;
  /** Reverse-resolved client host name, needed only for host-name rules. */
  hostname?: string;
  database: string;
  user: string;
  ssl: boolean;
}

export interface HbaInterface {
  address: string;
  netmask: string;
}

export interface HbaMatchOptions {
  /** Local interface addresses for samehost/samenet; defaults to os.networkInterfaces(). */
  interfaces?: HbaInterface[];
}

const TYPES = new Set<HbaConnectionType>(['local', 'host', 'hostssl', 'hostnossl']);
const METHODS = new Set<HbaMethod>(['trust', 'reject', 'md5', 'scram-sha-256', 'password', 'pam', 'ldap', 'cert']);
const METHOD_LIST = 'trust, reject, md5, scram-sha-256, password, pam, ldap or cert';
const MAX_AT_DEPTH = 10;

export function loadHba(file: string): HbaRule[] {
  const abs = path.resolve(file);
  let text: string;
  try {
    text = fs.readFileSync(abs, 'utf8');
  } catch (e) {
    throw new ConfigError({ file: abs, problem: `cannot read pool_hba.conf (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})` });
  }
  return parseHba(text, abs);
}

export function parseHba(text: string, file: string): HbaRule[] {
  const rules: HbaRule[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = i + 1;
    let fields: HbaField[];
    try {
      fields = splitHbaLine(lines[i]!);
    } catch (e) {
      if (e instanceof HbaSyntaxError) throw new ConfigError({ file, line, problem: `syntax error: ${e.message}` });
      throw e;
    }
    if (fields.length === 0) continue;
    rules.push(parseRule(fields, file, line));
  }
  return rules;
}

function single(field: HbaField | undefined, file: string, line: number, what: string): HbaToken {
  if (!field) throw new ConfigError({ file, line, problem: 'end of line', expected: what });
  if (field.length !== 1) {
    throw new ConfigError({ file, line, problem: `a list '${field.map((t) => t.value).join(',')}' is not allowed here`, expected: what });
  }
  return field[0]!;
}

function parseRule(fields: HbaField[], file: string, line: number): HbaRule {
  const typeTok = single(fields[0], file, line, 'a connection type');
  const type = typeTok.value as HbaConnectionType;
  if (typeTok.quoted || !TYPES.has(type)) {
    throw new ConfigError({ file, line, problem: `invalid connection type '${typeTok.value}'`, expected: 'local, host, hostssl or hostnossl' });
  }
  if (!fields[1]) throw new ConfigError({ file, line, problem: 'end of line', expected: 'a database list' });
  if (!fields[2]) throw new ConfigError({ file, line, problem: 'end of line', expected: 'a user list' });
  const databaseTokens = expandAt(fields[1], file, line, 0);
  const userTokens = expandAt(fields[2], file, line, 0);

  let next = 3;
  let address: HbaAddress | undefined;
  if (type !== 'local') {
    const r = parseAddress(fields, next, file, line);
    address = r.address;
    next = r.next;
  }

  const methodTok = single(fields[next], file, line, `an authentication method (${METHOD_LIST})`);
  const method = methodTok.value as HbaMethod;
  if (!METHODS.has(method)) {
    throw new ConfigError({ file, line, problem: `authentication method '${methodTok.value}' is not supported`, expected: METHOD_LIST });
  }
  if (method === 'cert' && type !== 'hostssl') {
    throw new ConfigError({ file, line, problem: 'cert authentication needs an SSL connection', expected: 'connection type hostssl' });
  }

  const options: Record<string, string> = {};
  for (const f of fields.slice(next + 1)) {
    for (const tok of f) {
      const eq = tok.value.indexOf('=');
      if (eq <= 0) throw new ConfigError({ file, line, problem: `invalid option '${tok.value}'`, expected: 'name=value' });
      options[tok.value.slice(0, eq)] = tok.value.slice(eq + 1);
    }
  }

  return {
    file, line, type,
    databases: databaseTokens.map((t) => t.value),
    users: userTokens.map((t) => t.value),
    address, method, options, databaseTokens, userTokens,
  };
}

/** Replaces unquoted @file tokens by the names listed in that file (relative to the hba file). */
function expandAt(tokens: HbaToken[], file: string, line: number, depth: number): HbaToken[] {
  const out: HbaToken[] = [];
  for (const t of tokens) {
    if (t.quoted || !t.value.startsWith('@') || t.value.length < 2) {
      out.push(t);
      continue;
    }
    if (depth >= MAX_AT_DEPTH) throw new ConfigError({ file, line, problem: `@file nesting too deep at '${t.value}'`, expected: `at most ${MAX_AT_DEPTH} levels` });
    const target = path.resolve(path.dirname(path.resolve(file)), t.value.slice(1));
    let text: string;
    try {
      text = fs.readFileSync(target, 'utf8');
    } catch (e) {
      throw new ConfigError({ file, line, problem: `cannot read '${target}' (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`, expected: 'a readable @file' });
    }
    let inner: HbaToken[];
    try {
      inner = splitHbaIncludeFile(text);
    } catch (e) {
      throw new ConfigError({ file: target, problem: `syntax error: ${(e as Error).message}` });
    }
    out.push(...expandAt(inner, target, line, depth + 1));
  }
  return out;
}

function parseAddress(fields: HbaField[], at: number, file: string, line: number): { address: HbaAddress; next: number } {
  const tok = single(fields[at], file, line, 'an address (CIDR, address and mask, host name, samehost or samenet)');
  const text = tok.value;
  if (!tok.quoted && (text === 'all' || text === 'samehost' || text === 'samenet')) {
    return { address: { kind: text }, next: at + 1 };
  }

  const slash = text.indexOf('/');
  if (slash >= 0) {
    const ip = parseIp(text.slice(0, slash));
    const bitsText = text.slice(slash + 1);
    const mask = ip && /^\d+$/.test(bitsText) ? prefixMask(ip.length, Number(bitsText)) : undefined;
    if (!ip || !mask) throw new ConfigError({ file, line, problem: `invalid CIDR address '${text}'`, expected: 'address/prefix, e.g. 192.168.0.0/24 or fe80::/10' });
    return { address: ipAddress(text, ip, mask), next: at + 1 };
  }

  const ip = parseIp(text);
  if (ip) {
    // "ip mask" form: the mask is the next field.
    const maskTok = single(fields[at + 1], file, line, 'an IP mask after the address');
    const mask = parseIp(maskTok.value);
    if (!mask || mask.length !== ip.length) {
      throw new ConfigError({ file, line, problem: `invalid IP mask '${maskTok.value}'`, expected: `a mask of the same family as ${text}` });
    }
    return { address: ipAddress(`${text} ${maskTok.value}`, ip, mask), next: at + 2 };
  }

  if (!/^[A-Za-z0-9._-]+$/.test(text)) {
    throw new ConfigError({ file, line, problem: `invalid address '${text}'`, expected: 'CIDR, address and mask, host name, samehost or samenet' });
  }
  return { address: { kind: 'hostname', name: text.toLowerCase() }, next: at + 1 };
}

function ipAddress(text: string, ip: IpBytes, mask: IpBytes): HbaAddress {
  const network = ip.map((b, i) => b & mask[i]!);
  return { kind: 'ip', text, family: ip.length === 4 ? 4 : 6, network, mask };
}

// ---- matching --------------------------------------------------------------------------------

/** The first rule that applies to the client, or undefined (which the caller treats as reject). */
export function matchHba(rules: readonly HbaRule[], c: HbaClient, opts: HbaMatchOptions = {}): HbaRule | undefined {
  let ifaces: HbaInterface[] | undefined = opts.interfaces;
  const getIfaces = () => (ifaces ??= localInterfaces());
  const client = c.address !== undefined ? parseIp(c.address) : undefined;
  return rules.find((r) => typeMatches(r, c)
    && (r.type === 'local' || addressMatches(r.address!, client, c.hostname, getIfaces))
    && databaseMatches(r.databaseTokens, c)
    && userMatches(r.userTokens, c.user));
}

function typeMatches(r: HbaRule, c: HbaClient): boolean {
  switch (r.type) {
    case 'local': return c.local;
    case 'host': return !c.local;
    case 'hostssl': return !c.local && c.ssl;
    case 'hostnossl': return !c.local && !c.ssl;
  }
}

function addressMatches(a: HbaAddress, client: IpBytes | undefined, hostname: string | undefined, ifaces: () => HbaInterface[]): boolean {
  switch (a.kind) {
    case 'all':
      return true;
    case 'ip':
      return client !== undefined && clientInNetwork(client, a.network, a.mask);
    case 'samehost':
      return client !== undefined && ifaces().some((i) => {
        const addr = parseIp(i.address);
        return addr !== undefined && clientInNetwork(client, addr, new Uint8Array(addr.length).fill(0xff));
      });
    case 'samenet':
      return client !== undefined && ifaces().some((i) => {
        const addr = parseIp(i.address);
        const mask = parseIp(i.netmask);
        return addr !== undefined && mask !== undefined && mask.length === addr.length && clientInNetwork(client, addr, mask);
      });
    case 'hostname': {
      if (hostname === undefined) return false;
      const h = hostname.toLowerCase().replace(/\.$/, '');
      // A leading dot matches any host in that domain, as in PostgreSQL.
      return a.name.startsWith('.') ? h.endsWith(a.name) : h === a.name;
    }
  }
}

function databaseMatches(tokens: HbaToken[], c: HbaClient): boolean {
  return tokens.some((t) => {
    if (!t.quoted) {
      if (t.value === 'all') return true;
      if (t.value === 'sameuser') return c.database === c.user;
      if (t.value === 'samerole' || t.value === 'samegroup' || t.value.startsWith('+')) return false;
    }
    return t.value === c.database;
  });
}

function userMatches(tokens: HbaToken[], user: string): boolean {
  return tokens.some((t) => {
    if (!t.quoted) {
      if (t.value === 'all') return true;
      if (t.value.startsWith('+')) return false;
    }
    return t.value === user;
  });
}

function localInterfaces(): HbaInterface[] {
  const out: HbaInterface[] = [];
  for (const list of Object.values(os.networkInterfaces())) {
    for (const i of list ?? []) out.push({ address: i.address, netmask: i.netmask });
  }
  return out;
}
