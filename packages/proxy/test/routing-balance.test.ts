/** Choosing a session's load-balance node (pgpool-compat.md §10, first paragraph). */
import type { ClusterState, NodeState } from '@pgrelay/cluster';
import { isLagging, leastLaggedStandby, selectLoadBalanceNode, type BalanceInput } from '../src/routing/balance';
import { anchoredRegex, parsePreferenceList } from '../src/routing/preference';
import { sessionNodes } from '../src/routing/session-nodes';
import { parseDmlRelations, routingSettings } from '../src/routing/settings';

function node(id: number, weight: number, extra: Partial<NodeState> = {}): NodeState {
  return { id, host: 'h', port: 5432 + id, status: 'up', role: id === 0 ? 'primary' : 'standby', weight, lastStatusChange: 0, replicationDelay: 0, ...extra };
}

/** A deterministic uniform source (mulberry32). */
function rng(seed: number): () => number {
  let a = seed;
  return () => {
    a |= 0;
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const noLists = { databaseRedirect: [], appNameRedirect: [], delayThreshold: 0, delayThresholdByTime: 0, preferLowerDelayStandby: false };

function input(nodes: NodeState[], over: Partial<BalanceInput> = {}, settings: Partial<BalanceInput['settings']> = {}): BalanceInput {
  return { nodes, primaryId: 0, settings: { ...noLists, ...settings }, database: 'db', applicationName: '', random: rng(7), ...over };
}

function shares(make: () => number, n = 20000): Map<number, number> {
  const out = new Map<number, number>();
  for (let i = 0; i < n; i++) {
    const id = make();
    out.set(id, (out.get(id) ?? 0) + 1 / n);
  }
  return out;
}

describe('weighted draw', () => {
  test.each([
    [[1, 1, 1], [1 / 3, 1 / 3, 1 / 3]],
    [[0, 1, 1], [0, 0.5, 0.5]],
    [[1, 2, 1], [0.25, 0.5, 0.25]],
    [[1, 0, 0], [1, 0, 0]],
  ])('weights %j give shares %j', (weights, expected) => {
    const nodes = weights.map((w, i) => node(i, w));
    const r = rng(42);
    const s = shares(() => selectLoadBalanceNode(input(nodes, { random: r })));
    expected.forEach((e, i) => expect(s.get(i) ?? 0).toBeCloseTo(e, 1));
  });

  test('down nodes are never chosen; waiting ones are', () => {
    const nodes = [node(0, 1), node(1, 1, { status: 'down' }), node(2, 1, { status: 'waiting' })];
    const r = rng(1);
    const s = shares(() => selectLoadBalanceNode(input(nodes, { random: r })), 2000);
    expect(s.get(1)).toBeUndefined();
    expect(s.get(2)).toBeGreaterThan(0.4);
  });

  test('every weight 0: the main node', () => {
    expect(selectLoadBalanceNode(input([node(0, 0), node(1, 0)]))).toBe(0);
  });
});

describe('redirect preference lists', () => {
  const nodes = [node(0, 1), node(1, 1), node(2, 1)];
  test('database list: a node number, primary, standby', () => {
    const to = (list: string, db = 'db') => selectLoadBalanceNode(input(nodes, { database: db }, { databaseRedirect: parsePreferenceList(list) }));
    expect(to('db:2')).toBe(2);
    expect(to('other:2,d.*:1')).toBe(1);
    expect(to('DB:primary')).toBe(0);
    for (let i = 0; i < 50; i++) expect([1, 2]).toContain(selectLoadBalanceNode(input(nodes, { random: rng(i) }, { databaseRedirect: parsePreferenceList('db:standby') })));
    // patterns are anchored: 'd' does not match 'db'
    const r = rng(3);
    const s = shares(() => selectLoadBalanceNode(input(nodes, { random: r }, { databaseRedirect: parsePreferenceList('d:2') })), 3000);
    expect(s.get(0)).toBeGreaterThan(0.25);
  });

  test('application name wins over database', () => {
    const settings = { databaseRedirect: parsePreferenceList('db:1'), appNameRedirect: parsePreferenceList('psql:2') };
    expect(selectLoadBalanceNode(input(nodes, { applicationName: 'psql' }, settings))).toBe(2);
    expect(selectLoadBalanceNode(input(nodes, { applicationName: 'other' }, settings))).toBe(1);
    expect(selectLoadBalanceNode(input(nodes, { applicationName: '' }, settings))).toBe(1);
  });

  test('a ratio: the target that often, else a draw over the others', () => {
    const r = rng(9);
    const s = shares(() => selectLoadBalanceNode(input(nodes, { random: r }, { databaseRedirect: parsePreferenceList('db:2(0.3)') })));
    expect(s.get(2)!).toBeCloseTo(0.3, 1);
    expect(s.get(0)!).toBeCloseTo(0.35, 1);
  });

  test('standby with a ratio: otherwise the primary', () => {
    const r = rng(11);
    const s = shares(() => selectLoadBalanceNode(input(nodes, { random: r }, { databaseRedirect: parsePreferenceList('db:standby(0.2)') })));
    expect(s.get(0)!).toBeCloseTo(0.8, 1);
  });

  test('a target that is down is ignored', () => {
    const down = [node(0, 1), node(1, 1), node(2, 1, { status: 'down' })];
    const r = rng(5);
    const s = shares(() => selectLoadBalanceNode(input(down, { random: r }, { databaseRedirect: parsePreferenceList('db:2') })), 2000);
    expect(s.get(2)).toBeUndefined();
  });

  test('parsing: spaces, case, bad entries skipped with a warning', () => {
    const warnings: string[] = [];
    const l = parsePreferenceList(' a:1 , b.*:Primary(0.5), c:nowhere, :1, d:2(1.5)', (m) => warnings.push(m));
    expect(l.map((p) => [p.pattern.source, p.target, p.ratio])).toEqual([
      ['^(?:a)$', 1, 1],
      ['^(?:b.*)$', 'primary', 0.5],
    ]);
    expect(warnings).toHaveLength(3);
    expect(anchoredRegex('^x$')!.test('X')).toBe(true);
    expect(anchoredRegex('(')).toBeNull();
  });
});

describe('replication delay', () => {
  const lagging = [node(0, 1), node(1, 1, { replicationDelay: 5000 }), node(2, 1, { replicationDelay: 100 })];

  test('isLagging: bytes, or microseconds with delay_threshold_by_time; never the primary', () => {
    expect(isLagging(lagging[1], 0, { delayThreshold: 1000, delayThresholdByTime: 0 })).toBe(true);
    expect(isLagging(lagging[2], 0, { delayThreshold: 1000, delayThresholdByTime: 0 })).toBe(false);
    expect(isLagging(lagging[1], 0, { delayThreshold: 0, delayThresholdByTime: 0 })).toBe(false);
    expect(isLagging(node(1, 1, { replicationDelay: 2_000_000 }), 0, { delayThreshold: 0, delayThresholdByTime: 1500 })).toBe(true);
    expect(isLagging(node(0, 1, { replicationDelay: 99999 }), 0, { delayThreshold: 1, delayThresholdByTime: 0 })).toBe(false);
  });

  test('prefer_lower_delay_standby: a lagging choice becomes the least-lagged standby', () => {
    const r = rng(2);
    const s = shares(() => selectLoadBalanceNode(input(lagging, { random: r }, { delayThreshold: 1000, preferLowerDelayStandby: true })), 3000);
    expect(s.get(1)).toBeUndefined();
    expect(s.get(2)!).toBeGreaterThan(0.6);
  });

  test('without it the lagging node stays the session node (its reads go to the primary later)', () => {
    const r = rng(2);
    const s = shares(() => selectLoadBalanceNode(input(lagging, { random: r }, { delayThreshold: 1000 })), 3000);
    expect(s.get(1)!).toBeGreaterThan(0.25);
  });

  test('leastLaggedStandby: ties share by weight; none within the threshold → primary', () => {
    const tie = [node(0, 1), node(1, 1, { replicationDelay: 10 }), node(2, 3, { replicationDelay: 10 })];
    const r = rng(4);
    const s = shares(() => leastLaggedStandby({ nodes: tie, primaryId: 0, settings: { ...noLists, delayThreshold: 1000 }, random: r }), 4000);
    expect(s.get(2)!).toBeCloseTo(0.75, 1);
    const far = [node(0, 1), node(1, 1, { replicationDelay: 5000 })];
    expect(leastLaggedStandby({ nodes: far, primaryId: 0, settings: { ...noLists, delayThreshold: 1000 }, random: rng(1) })).toBe(0);
  });
});

describe('which backends a session connects to', () => {
  const state = (mode = 'streaming_replication'): ClusterState => ({ version: 1, mode, nodes: [node(0, 0), node(1, 1), node(2, 1)], primaryId: 0, mainId: 0 });
  const settings = (conf: Record<string, unknown>) => routingSettings({ load_balance_mode: true, ...conf } as never);
  const who = { database: 'db', applicationName: '' };

  test('the primary plus the balance node', () => {
    const s = sessionNodes(state(), 0, settings({}), who, rng(1));
    expect([1, 2]).toContain(s.balance);
    expect(s.extra).toEqual([s.balance]);
  });

  test('load_balance_mode off, or another clustering mode: the primary only', () => {
    expect(sessionNodes(state(), 0, settings({ load_balance_mode: false }), who)).toEqual({ balance: 0, extra: [] });
    expect(sessionNodes(state('raw'), 0, settings({}), who)).toEqual({ balance: 0, extra: [] });
  });

  test('statement_level_load_balance and prefer_lower_delay_standby: every node that takes reads', () => {
    expect(sessionNodes(state(), 0, settings({ statement_level_load_balance: true }), who, rng(1)).extra.sort()).toEqual([1, 2]);
    expect(sessionNodes(state(), 0, settings({ prefer_lower_delay_standby: true, delay_threshold: 10 }), who, rng(1)).extra.sort()).toEqual([1, 2]);
  });
});

test('dml_adaptive_object_relationship_list: pairs, and extra dependencies after a pair', () => {
  expect([...parseDmlRelations('t1:t2, T3:f1(), t1:t4,t5;t6:t7')]).toEqual([
    ['t1', ['t2', 't4', 't5']],
    ['t3', ['f1()']],
    ['t6', ['t7']],
  ]);
});
