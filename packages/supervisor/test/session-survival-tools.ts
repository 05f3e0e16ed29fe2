/**
 * Shared by the session-survival tests: a pgrelay with the sample failover scripts, clients
 * that run a workload and count what they saw, and checks on the servers themselves.
 */
import { startCluster, type Cluster, type Pgrelay } from '@pgrelay/testkit';
import { Client } from 'pg';

import { relayWithScripts } from './failover-tools';

export { relayWithScripts, ROOT } from './failover-tools';

/**
 * Every commit on the primary waits until both standbys have applied it, so a write the
 * client saw committed is on whichever standby is promoted (set after the standbys were
 * cloned: only node 0 has it). remote_apply, not on: with the testkit's fsync = off, commits
 * acknowledged at 'on' were measured missing after promotion (91 of 8134 in one run, direct
 * clients, no pgrelay); with remote_apply none were.
 */
export async function synchronousStandbys(cluster: Cluster): Promise<void> {
  await cluster.nodes[0]!.query("ALTER SYSTEM SET synchronous_standby_names = 'ANY 2 (node1, node2)'");
  await cluster.nodes[0]!.query("ALTER SYSTEM SET synchronous_commit = 'remote_apply'");
  await cluster.nodes[0]!.query('SELECT pg_reload_conf()');
  await cluster.waitForCatchup();
}

export async function client(port: number, name: string): Promise<Client> {
  const c = new Client({ host: '127.0.0.1', port, user: 'postgres', database: 'test', application_name: name, connectionTimeoutMillis: 10_000 });
  await c.connect();
  return c;
}

/** Outcomes by name (e.g. "ok", "08007", "lost connection"), kept per client group. */
export class Tally {
  readonly counts = new Map<string, Map<string, number>>();

  add(group: string, outcome: string): void {
    const g = this.counts.get(group) ?? new Map<string, number>();
    g.set(outcome, (g.get(outcome) ?? 0) + 1);
    this.counts.set(group, g);
  }

  /** Outcomes other than "ok" seen in `group`. */
  errors(group: string): string[] {
    return [...(this.counts.get(group)?.keys() ?? [])].filter((k) => k !== 'ok');
  }

  table(): string {
    const lines = [];
    for (const [g, m] of this.counts) lines.push(`  ${g.padEnd(22)} ${[...m].map(([k, v]) => `${k}: ${v}`).join(', ')}`);
    return lines.join('\n');
  }
}

/** The SQLSTATE of a failed query; "FATAL <code>" or "lost connection" when the session ended under it. */
export function outcomeOf(e: unknown): string {
  const err = e as { code?: string; severity?: string; message?: string };
  if (!err.code || !/^[0-9A-Z]{5}$/.test(err.code)) {
    return /terminated|ECONNRESET|EPIPE|not queryable|ended/i.test(err.message ?? '') ? 'lost connection' : `unexpected: ${(err.message ?? String(e)).split('\n').slice(0, 3).join(' ')}`;
  }
  return err.severity === 'FATAL' ? `FATAL ${err.code}` : err.code;
}

/** The port of the node that is primary now, asked of the servers themselves. */
export async function primaryNode(cluster: Cluster): Promise<Cluster['nodes'][number]> {
  for (const n of cluster.nodes) {
    if (!n.isRunning()) continue;
    const r = await n.query('SELECT pg_is_in_recovery() AS rec').catch(() => null);
    if (r && r[0].rec === false) return n;
  }
  throw new Error('no primary');
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The hooks of a survival test: a primary and two synchronous standbys, pgrelay with the
 * sample failover scripts and `conf`, the tables `schema` creates; all stopped afterwards
 * (SV_LOG=file keeps pgrelay's log). Read cluster and relay inside the tests.
 */
export function survivalCluster(conf: Record<string, string | number | boolean>, schema: string[]): { cluster: Cluster; relay: Pgrelay } {
  const env = {} as { cluster: Cluster; relay: Pgrelay };
  beforeAll(async () => {
    env.cluster = await startCluster({ standbys: 2 });
    await synchronousStandbys(env.cluster);
    env.relay = await relayWithScripts(env.cluster, conf);
    const c = await client(env.relay.port, 'setup');
    for (const sql of schema) await c.query(sql);
    await c.end();
    await env.cluster.waitForCatchup();
  }, 60_000);
  afterAll(async () => {
    if (process.env.SV_LOG) require('node:fs').writeFileSync(process.env.SV_LOG, env.relay?.log() ?? '');
    await env.relay?.stop('fast');
    await env.cluster?.stop();
  });
  return env;
}
