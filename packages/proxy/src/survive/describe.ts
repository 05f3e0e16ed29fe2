/** Words for the logs and the client about a session that moves (or cannot) after a failover. */
import type { Replayed } from './replay-state';

const WHAT: Record<string, string> = {
  temp_table: 'a temporary table',
  advisory_lock: 'a session advisory lock',
  with_hold_cursor: 'a WITH HOLD cursor',
  state_too_large: 'more state than session_state_max_size allows',
  other: 'session state pgrelay cannot record',
};

/** Null when the session can be rebuilt; else which state stops it, e.g. "a temporary table (t1)". */
export function describeUnrebuildable(blockers: ReadonlyMap<string, string>): string | null {
  if (blockers.size === 0) return null;
  return [...blockers].map(([reason, detail]) => `${WHAT[reason] ?? reason} (${detail})`).join(', ');
}

export function rebuiltSummary(r: Replayed): string {
  const refused = r.refused.length > 0 ? `, ${r.refused.length} prepared statement(s) the node refused (${r.refused.join(', ')})` : '';
  return `${r.sets} SET${r.sets === 1 ? '' : 's'}, ${r.prepared} prepared, ${r.listens} LISTEN${refused}`;
}

/** ParameterStatus values the new backend reports that differ from what the client was told. */
export function parameterChanges(knew: ReadonlyMap<string, string>, now: ReadonlyMap<string, string>): [string, string][] {
  const out: [string, string][] = [];
  for (const [k, v] of now) if (knew.get(k) !== v) out.push([k, v]);
  return out;
}
