/**
 * Streaming-replication checks (pgpool's sr_check worker): every sr_check_period seconds,
 * each standby's lag — bytes between the primary's current WAL position and the standby's
 * replay position, or with delay_threshold_by_time its replay_lag from pg_stat_replication —
 * goes into ClusterState, where sessions read it to keep reads off a standby that lags.
 */
import type { BackendConfig, PgpoolConfig } from '@pgrelay/config';
import { isUsable } from '@pgrelay/cluster';
import type { SupervisorContext } from '../context';
import { srCheckLogin } from '../primary';
import { CheckConnections } from './connections';
import { byteLags, parseLsn, standbyDelayLine, transitions, type LagReport, type LagSettings } from './lag';

export interface SrCheck {
  stop(): Promise<void>;
  /** Called after a reload. */
  reconfigure(): void;
}

const PRIMARY_LSN = 'SELECT pg_catalog.pg_current_wal_lsn()';
const STANDBY_LSN = 'SELECT pg_catalog.pg_last_wal_replay_lsn()';
const REPLAY_LAG = 'SELECT application_name, (EXTRACT(EPOCH FROM replay_lag) * 1000000)::bigint FROM pg_catalog.pg_stat_replication';
const REPLICATION_STATE = 'SELECT application_name, state, sync_state FROM pg_catalog.pg_stat_replication';

function lagSettings(cfg: PgpoolConfig): LagSettings {
  return {
    delayThreshold: Number(cfg.delay_threshold ?? 0),
    delayThresholdByTime: Number(cfg.delay_threshold_by_time ?? 0),
    logStandbyDelay: (String(cfg.log_standby_delay ?? 'if_over_threshold') as LagSettings['logStandbyDelay']),
  };
}

export function startSrCheck(ctx: SupervisorContext): SrCheck {
  let timer: NodeJS.Timeout | null = null;
  let conns: CheckConnections | null = null;
  let running: Promise<void> | null = null;
  let stopped = false;
  /** Standbys currently over the threshold (to log only when one crosses it). */
  const over = new Set<number>();

  function schedule(): void {
    if (timer) clearTimeout(timer);
    timer = null;
    const period = Number(ctx.config().sr_check_period ?? 0);
    const mode = String(ctx.config().backend_clustering_mode);
    if (stopped || period <= 0 || (mode !== 'streaming_replication' && mode !== 'logical_replication')) return;
    timer = setTimeout(() => {
      running = check().finally(() => {
        running = null;
        schedule();
      });
    }, period * 1000);
    timer.unref();
  }

  async function check(): Promise<void> {
    const cfg = ctx.config();
    const state = ctx.table.state;
    const primary = state.nodes.find((n) => n.id === state.primaryId);
    if (!primary || !isUsable(primary) || state.nodes.length < 2) return;
    const timeoutMs = Math.max(Number(cfg.connect_timeout) || 0, 10_000);
    conns ??= new CheckConnections(srCheckLogin(cfg, ctx.files().passwd), timeoutMs, cfg.ssl === true);
    const c = conns;
    const backends = cfg.backends as BackendConfig[];
    const s = lagSettings(cfg);
    const standbys = state.nodes.filter((n) => n.id !== primary.id && isUsable(n));
    const byTime = s.delayThresholdByTime > 0;
    const primaryConfig = backends.find((b) => b.id === primary.id)!;
    // standbys first: a primary position read after theirs can only make the lag look larger, never hide it
    const positions = await Promise.all(
      standbys.map(async (n) => {
        const b = backends.find((x) => x.id === n.id);
        if (!b) return null;
        try {
          return { id: n.id, lsn: parseLsn((await c.query(b, STANDBY_LSN))[0]?.[0]) };
        } catch (e) {
          ctx.log.log({ node: n.id, err: (e as Error).message }, `sr check could not query node ${n.id}: ${(e as Error).message}`);
          return null;
        }
      }),
    );
    let reports: LagReport[];
    try {
      if (byTime) {
        const rows = await c.query(primaryConfig, REPLAY_LAG);
        const byApp = new Map(rows.map((r) => [r[0] ?? '', Number(r[1] ?? 0)]));
        reports = standbys.map((n) => ({ nodeId: n.id, lag: byApp.get(backends.find((b) => b.id === n.id)?.application_name ?? '') ?? 0 }));
      } else {
        const primaryLsn = parseLsn((await c.query(primaryConfig, PRIMARY_LSN))[0]?.[0]);
        if (primaryLsn === null) return;
        const known = new Map<number, number>();
        for (const p of positions) if (p && p.lsn !== null) known.set(p.id, p.lsn);
        reports = byteLags(primaryLsn, known);
      }
    } catch (e) {
      ctx.log.log({ node: primary.id, err: (e as Error).message }, `sr check could not query the primary (node ${primary.id}): ${(e as Error).message}`);
      return;
    }
    if (stopped) return;
    await readReplicationStates(c, primaryConfig, standbys.map((n) => backends.find((b) => b.id === n.id)).filter((b): b is BackendConfig => !!b));
    if (stopped) return;
    for (const r of reports) {
      ctx.table.setDelay(r.nodeId, r.lag);
      const line = standbyDelayLine(r, primary.id, s);
      if (line) ctx.log.log({ node: r.nodeId, lag: r.lag }, line);
    }
    for (const line of transitions(reports, over, s)) ctx.log.log(line);
  }

  /**
   * Standbys named by backend_application_name get the primary's view of their replication
   * (SHOW POOL_NODES, pcp_node_info): pgpool 4.3 does the same, and shows nothing without the name.
   */
  async function readReplicationStates(c: CheckConnections, primaryConfig: BackendConfig, standbys: BackendConfig[]): Promise<void> {
    const named = standbys.filter((b) => (b.application_name ?? '') !== '');
    if (named.length === 0) return;
    let rows: (string | null)[][];
    try {
      rows = await c.query(primaryConfig, REPLICATION_STATE);
    } catch (e) {
      ctx.log.log({ node: primaryConfig.id, err: (e as Error).message }, `sr check could not read pg_stat_replication on node ${primaryConfig.id}: ${(e as Error).message}`);
      return;
    }
    for (const b of named) {
      const row = rows.find((r) => r[0] === b.application_name);
      ctx.table.setReplication(b.id, row?.[1] ?? '', row?.[2] ?? '');
    }
  }

  schedule();
  return {
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await running?.catch(() => undefined);
      conns?.closeAll();
    },
    reconfigure() {
      // user, password or database may have changed: log in again at the next check
      conns?.closeAll();
      conns = null;
      schedule();
    },
  };
}
