/**
 * pgpool's per-process limits, given a meaning for a worker that holds many sessions:
 * `child_max_connections` retires a worker after it has served that many sessions, and
 * `child_life_time` retires a worker that has served at least one session and then sat
 * with none for that many seconds. A retiring worker stops accepting, the supervisor
 * starts its replacement at once, and the old one exits when its last session ends, so
 * no client is cut off.
 */
import type { SessionHandle } from './context';

export interface LifetimeLimits {
  maxSessions: number;
  idleLifeSec: number;
}

export class SessionSet extends Set<SessionHandle> {
  private served = 0;
  private idleTimer: NodeJS.Timeout | null = null;
  private retiring = false;

  constructor(private limits: () => LifetimeLimits, private readonly retire: (reason: string) => void) {
    super();
  }

  override add(s: SessionHandle): this {
    if (!this.has(s)) {
      this.served++;
      if (this.idleTimer) clearTimeout(this.idleTimer);
      this.idleTimer = null;
      const max = this.limits().maxSessions;
      if (max > 0 && this.served >= max) this.startRetiring(`child_max_connections (${max}) reached`);
    }
    return super.add(s);
  }

  override delete(s: SessionHandle): boolean {
    const had = super.delete(s);
    if (had && this.size === 0 && !this.retiring) {
      const life = this.limits().idleLifeSec;
      if (life > 0) {
        this.idleTimer = setTimeout(() => this.startRetiring(`idle for child_life_time (${life} s)`), life * 1000);
        this.idleTimer.unref();
      }
    }
    return had;
  }

  private startRetiring(reason: string): void {
    if (this.retiring) return;
    this.retiring = true;
    this.retire(reason);
  }
}
