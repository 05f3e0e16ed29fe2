/** Streaming-replication checks: each standby's lag, every sr_check_period (issue 3). */
import type { SupervisorContext } from '../context';

export interface SrCheck {
  stop(): Promise<void>;
  /** Called after a reload. */
  reconfigure(): void;
}

export function startSrCheck(_ctx: SupervisorContext): SrCheck {
  return { stop: async () => undefined, reconfigure: () => undefined };
}
