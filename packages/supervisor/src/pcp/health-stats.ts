/**
 * Health check statistics for pcp_health_check_stats and the workers' SHOW
 * POOL_HEALTH_CHECK_STATS. They come from the supervisor's health checker when the context
 * (`healthStats`); a node whose health_check_period is 0 shows zero counters, as in pgpool.
 */
import { HEALTH_CHECK_COLUMNS } from '@pgrelay/pcp';
import type { SupervisorAdminHealth } from '@pgrelay/cluster';
import type { SupervisorContext } from '../context';

/** The checker's rows, columns in pgpool's order. */
export function healthRows(ctx: SupervisorContext): string[][] {
  return ctx.healthStats().map((r) => HEALTH_CHECK_COLUMNS.map((c) => (r as Record<string, string>)[c] ?? ''));
}

/** Pushes the rows to every worker whenever they change; returns the stop function. */
export function shareHealthStats(ctx: SupervisorContext, everyMs = 1000): () => void {
  let last = '';
  let ticks = 0;
  const timer = setInterval(() => {
    const rows = healthRows(ctx);
    const json = JSON.stringify(rows);
    // Now and then unchanged rows go out again, for workers started since.
    if (json === last && ++ticks % 10 !== 0) return;
    last = json;
    const m: SupervisorAdminHealth = { t: 'admin_health_stats', rows };
    for (const i of ctx.workers.indices) ctx.workers.sendTo(i, m);
  }, everyMs);
  timer.unref();
  return () => clearInterval(timer);
}
