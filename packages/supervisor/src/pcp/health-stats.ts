/**
 * Health check statistics for pcp_health_check_stats and the workers' SHOW
 * POOL_HEALTH_CHECK_STATS. They come from the supervisor's health checker when the context
 * offers it (`healthStats`); until then no check has run and every counter is 0.
 */
import { HEALTH_CHECK_COLUMNS } from '@pgrelay/pcp';
import type { SupervisorAdminHealth } from '@pgrelay/cluster';
import type { SupervisorContext } from '../context';

type Row = Record<string, string>;
type WithHealth = SupervisorContext & { healthStats?: () => Row[] };

/** The checker's rows (columns in pgpool's order), or undefined when there is no checker. */
export function healthRows(ctx: SupervisorContext): string[][] | undefined {
  const source = (ctx as WithHealth).healthStats;
  if (typeof source !== 'function') return undefined;
  return source().map((r) => HEALTH_CHECK_COLUMNS.map((c) => r[c] ?? ''));
}

/** Pushes the rows to every worker whenever they change; returns the stop function. */
export function shareHealthStats(ctx: SupervisorContext, everyMs = 1000): () => void {
  if (typeof (ctx as WithHealth).healthStats !== 'function') return () => undefined;
  let last = '';
  let ticks = 0;
  const timer = setInterval(() => {
    const rows = healthRows(ctx);
    const json = JSON.stringify(rows);
    // Now and then unchanged rows go out again, for workers started since.
    if (rows === undefined || (json === last && ++ticks % 10 !== 0)) return;
    last = json;
    const m: SupervisorAdminHealth = { t: 'admin_health_stats', rows };
    for (const i of ctx.workers.indices) ctx.workers.sendTo(i, m);
  }, everyMs);
  timer.unref();
  return () => clearInterval(timer);
}
