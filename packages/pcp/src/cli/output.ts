/** What each pcp_* command prints on success, byte for byte as pgpool-II 4.3.5's client. */
import { localTimeAlways } from '../report/format';
import type { BackendInfo, PcpResult, PoolConfigRow } from '../client/requests';

const RAND_MAX = 2147483647;

/** format_titles(): "%-<widest>s : value" lines, then a blank line. */
function titled(titles: string[], values: string[]): string {
  const w = Math.max(...titles.map((t) => t.length));
  return titles.map((t, i) => `${t.padEnd(w)} : ${values[i]}\n`).join('') + '\n';
}

const STATUS_NAMES = ['unused', 'waiting', 'up'];
function statusName(b: BackendInfo): string {
  if (b.status === 3) return b.quarantine ? 'quarantine' : 'down';
  return STATUS_NAMES[b.status] ?? 'unknown';
}
const roleName = (r: number): string => ['main', 'replica', 'primary', 'standby'][r] ?? 'unknown';

const slotData = <T>(r: PcpResult, i: number): T | undefined => {
  const s = r.slots[i];
  return s && s.kind === 'data' ? (s.value as T) : undefined;
};

export function nodeCount(r: PcpResult, verbose: boolean): string {
  const s = r.slots[0];
  const n = s && s.kind === 'int' ? s.value : 0;
  return verbose ? `Node Count\n____________\n ${n}\n` : `${n}\n`;
}

export function nodeInfo(r: PcpResult, all: boolean, verbose: boolean): string {
  let out = '';
  let printed = false;
  for (let i = 0; i < r.slotCount; i++) {
    const b = slotData<BackendInfo>(r, i);
    if (!b) break;
    if (!all && b.hostname === '') continue;
    printed = true;
    const values = [
      b.hostname,
      String(b.port),
      String(b.status),
      (b.weight / RAND_MAX).toFixed(6),
      statusName(b),
      b.pgStatus,
      roleName(b.role),
      b.pgRole,
      String(b.delay),
      b.replicationState || 'none',
      b.replicationSyncState || 'none',
      localTimeAlways(b.statusChanged * 1000),
    ];
    out += verbose
      ? titled(
          ['Hostname', 'Port', 'Status', 'Weight', 'Status Name', 'Backend Status Name', 'Role', 'Backend Role', 'Replication Delay', 'Replication State', 'Replication Sync State', 'Last Status Change'],
          values,
        )
      : `${values.join(' ')}\n`;
  }
  if (!printed) out += 'No node information available\n\n';
  return out;
}

export function healthCheckStats(r: PcpResult, verbose: boolean): string {
  const f = slotData<string[]>(r, 0) ?? [];
  if (!verbose) return `${f.join(' ')}\n`;
  return titled(
    [
      'Node Id', 'Host Name', 'Port', 'Status', 'Role', 'Last Status Change', 'Total Count', 'Success Count', 'Fail Count',
      'Skip Count', 'Retry Count', 'Average Retry Count', 'Max Retry Count', 'Max Health Check Duration',
      'Minimum Health Check Duration', 'Average Health Check Duration', 'Last Health Check', 'Last Successful Health Check',
      'Last Skip Health Check', 'Last Failed Health Check',
    ],
    f,
  );
}

export function poolStatus(r: PcpResult, verbose: boolean): string {
  let out = '';
  for (let i = 0; i < r.slotCount; i++) {
    const s = slotData<PoolConfigRow>(r, i);
    if (verbose) {
      out += `Name [${String(i).padStart(3)}]:\t${s ? s.name : 'NULL'}\n`;
      out += `Value:      \t${s ? s.value : 'NULL'}\n`;
      out += `Description:\t${s ? s.desc : 'NULL'}\n\n`;
    } else if (!s) {
      out += `****Data at ${i} slot is NULL\n`;
    } else {
      out += `name : ${s.name}\nvalue: ${s.value}\ndesc : ${s.desc}\n\n`;
    }
  }
  return out;
}

export function procCount(r: PcpResult, verbose: boolean): string {
  const pids = slotData<number[]>(r, 0) ?? [];
  if (!verbose) return `${pids.map((p) => `${p} `).join('')}\n`;
  return `No \t | \t PID\n_____________________\n${pids.map((p, i) => `${i} \t | \t ${p}\n`).join('')}\nTotal Processes:${pids.length}\n`;
}

