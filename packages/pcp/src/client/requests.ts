/**
 * PCP requests and how their answers are read, following libpcp's result model: a result
 * has slots (one per returned row, or one int/blob), a status, and the last error text.
 * The commands print from that, so quirks like "Command Successful" for an empty node
 * list come out as pgpool's do.
 */
import { formatNotice, parseNotice } from '../notice';
import { cstrings, packet } from '../wire';
import type { PcpConnection } from './connection';

export type Slot = { kind: 'int'; value: number } | { kind: 'data'; value: unknown; length: number };

export interface PcpResult {
  status: 'ok' | 'incomplete' | 'bad_response' | 'backend_error' | 'error';
  slotCount: number;
  slots: (Slot | undefined)[];
  nextFill: number;
  error?: string;
}

/** A node as libpcp decodes NodeInfo (numbers parsed with atoi/atof as it does). */
export interface BackendInfo {
  hostname: string;
  port: number;
  status: number;
  quarantine: number;
  pgStatus: string;
  /** Normalised weight × RAND_MAX, as sent. */
  weight: number;
  role: number;
  pgRole: string;
  delay: number;
  replicationState: string;
  replicationSyncState: string;
  statusChanged: number;
}

export interface PoolConfigRow {
  name: string;
  value: string;
  desc: string;
}

