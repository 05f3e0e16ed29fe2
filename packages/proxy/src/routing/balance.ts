/**
 * Choosing a session's load-balance node, as pgpool's select_load_balancing_node does:
 * redirect preference lists first (application name over database), then a weighted draw
 * over the usable nodes, then — with prefer_lower_delay_standby — the least-lagged
 * standbys instead of one that lags. Pure: the random source is a parameter.
 */
import type { NodeState } from '@pgrelay/cluster';
import { firstMatch, type Preference } from './preference';
import type { RoutingSettings } from './settings';

export interface BalanceInput {
  nodes: readonly NodeState[];
  primaryId: number;
  settings: Pick<
    RoutingSettings,
    'databaseRedirect' | 'appNameRedirect' | 'delayThreshold' | 'delayThresholdByTime' | 'preferLowerDelayStandby'
  >;
  database: string;
  applicationName: string;
  /** Uniform in [0, 1). */
  random: () => number;
}

const usable = (n: NodeState | undefined): n is NodeState => n !== undefined && (n.status === 'up' || n.status === 'waiting');

/** The lag above which a standby gets no reads, in the unit the sr check reports; 0 = none. */
export function lagLimit(s: Pick<RoutingSettings, 'delayThreshold' | 'delayThresholdByTime'>): number {
  return s.delayThresholdByTime > 0 ? s.delayThresholdByTime * 1000 : s.delayThreshold;
}

/** True when `node` is a standby whose last measured lag is over the threshold. */
export function isLagging(node: NodeState | undefined, primaryId: number, s: Pick<RoutingSettings, 'delayThreshold' | 'delayThresholdByTime'>): boolean {
  const limit = lagLimit(s);
  return limit > 0 && node !== undefined && node.id !== primaryId && node.replicationDelay > limit;
}

function mainId(nodes: readonly NodeState[]): number {
  for (const n of nodes) if (usable(n)) return n.id;
  return -1;
}

/**
 * pgpool's weighted draw: walk the candidates in id order, keep the last one whose running
 * weight total is not above r. `fallback` when nothing qualifies.
 */
function weightedDraw(candidates: readonly NodeState[], r: number, fallback: number): number {
  let total = 0;
  for (const n of candidates) total += n.weight;
  const x = r * total;
  let acc = 0;
  let chosen = fallback;
  for (const n of candidates) {
    if (n.weight <= 0) continue;
    if (x >= acc) chosen = n.id;
    else break;
    acc += n.weight;
  }
  return chosen;
}

/** The least-lagged standbys (at most the threshold), weighted; the primary when none is. */
export function leastLaggedStandby(input: Pick<BalanceInput, 'nodes' | 'primaryId' | 'settings' | 'random'>): number {
  let lowest = lagLimit(input.settings);
  let best: NodeState[] = [];
  for (const n of input.nodes) {
    if (!usable(n) || n.id === input.primaryId || n.weight <= 0) continue;
    if (n.replicationDelay === lowest) best.push(n);
    else if (n.replicationDelay < lowest) {
      lowest = n.replicationDelay;
      best = [n];
    }
  }
  return best.length === 0 ? input.primaryId : weightedDraw(best, input.random(), best[0]!.id);
}

/** A preference's target as a node id; -1 for "any standby"; null when it names no usable node. */
function targetOf(p: Preference, nodes: readonly NodeState[], primaryId: number): number | null {
  let id: number;
  if (p.target === 'standby') return -1;
  if (p.target === 'primary') id = primaryId >= 0 ? primaryId : mainId(nodes);
  else id = nodes.some((n) => n.id === p.target) ? p.target : mainId(nodes);
  return usable(nodes.find((n) => n.id === id)) ? id : null;
}

export function selectLoadBalanceNode(input: BalanceInput): number {
  const { nodes, primaryId, settings } = input;
  const prefer = settings.preferLowerDelayStandby && lagLimit(settings) > 0;
  const r = input.random();
  let match = firstMatch(settings.databaseRedirect, input.database);
  if (input.applicationName !== '') match = firstMatch(settings.appNameRedirect, input.applicationName) ?? match;
  const suggested = match ? targetOf(match, nodes, primaryId) : null;
  let excluded = -2;
  if (match && suggested !== null && suggested >= 0) {
    if (prefer && suggested !== primaryId && isLagging(nodes.find((n) => n.id === suggested), primaryId, settings)) {
      return leastLaggedStandby(input);
    }
    if (r <= match.ratio) return suggested;
    excluded = suggested;
  }
  const standbysOnly = match !== undefined && suggested === -1;
  if (standbysOnly && r > match!.ratio) return primaryId;
  const candidates = nodes.filter((n) => usable(n) && n.id !== excluded && !(standbysOnly && n.id === primaryId));
  const chosen = weightedDraw(candidates, input.random(), mainId(nodes));
  if (prefer && isLagging(nodes.find((n) => n.id === chosen), primaryId, settings)) return leastLaggedStandby(input);
  return chosen;
}