/** ProcessInfo fields arrive in SHOW POOL_POOLS order; the client prints them in its own order. */
export function procInfo(r: PcpResult, all: boolean, verbose: boolean): string {
  let out = '';
  let printed = false;
  for (let i = 0; i < r.slotCount; i++) {
    const f = slotData<string[]>(r, i);
    if (!f) break;
    const [pid, start, count, , backendId, database, user, backendTime, clientTime, clientGone, idle, major, minor, counter, backendPid, connected, status] = f;
    if ((!all && database === '') || pid === '') continue;
    printed = true;
    const values = [database, user, start, count, major, minor, backendTime, clientTime, idle, clientGone, counter, backendPid, connected, pid, backendId, status] as string[];
    out += verbose
      ? titled(
          ['Database', 'Username', 'Start time', 'Client connection count', 'Major', 'Minor', 'Backend connection time', 'Client connection time', 'Client idle duration', 'Client disconnection time', 'Pool Counter', 'Backend PID', 'Connected', 'PID', 'Backend ID', 'Status'],
          values,
        )
      : `${values.join(' ')}\n`;
  }
  if (!printed) out += 'No process information available\n\n';
  return out;
}

interface WdNode {
  ID: number;
  NodeName: string;
  HostName: string;
  DelegateIP: string;
  WdPort: number;
  PgpoolPort: number;
  State: number;
  StateName: string;
  Priority: number;
  Membership?: number;
  MembershipString?: string;
}

interface WdCluster {
  NodeCount: number;
  RemoteNodeCount: number;
  MemberRemoteNodeCount?: number;
  NodesRequireForQuorum?: number;
  QuorumStatus: number;
  AliveNodeCount: number;
  Escalated: number;
  LeaderNodeName: string;
  LeaderHostName: string;
  WatchdogNodes: WdNode[];
}

export function watchdogInfo(r: PcpResult, verbose: boolean): string {
  const c = slotData<WdCluster>(r, 0);
  if (!c) return '';
  const member = c.MemberRemoteNodeCount ?? -1;
  const nodes = c.WatchdogNodes ?? [];
  if (!verbose) {
    let out = `${c.RemoteNodeCount + 1} ${member + 1} ${c.Escalated ? 'YES' : 'NO'} ${c.LeaderNodeName} ${c.LeaderHostName}\n\n`;
    for (const n of nodes) {
      out += `${n.NodeName} ${n.HostName} ${n.PgpoolPort} ${n.WdPort} ${n.State} ${n.StateName} ${n.Membership ?? 0} ${n.MembershipString ?? 'NOT-Available'}\n`;
    }
    return out;
  }
  const quorum = { 0: 'QUORUM IS ON THE EDGE', 1: 'QUORUM EXIST', [-1]: 'QUORUM ABSENT', [-2]: 'NO LEADER NODE' }[c.QuorumStatus] ?? 'UNKNOWN';
  let out = 'Watchdog Cluster Information \n';
  out += `Total Nodes              : ${c.RemoteNodeCount + 1}\n`;
  out += `Remote Nodes             : ${c.RemoteNodeCount}\n`;
  out += `Member Remote Nodes      : ${member}\n`;
  out += `Alive Remote Nodes       : ${c.AliveNodeCount}\n`;
  out += `Nodes required for quorum: ${c.NodesRequireForQuorum ?? -1}\n`;
  out += `Quorum state             : ${quorum}\n`;
  out += `Local node escalation    : ${c.Escalated ? 'YES' : 'NO'}\n`;
  out += `Leader Node Name         : ${c.LeaderNodeName}\n`;
  out += `Leader Host Name         : ${c.LeaderHostName}\n\n`;
  out += 'Watchdog Node Information \n';
  for (const n of nodes) {
    out += `Node Name         : ${n.NodeName}\n`;
    out += `Host Name         : ${n.HostName}\n`;
    out += `Delegate IP       : ${n.DelegateIP}\n`;
    out += `Pgpool port       : ${n.PgpoolPort}\n`;
    out += `Watchdog port     : ${n.WdPort}\n`;
    out += `Node priority     : ${n.Priority}\n`;
    out += `Status            : ${n.State}\n`;
    out += `Status Name       : ${n.StateName}\n`;
    out += `Membership Status : ${n.MembershipString ?? 'NOT-Available'}\n\n`;
  }
  return out;
}
