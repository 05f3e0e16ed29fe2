/**
 * Which backends a new session connects to: the primary (login.ts), its load-balance node,
 * and — when the balance node may change during the session (statement_level_load_balance,
 * prefer_lower_delay_standby) — every other node that can take reads, as pgpool does.
 */
import type { ClusterState } from '@pgrelay/cluster';
import { lagLimit, selectLoadBalanceNode } from './balance';
import type { RoutingSettings } from './settings';

export interface SessionNodes {
  /** The session's load-balance node (the primary when reads gain nothing elsewhere). */
  balance: number;
  /** Nodes besides the primary to connect to, balance node first. */
  extra: number[];
}

export function sessionNodes(
  state: ClusterState,
  primaryId: number,
  settings: RoutingSettings,
  who: { database: string; applicationName: string },
  random: () => number = Math.random,
): SessionNodes {
  const streaming = state.mode === 'streaming_replication' || state.mode === 'logical_replication';
  if (!streaming || !settings.loadBalance) return { balance: primaryId, extra: [] };
  const balance = selectLoadBalanceNode({ nodes: state.nodes, primaryId, settings, ...who, random });
  const extra = balance === primaryId ? [] : [balance];
  const mayMove = settings.statementLevel || (settings.preferLowerDelayStandby && lagLimit(settings) > 0);
  if (mayMove) {
    for (const n of state.nodes) {
      if (n.id === primaryId || n.id === balance || n.weight <= 0) continue;
      if (n.status === 'up' || n.status === 'waiting') extra.push(n.id);
    }
  }
  return { balance, extra };
}
