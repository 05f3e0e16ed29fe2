/** pcp_proc_count and pcp_proc_info: the worker processes and the sessions they serve. */
import { cstrings, nodeCount, packet, poolPoolsRows, type ProcessLayout } from '@pgrelay/pcp';
import { atoi, pcpError } from '../errors';
import { reply, type Handler, type PcpServerContext } from './types';

function workerPids(ctx: PcpServerContext): number[] {
  return [...ctx.sup.workers.indices]
    .sort((a, b) => a - b)
    .map((i) => ctx.sup.workers.pidOf(i))
    .filter((p): p is number => p !== undefined);
}

export function processLayout(ctx: PcpServerContext): ProcessLayout {
  const cfg = ctx.sup.config();
  return {
    numInitChildren: Number(cfg.num_init_children),
    maxPool: Number(cfg.max_pool),
    nodes: nodeCount(ctx.sup.table.state),
    workers: ctx.sup.workers.count,
    clientIdleLimit: Number(cfg.client_idle_limit ?? 0),
  };
}

export const procCountHandler: Handler = (ctx) => {
  const pids = workerPids(ctx);
  return reply(packet('n', 'CommandComplete', String(pids.length), ...pids.map(String)));
};

export const procInfoHandler: Handler = async (ctx, body) => {
  const raw = cstrings(body)[0] ?? '';
  const pid = atoi(raw);
  if (pid !== 0 && !workerPids(ctx).includes(pid)) throw pcpError('informing process info failed', `invalid process ID : ${raw}`);
  const rows = poolPoolsRows(await ctx.reports.collect(), processLayout(ctx), pid);
  return reply(
    packet('p', 'ArraySize', String(rows.length)),
    ...rows.map((r) => packet('p', 'ProcessInfo', ...r)),
    packet('p', 'CommandComplete'),
  );
};
