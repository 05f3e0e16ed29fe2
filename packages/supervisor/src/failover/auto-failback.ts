/**
 * auto_failback (streaming mode): a down node that streams from the primary again — seen
 * as `streaming` in the primary's pg_stat_replication under its backend_application_name —
 * is attached without an operator, at most once per auto_failback_interval.
 */
import type { BackendConfig, PgpoolConfig } from '@pgrelay/config';
import type { Logger } from '@pgrelay/proxy';
import type { NodeTable } from '../node-table';
import type { Rows } from '../node-query';

export interface AutoFailbackDeps {
  config(): PgpoolConfig;
  table: NodeTable;
  log: Logger;
  query(b: BackendConfig, sql: string): Promise<Rows>;
  failback(id: number, cause: string): Promise<unknown>;
}

export class AutoFailback {
  private timer: NodeJS.Timeout | null = null;
  private readonly last = new Map<number, number>();
  private running = false;

  constructor(private readonly deps: AutoFailbackDeps) {}

  start(): void {
    const period = Math.max(1, Number(this.deps.config().health_check_period) || Number(this.deps.config().sr_check_period) || 10);
    this.timer = setInterval(() => void this.tick(), period * 1000);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  async tick(): Promise<void> {
    const { config, table } = this.deps;
    const cfg = config();
    if (cfg.auto_failback !== true || this.running) return;
    if (table.state.mode !== 'streaming_replication' || table.state.primaryId < 0) return;
    const down = table.state.nodes.filter((n) => n.status === 'down');
    if (down.length === 0) return;
    const backends = cfg.backends as BackendConfig[];
    const primary = backends.find((b) => b.id === table.state.primaryId);
    if (!primary) return;
    this.running = true;
    try {
      const rows = await this.deps.query(primary, "SELECT application_name FROM pg_stat_replication WHERE state = 'streaming'");
      const streaming = new Set(rows.map((r) => r[0]));
      const interval = Number(cfg.auto_failback_interval) * 1000;
      for (const n of down) {
        const b = backends.find((x) => x.id === n.id);
        if (!b || b.application_name === '' || !streaming.has(b.application_name)) continue;
        if (Date.now() - (this.last.get(n.id) ?? 0) < interval) continue;
        this.last.set(n.id, Date.now());
        this.deps.log.log({ node: n.id }, `request auto failback, node id:${n.id}`);
        await this.deps.failback(n.id, `auto_failback: node ${n.id} streams from the primary again`);
      }
    } catch (e) {
      this.deps.log.debug({ err: (e as Error).message }, 'auto_failback check could not read pg_stat_replication');
    } finally {
      this.running = false;
    }
  }
}
