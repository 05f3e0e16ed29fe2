/**
 * Shared by the session-survival tests: a pgrelay with the sample failover scripts, clients
 * that run a workload and count what they saw, and checks on the servers themselves.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort, startPgrelay, type Cluster, type Pgrelay } from '@pgrelay/testkit';
import { Client } from 'pg';

export const ROOT = path.resolve(__dirname, '../../..');
const SCRIPTS = path.join(ROOT, 'scripts/failover');

/** pgrelay running scripts/failover/*.sh, with a fast health check (same settings as failover.e2e.test.ts). */
export async function relayWithScripts(cluster: Cluster, conf: Record<string, string | number | boolean> = {}): Promise<Pgrelay> {
  const pcpPort = await freePort();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pgrelay-pcppass-'));
  const pcppass = path.join(dir, '.pcppass');
  fs.writeFileSync(pcppass, '*:*:pcp_user:pcp_pass\n', { mode: 0o600 });
  return startPgrelay({
    cluster,
    conf: {
      pcp_port: pcpPort,
      num_init_children: 80,
      health_check_period: 1,
      health_check_max_retries: 2,
      health_check_retry_delay: 1,
      health_check_timeout: 3,
      connect_timeout: 2000,
      search_primary_node_timeout: 30,
      failover_command: `${SCRIPTS}/failover.sh %d %h %p %D %m %H %M %P %r %R %N %S`,
      follow_primary_command: `${SCRIPTS}/follow_primary.sh %d %h %p %D %m %H %M %P %r %R`,
      ...conf,
    },
    env: { PCP_USER: 'pcp_user', PCP_PORT: String(pcpPort), PCP_HOST: '127.0.0.1', PCPPASSFILE: pcppass, PCP_BIN: path.join(ROOT, 'node_modules/.bin') },
  });
}

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

/**
 * kill -9 of the primary *server*: the postmaster and every process it started, as when the
 * machine dies. Killing only the postmaster leaves its backends running for a moment, and
 * PostgreSQL 15's orphaned backends were seen acknowledging commits the standbys never got
 * (without pgrelay too), which no proxy can make durable.
 */
export function killServer(node: Cluster['nodes'][number]): void {
  const pm = node.pid()!;
  process.kill(pm, 'SIGSTOP'); // no crash-restart while its children go
  for (const d of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${d}/stat`, 'utf8');
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pm) process.kill(Number(d), 'SIGKILL');
    } catch {
      // gone already
    }
  }
  node.kill9();
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
