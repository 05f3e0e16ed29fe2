/**
 * IP addresses as byte arrays, for pool_hba.conf address matching. An IPv4 client seen
 * through a dual-stack socket arrives as ::ffff:a.b.c.d and must still match IPv4 rules.
 */

export type IpBytes = Uint8Array; // 4 or 16 bytes

export function parseIpv4(text: string): IpBytes | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  const out = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    const p = parts[i]!;
    if (!/^\d{1,3}$/.test(p)) return undefined;
    const n = Number(p);
    if (n > 255) return undefined;
    out[i] = n;
  }
  return out;
}

export function parseIpv6(text: string): IpBytes | undefined {
  let s = text;
  const zone = s.indexOf('%');
  if (zone >= 0) s = s.slice(0, zone);
  if (!/^[0-9A-Fa-f:.]+$/.test(s)) return undefined;

  let tail: number[] = [];
  // An embedded dotted IPv4 address at the end counts as the last two groups.
  const lastColon = s.lastIndexOf(':');
  if (s.indexOf('.', lastColon) >= 0) {
    const v4 = parseIpv4(s.slice(lastColon + 1));
    if (!v4) return undefined;
    tail = [(v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!];
    s = s.slice(0, lastColon);
    // "::1.2.3.4" leaves ":" and "1::1.2.3.4" leaves "1:": the cut split a "::".
    if (s.endsWith(':')) s += ':';
  }

  const halves = s.split('::');
  if (halves.length > 2) return undefined;
  const groups = (h: string): number[] | undefined => {
    if (h === '') return [];
    const out: number[] = [];
    for (const g of h.split(':')) {
      if (!/^[0-9A-Fa-f]{1,4}$/.test(g)) return undefined;
      out.push(parseInt(g, 16));
    }
    return out;
  };
  const head = groups(halves[0]!);
  const rest = halves.length === 2 ? groups(halves[1]!) : [];
  if (!head || !rest) return undefined;
  const right = [...rest, ...tail];
  const fill = 8 - head.length - right.length;
  if (halves.length === 2 ? fill < 1 : fill !== 0) return undefined;
  const all = [...head, ...new Array<number>(fill).fill(0), ...right];
  const out = new Uint8Array(16);
  all.forEach((g, i) => {
    out[2 * i] = g >> 8;
    out[2 * i + 1] = g & 0xff;
  });
  return out;
}

export function parseIp(text: string): IpBytes | undefined {
  return text.includes(':') ? parseIpv6(text) : parseIpv4(text);
}

export function prefixMask(len: number, bits: number): IpBytes | undefined {
  if (!Number.isInteger(bits) || bits < 0 || bits > len * 8) return undefined;
  const out = new Uint8Array(len);
  for (let i = 0; i < len; i++) {
    const b = Math.min(8, Math.max(0, bits - i * 8));
    out[i] = b === 0 ? 0 : (0xff << (8 - b)) & 0xff;
  }
  return out;
}

const MAPPED_PREFIX = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff];

/** The IPv4 address inside ::ffff:a.b.c.d, or undefined. */
export function unmapV4(ip: IpBytes): IpBytes | undefined {
  if (ip.length !== 16) return undefined;
  for (let i = 0; i < 12; i++) if (ip[i] !== MAPPED_PREFIX[i]) return undefined;
  return ip.slice(12);
}

export function mapV4(ip: IpBytes): IpBytes {
  const out = new Uint8Array(16);
  out.set(MAPPED_PREFIX);
  out.set(ip, 12);
  return out;
}

export function inNetwork(ip: IpBytes, network: IpBytes, mask: IpBytes): boolean {
  if (ip.length !== network.length || mask.length !== network.length) return false;
  for (let i = 0; i < ip.length; i++) if ((ip[i]! & mask[i]!) !== (network[i]! & mask[i]!)) return false;
  return true;
}

/**
 * Matches a client address against a network, treating an IPv4-mapped IPv6 client as the
 * IPv4 address it carries (and a plain IPv4 client as mapped when the rule is IPv6).
 */
export function clientInNetwork(client: IpBytes, network: IpBytes, mask: IpBytes): boolean {
  if (client.length === network.length) return inNetwork(client, network, mask);
  if (network.length === 4) {
    const v4 = unmapV4(client);
    return v4 !== undefined && inNetwork(v4, network, mask);
  }
  return inNetwork(mapV4(client), network, mask);
}