const cAtoi = (s: string | undefined): number => {
  const m = /^\s*([+-]?\d+)/.exec(s ?? '');
  return m ? parseInt(m[1]!, 10) : 0;
};
const cAtof = (s: string | undefined): number => {
  const m = /^\s*([+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?)/.exec(s ?? '');
  return m ? parseFloat(m[1]!) : 0;
};

function emptyResult(): PcpResult {
  return { status: 'ok', slotCount: 1, slots: [], nextFill: 0 };
}

/** libpcp's pcp_result_is_empty: what makes a command print "-- Command Successful". */
export function isEmptyResult(r: PcpResult): boolean {
  const s = r.slots[0];
  return r.slotCount <= 1 && (s === undefined || (s.kind === 'data' && s.length <= 0));
}

function setSlotCount(r: PcpResult, n: number): void {
  if (n > 0) r.slotCount = n;
}

function pushSlot(r: PcpResult, s: Slot): boolean {
  if (r.nextFill >= r.slotCount) return false;
  r.slots[r.nextFill++] = s;
  return true;
}

/** First NUL-terminated string of a payload. */
const head = (body: Buffer): string => {
  const i = body.indexOf(0);
  return body.toString('utf8', 0, i < 0 ? body.length : i);
};

function invalid(r: PcpResult): void {
  r.status = 'bad_response';
  r.error = 'command failed. invalid response';
}

function commandComplete(r: PcpResult, body: Buffer): void {
  const h = head(body);
  if (h === 'CommandComplete') r.status = 'ok';
  else {
    r.error = `command failed with reason: "${h}"`;
    r.status = 'bad_response';
  }
}

/** Reads answers to one request until the result is complete, as process_pcp_response does. */
export async function exchange(conn: PcpConnection, sent: string, request: Buffer, trace: string): Promise<PcpResult> {
  conn.send(request, trace);
  const r = emptyResult();
  r.status = 'incomplete';
  for (;;) {
    const p = await conn.read();
    if (p === null) {
      r.status = 'error';
      r.error = 'ERROR: unable to read data from socket.';
      return r;
    }
    const body = p.body;
    const expect = (...types: string[]) => types.includes(sent);
    switch (p.type) {
      case 'E':
        r.status = 'backend_error';
        r.error = formatNotice(parseNotice(body));
        break;
      case 'l':
        if (!expect('L')) r.status = 'bad_response';
        else if (head(body) === 'CommandComplete') {
          r.slots[0] = { kind: 'int', value: cAtoi(cstrings(body)[1]) };
          r.status = 'ok';
        } else commandComplete(r, body);
        break;
      case 'i':
        if (!expect('I')) r.status = 'bad_response';
        else readNodeInfo(r, body);
        break;
      case 'h':
        if (!expect('H')) r.status = 'bad_response';
        else if (head(body) !== 'CommandComplete') invalid(r);
        else {
          const fields = cstrings(body).slice(1);
          while (fields.length < 20) fields.push('');
          r.slots[0] = { kind: 'data', value: fields.slice(0, 20), length: 1 };
          r.status = 'ok';
        }
        break;
      case 'n':
        if (!expect('N')) r.status = 'bad_response';
        else if (head(body) !== 'CommandComplete') commandComplete(r, body);
        else {
          const parts = cstrings(body);
          const count = cAtoi(parts[1]);
          const pids = parts.slice(2, 2 + Math.max(0, count)).map(cAtoi);
          r.slots[0] = { kind: 'data', value: pids, length: pids.length * 4 };
          r.status = 'ok';
        }
        break;
      case 'p':
        if (!expect('P')) r.status = 'bad_response';
        else readRows(r, body, 'ProcessInfo', (b) => {
          const f = cstrings(b).slice(1);
          while (f.length < 17) f.push('');
          return f.slice(0, 17);
        }, (b) => cAtoi(cstrings(b)[1]));
        break;
      case 'b':
        if (!expect('B')) r.status = 'bad_response';
        else readRows(r, body, 'ProcessConfig', (b) => {
          const [, name = '', value = '', desc = ''] = cstrings(b);
          return { name, value, desc } satisfies PoolConfigRow;
        }, (b) => (b.length >= 14 ? b.readInt32BE(10) : 0));
        break;
      case 'w':
        if (!expect('W')) r.status = 'bad_response';
        else if (head(body) !== 'CommandComplete') commandComplete(r, body);
        else {
          const json = body.toString('utf8', 'CommandComplete'.length + 1).replace(/\0[\s\S]*$/, '');
          try {
            r.slots[0] = { kind: 'data', value: JSON.parse(json), length: json.length };
            r.status = 'ok';
          } catch {
            invalid(r);
          }
        }
        break;
      case 'c':
        if (!expect('C', 'O')) r.status = 'bad_response';
        else commandComplete(r, body);
        break;
      case 'd':
        if (!expect('D', 'J')) r.status = 'bad_response';
        else commandComplete(r, body);
        break;
      case 'a':
        if (!expect('A')) r.status = 'bad_response';
        else commandComplete(r, body);
        break;
      case 'z':
        if (!expect('Z')) r.status = 'bad_response';
        else commandComplete(r, body);
        break;
      case 't':
        r.status = expect('T') ? 'ok' : 'bad_response';
        break;
      default:
        r.status = 'bad_response';
        r.error = `ERROR: invalid PCP packet type ="${p.type}"`;
    }
    if (r.status !== 'incomplete') return r;
  }
}

function readRows(r: PcpResult, body: Buffer, rowTag: string, parse: (b: Buffer) => unknown, count: (b: Buffer) => number): void {
  const h = head(body);
  if (h === 'ArraySize') {
    r.status = 'incomplete';
    setSlotCount(r, count(body));
    r.nextFill = 0;
  } else if (h === rowTag) {
    if (r.status !== 'incomplete' || !pushSlot(r, { kind: 'data', value: parse(body), length: 1 })) invalid(r);
  } else if (h === 'CommandComplete') {
    r.status = 'ok';
  } else invalid(r);
}

function readNodeInfo(r: PcpResult, body: Buffer): void {
  readRows(r, body, 'NodeInfo', (b) => {
    const f = cstrings(b).slice(1);
    return {
      hostname: f[0] ?? '',
      port: cAtoi(f[1]),
      status: cAtoi(f[2]),
      quarantine: cAtoi(f[3]),
      pgStatus: f[4] ?? '',
      weight: cAtof(f[5]),
      role: cAtoi(f[6]),
      pgRole: f[7] ?? '',
      delay: cAtoi(f[8]),
      replicationState: f[9] ?? '',
      replicationSyncState: f[10] ?? '',
      statusChanged: cAtoi(f[11]),
    } satisfies BackendInfo;
  }, (b) => cAtoi(cstrings(b)[1]));
}

/** The request packet and the -d trace libpcp prints for each command (its own spellings kept). */
export const requests = {
  nodeCount: () => ({ sent: 'L', bytes: packet('L'), trace: 'DEBUG: send: tos="L"' }),
  nodeInfo: (id: number) => ({ sent: 'I', bytes: packet('I', String(id)), trace: 'DEBUG: send: tos="I"' }),
  healthCheckStats: (id: number) => ({ sent: 'H', bytes: packet('H', String(id)), trace: 'DEBUG: send: tos="L"' }),
  processCount: () => ({ sent: 'N', bytes: packet('N'), trace: 'DEBUG: send: tos="N"' }),
  processInfo: (pid: number) => ({ sent: 'P', bytes: packet('P', String(pid)), trace: 'DEBUG: send: tos="P"' }),
  poolStatus: () => ({ sent: 'B', bytes: packet('B'), trace: 'DEBUG pcp_pool_status: send: tos="B"' }),
  detachNode: (id: number, gracefully: boolean) => ({ sent: 'D', bytes: packet(gracefully ? 'd' : 'D', String(id)), trace: 'DEBUG: send: tos="D"' }),
  attachNode: (id: number) => ({ sent: 'C', bytes: packet('C', String(id)), trace: 'DEBUG: send: tos="C"' }),
  recoveryNode: (id: number) => ({ sent: 'O', bytes: packet('O', String(id)), trace: 'DEBUG: send: tos="D"' }),
  // "<id> " with a space, then the option byte without NUL: 4.3.5's layout.
  promoteNode: (id: number, gracefully: boolean, switchover: boolean) => ({
    sent: 'J',
    bytes: packet(gracefully ? 'j' : 'J', `${id} `, Buffer.from(switchover ? 's' : 'n')),
    trace: 'DEBUG: send: tos="E"',
  }),
  stopPgpool: (mode: 's' | 'f' | 'i', scope: 'l' | 'c') => ({
    sent: 'T',
    bytes: packet(scope === 'l' ? 'T' : 't', Buffer.from(mode)),
    trace: 'DEBUG: send: tos="T"',
  }),
  reloadConfig: (scope: 'l' | 'c') => ({ sent: 'Z', bytes: packet('Z', Buffer.from(scope)), trace: 'DEBUG: send: tos="Z"' }),
  watchdogInfo: (id: number) => ({ sent: 'W', bytes: packet('W', String(id)), trace: 'DEBUG: send: tos="W"' }),
};
