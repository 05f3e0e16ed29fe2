/**
 * Replication lag from what the nodes answer, and what pgpool logs about it: the per-check
 * line log_standby_delay asks for, and a line each time a standby leaves or rejoins load
 * balancing (its lag crosses delay_threshold / delay_threshold_by_time).
 */

/** `16/B374D848` → bytes since the start of WAL; null for NULL or garbage. */
export function parseLsn(text: string | null | undefined): number | null {
  if (!text) return null;
  const m = /^([0-9A-Fa-f]{1,8})\/([0-9A-Fa-f]{1,8})$/.exec(text.trim());
  if (!m) return null;
  return parseInt(m[1]!, 16) * 0x1_0000_0000 + parseInt(m[2]!, 16);
}

export interface LagSettings {
  /** Bytes; 0 = off. */
  delayThreshold: number;
  /** Milliseconds; > 0: lag is measured as replay time (microseconds) instead of bytes. */
  delayThresholdByTime: number;
  logStandbyDelay: 'always' | 'if_over_threshold' | 'none';
}

/** The lag above which a standby gets no reads, in the unit lags are reported in; 0 = none. */
export const limitOf = (s: LagSettings): number => (s.delayThresholdByTime > 0 ? s.delayThresholdByTime * 1000 : s.delayThreshold);

export interface LagReport {
  nodeId: number;
  /** Bytes, or microseconds with delay_threshold_by_time. */
  lag: number;
}

/** pgpool's line for one standby, or null when log_standby_delay does not want it. */
export function standbyDelayLine(r: LagReport, primaryId: number, s: LagSettings): string | null {
  const limit = limitOf(s);
  const wanted = s.logStandbyDelay === 'always' ? r.lag > 0 : s.logStandbyDelay === 'if_over_threshold' && limit > 0 && r.lag > limit;
  if (!wanted) return null;
  return s.delayThresholdByTime > 0
    ? `Replication of node: ${r.nodeId} is behind ${(r.lag / 1_000_000).toFixed(6)} second(s) from the primary server (node: ${primaryId})`
    : `Replication of node: ${r.nodeId} is behind ${r.lag} bytes from the primary server (node: ${primaryId})`;
}

export const describeLag = (lag: number, s: LagSettings): string =>
  s.delayThresholdByTime > 0 ? `${(lag / 1_000_000).toFixed(6)} second(s)` : `${lag} bytes`;

const describeLimit = (s: LagSettings): string =>
  s.delayThresholdByTime > 0 ? `delay_threshold_by_time ${s.delayThresholdByTime} ms` : `delay_threshold ${s.delayThreshold} bytes`;

/**
 * Tracks which standbys are over the threshold and says when one crosses it. `over` is
 * updated in place.
 */
export function transitions(reports: readonly LagReport[], over: Set<number>, s: LagSettings): string[] {
  const limit = limitOf(s);
  const lines: string[] = [];
  for (const r of reports) {
    const lagging = limit > 0 && r.lag > limit;
    if (lagging && !over.has(r.nodeId)) {
      over.add(r.nodeId);
      lines.push(`node ${r.nodeId} leaves load balancing: replication delay ${describeLag(r.lag, s)} is over ${describeLimit(s)}`);
    } else if (!lagging && over.has(r.nodeId)) {
      over.delete(r.nodeId);
      lines.push(`node ${r.nodeId} rejoins load balancing: replication delay ${describeLag(r.lag, s)} is within ${describeLimit(s)}`);
    }
  }
  return lines;
}

/** Byte lags of the standbys: how far each replayed WAL is behind the primary's (never negative). */
export function byteLags(primaryLsn: number, standbys: ReadonlyMap<number, number>): LagReport[] {
  return [...standbys].map(([nodeId, lsn]) => ({ nodeId, lag: Math.max(0, primaryLsn - lsn) }));
}
