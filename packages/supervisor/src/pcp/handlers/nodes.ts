/** pcp_node_count, pcp_node_info, pcp_health_check_stats. */
import {
  cstrings,
  epochSeconds,
  fixed6,
  healthCheckRow,
  nodeCount,
  nodeSlots,
  packet,
  pgRoleOf,
  pgStatusOf,
  rawDelay,
  roleOf,
  ROLE_CODE,
  STATUS_CODE,
  type NodeSlot,
} from '@pgrelay/pcp';
import type { ClusterState } from '@pgrelay/cluster';
import type { BackendConfig } from '@pgrelay/config';
import { atoi, pcpError } from '../errors';
import { healthRows } from '../health-stats';
import { reply, type Handler } from './types';

const RAND_MAX = 2147483647;

export const nodeCountHandler: Handler = (ctx) => {
  return reply(packet('l', 'CommandComplete', String(nodeCount(ctx.sup.table.state))));
};

function nodeInfoPacket(state: ClusterState, n: NodeSlot): Buffer {
  return packet(
    'i',
    'NodeInfo',
    n.host,
    String(n.port),
    String(STATUS_CODE[n.status]),
    n.quarantine ? '1' : '0',
    pgStatusOf(n),
    // pgpool sends the share scaled by RAND_MAX; its client divides it back.
    fixed6(n.weight * RAND_MAX),
    String(ROLE_CODE[roleOf(state, n.id)]),
    pgRoleOf(state, n),
    rawDelay(n),
    n.replicationState ?? '',
    n.replicationSyncState ?? '',
    epochSeconds(n.lastStatusChange),
  );
}

export const nodeInfoHandler: Handler = (ctx, body) => {
  const raw = cstrings(body)[0] ?? '';
  const id = atoi(raw);
  const state = ctx.sup.table.state;
  const slots = nodeSlots(state);
  if (id !== -1 && (id < 0 || id >= slots.length)) throw pcpError('informing node info failed', `invalid node ID : ${raw}`);
  const chosen = id === -1 ? slots : [slots[id]!];
  return reply(
    packet('i', 'ArraySize', String(chosen.length)),
    ...chosen.map((n) => nodeInfoPacket(state, n)),
    packet('i', 'CommandComplete'),
  );
};

export const healthCheckStatsHandler: Handler = (ctx, body) => {
  const id = atoi(cstrings(body)[0] ?? '');
  const state = ctx.sup.table.state;
  const slots = nodeSlots(state);
  // pgpool's bound check lets id == NUM_BACKENDS through to the lookup, which then fails.
  if (id < 0 || id > slots.length) throw pcpError('informing health check stats info failed', `invalid node ID ${id}`);
  const n = slots[id];
  if (!n) throw pcpError('informing health check stats info failed', `stats data for node ID ${id} does not exist`);
  const checked = healthRows(ctx.sup)?.find((r) => r[0] === String(id));
  if (checked) return reply(packet('h', 'CommandComplete', ...checked));
  const cfg = ctx.sup.config();
  const period = (nodeId: number) => {
    const b = (cfg.backends as BackendConfig[]).find((x) => x.id === nodeId);
    return b ? b.healthCheck.period : Number(cfg.health_check_period ?? 0);
  };
  // No health checker: no check has run, so every counter is 0.
  return reply(packet('h', 'CommandComplete', ...healthCheckRow(state, n, undefined, period)));
};
