/**
 * detach_false_primary (streaming mode): when more than one node answers as primary, the
 * true one is the primary every streaming standby receives WAL from; the others are
 * degenerated. With primaries and no standby the lowest node id is kept.
 */
import type { BackendConfig, PgpoolConfig } from '@pgrelay/config';
import type { Logger } from '@pgrelay/proxy';
import type { NodeTable } from '../node-table';
import type { Rows } from '../node-query';

export interface FalsePrimaryDeps {
  config(): PgpoolConfig;
  table: NodeTable;
  log: Logger;
  query(b: BackendConfig, sql: string): Promise<Rows>;
  degenerate(id: number, cause: string): Promise<unknown>;
}

/** Which of `primaries` every standby streams from; undefined when they disagree or none streams. */
export function truePrimary(primaries: BackendConfig[], senders: { host: string; port: number }[]): BackendConfig | undefined {
  if (senders.length === 0) return [...primaries].sort((a, b) => a.id - b.id)[0];
  const match = (b: BackendConfig) => senders.every((s) => s.port === b.port && (s.host === b.hostname || s.host === '' || b.hostname === ''));
  const found = primaries.filter(match);
  return found.length === 1 ? found[0] : undefined;
}

export class FalsePrimaryCheck {
  private timer: NodeJS.Timeout | null = null;
  private running = false;

  constructor(private readonly deps: FalsePrimaryDeps) {}

  start(): void {
    const period = Math.max(1, Number(this.deps.config().sr_check_period) || 10);
    this.timer = setInterval(() => void this.tick(), period * 1000);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  async tick(): Promise<void> {
    const cfg = this.deps.config();
    const { table } = this.deps;
    if (cfg.detach_false_primary !== true || table.state.mode !== 'streaming_replication' || this.running) return;
    this.running = true;
    try {
      const usable = (cfg.backends as BackendConfig[]).filter((b) => {
        const s = table.node(b.id)?.status;
        return s === 'up' || s === 'waiting';
      });
      const primaries: BackendConfig[] = [];
      const senders: { host: string; port: number }[] = [];
      for (const b of usable) {
        const rec = await this.deps.query(b, 'SELECT pg_is_in_recovery()').catch(() => null);
        if (rec === null) continue;
        if (rec[0]?.[0] === 'f') primaries.push(b);
        else {
          const r = await this.deps.query(b, "SELECT sender_host, sender_port FROM pg_stat_wal_receiver WHERE status = 'streaming'").catch(() => []);
          if (r[0]) senders.push({ host: r[0][0] ?? '', port: Number(r[0][1]) });
        }
      }
      if (primaries.length < 2) return;
      const keep = truePrimary(primaries, senders);
      if (!keep) {
        this.deps.log.warn(`several nodes answer as primary (${primaries.map((p) => p.id).join(', ')}) and the standbys do not point at one of them; nothing detached`);
        return;
      }
      for (const p of primaries) {
        if (p.id === keep.id) continue;
        this.deps.log.log({ node: p.id, primary: keep.id }, `detach_false_primary: node ${p.id} is a false primary (the standbys stream from node ${keep.id})`);
        await this.deps.degenerate(p.id, `detach_false_primary: node ${keep.id} is the true primary`);
      }
    } finally {
      this.running = false;
    }
  }
}
