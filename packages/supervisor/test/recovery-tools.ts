/**
 * For the online-recovery tests: the shipped scripts installed where pgpool_recovery() looks
 * for them (a node's data directory, owned by postgres, executable), with settings for the
 * testkit cluster, and pgrelay started with the failover scripts and recovery settings.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { Cluster, PgNode, Pgrelay } from '@pgrelay/testkit';
import { OWN_BIN, pcppassFile, relayWithScripts, ROOT } from './failover-tools';
import { run, type Run } from './helpers';

export { OWN_BIN, pcppassFile, ROOT };

export const RECOVERY_SCRIPTS = path.join(ROOT, 'scripts/recovery');
export const DEBIAN_BIN = '/usr/sbin';
export const haveRecoveryExtension = (): boolean => fs.existsSync('/usr/share/postgresql/15/extension/pgpool_recovery.control');

let ids: { uid: number; gid: number } | null | undefined;
/** The server runs as postgres when we are root; the scripts must belong to it. */
function serverIds(): { uid: number; gid: number } | null {
  if (ids !== undefined) return ids;
  if (process.getuid?.() !== 0) return (ids = null);
  const [uid, gid] = ['-u', '-g'].map((o) => Number(execFileSync('id', [o, 'postgres'], { encoding: 'utf8' }).trim()));
  return (ids = { uid: uid!, gid: gid! });
}

export function writeServerFile(file: string, text: string, mode: number): void {
  fs.writeFileSync(file, text, { mode });
  fs.chmodSync(file, mode);
  const u = serverIds();
  if (u) fs.chownSync(file, u.uid, u.gid);
}

/** Settings the scripts read from pgrelay_recovery.env in the testkit cluster. */
export function testkitSettings(cluster: Cluster, extra = ''): string {
  return (
    // testkit.conf holds each node's own port and socket directory: keep the node's, not the primary's.
    'KEEP_FILES="postgresql.conf pg_hba.conf pg_ident.conf testkit.conf"\n' +
    `ARCHIVE_DIR=${cluster.archiveDir}\n` +
    extra
  );
}

/** The three shipped scripts (or replacements by name) into a node's data directory. */
export function installScripts(node: PgNode, cluster: Cluster, opts: { settings?: string; replace?: Record<string, string> } = {}): void {
  for (const f of ['recovery_1st_stage', 'recovery_2nd_stage', 'pgpool_remote_start']) {
    writeServerFile(path.join(node.dataDir, f), fs.readFileSync(path.join(RECOVERY_SCRIPTS, f), 'utf8'), 0o755);
  }
  for (const [name, text] of Object.entries(opts.replace ?? {})) writeServerFile(path.join(node.dataDir, name), text, 0o755);
  writeServerFile(path.join(node.dataDir, 'pgrelay_recovery.env'), opts.settings ?? testkitSettings(cluster), 0o644);
}


/** pgrelay with the failover scripts, plus what online recovery needs. */
export function relayForRecovery(cluster: Cluster, conf: Record<string, string | number | boolean> = {}, env: Record<string, string> = {}): Promise<Pgrelay> {
  return relayWithScripts(
    cluster,
    { health_check_max_retries: 1, recovery_user: 'postgres', recovery_1st_stage_command: 'recovery_1st_stage', recovery_timeout: 20, ...conf },
    env,
  );
}

export const pcpArgs = (relay: Pgrelay): string[] => ['-h', '127.0.0.1', '-p', String(relay.pcpPort), '-U', 'pcp_user', '-w'];

/** A pcp_* command: ours from node_modules/.bin or Debian's from /usr/sbin. */
export function pcp(bin: string, cmd: string, relay: Pgrelay, args: string[], timeoutMs = 120_000): Promise<Run> {
  return run(path.join(bin, cmd), [...pcpArgs(relay), ...args], { PCPPASSFILE: pcppassFile() }, timeoutMs);
}

/** Status and role columns of pcp_node_info for one node. */
export async function nodeInfo(relay: Pgrelay, id: number): Promise<{ status: string; role: string; pgRole: string }> {
  const r = await pcp(OWN_BIN, 'pcp_node_info', relay, ['-n', String(id)]);
  const f = r.stdout.trim().split(' ');
  return { status: f[4]!, role: f[6]!, pgRole: f[7]! };
}

/** pgrelay's JSON log events whose message matches. */
export function logEvents(relay: Pgrelay, re: RegExp): Array<Record<string, unknown>> {
  const out: Array<Record<string, unknown>> = [];
  for (const line of relay.log().split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      const e = JSON.parse(line) as Record<string, unknown>;
      if (typeof e.msg === 'string' && re.test(e.msg)) out.push(e);
    } catch {
      // a partial line
    }
  }
  return out;
}

/** Appends settings to pgpool.conf and reloads (the last setting wins, as in pgpool). */
export async function reconfigure(relay: Pgrelay, lines: Record<string, string | number>): Promise<void> {
  const text = Object.entries(lines)
    .map(([k, v]) => `${k} = ${typeof v === 'number' ? v : `'${v}'`}`)
    .join('\n');
  fs.appendFileSync(relay.confPath, `\n${text}\n`);
  const before = logEvents(relay, /^configuration reloaded$/).length;
  relay.signal('SIGHUP');
  const deadline = Date.now() + 10_000;
  while (logEvents(relay, /^configuration reloaded$/).length === before) {
    if (Date.now() > deadline) throw new Error('pgrelay did not reload');
    await new Promise((r) => setTimeout(r, 50));
  }
}
