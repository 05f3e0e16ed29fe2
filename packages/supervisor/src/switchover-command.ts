/**
 * `pgrelay switchover -n NODE [pcp options]`: a planned switchover to NODE, i.e. exactly
 * `pcp_promote_node -s -n NODE …` against the running pgrelay (PCP options -h -p -U -w as
 * for the pcp_* commands): sessions are held at their transaction boundaries, the old primary
 * is stopped cleanly, NODE promoted, the sessions rebuilt there and released.
 */
import { runPcp } from '@pgrelay/pcp';

export function switchoverCommand(args: string[]): Promise<number> {
  return runPcp('pcp_promote_node', ['-s', ...args]);
}
