/** pcp_attach_node, pcp_detach_node, pcp_promote_node, pcp_recovery_node. */
import { cstrings, isStreamMode, nodeSlots, packet, STATUS_CODE } from '@pgrelay/pcp';
import { atoi, pcpError, pcpFatal } from '../errors';
import { recoveryFor, RecoveryFailure } from '../../recovery';
import { checkDegenerate, waitForSessionsToEnd } from './degenerate';
import { reply, type Handler, type PcpServerContext } from './types';

const commandComplete = (type: string) => reply(packet(type, 'CommandComplete'));

/**
 * pgpool's main process carries out a detach after the PCP command has answered; only the
 * graceful form waits for it. checkDegenerate has already refused what cannot be done.
 */
async function detach(ctx: PcpServerContext, id: number, cause: string, wait: boolean): Promise<void> {
  ctx.sup.log.log(`received degenerate backend request for node_id: ${id} from pid [${ctx.pid}]`);
  const done = ctx.sup.failover.degenerate(id, cause);
  if (!wait) return;
  const r = await done;
  if (!r.ok) throw pcpError('could not process detach request', r.error);
}

export const detachHandler: Handler = async (ctx, body, type) => {
  const id = atoi(cstrings(body)[0] ?? '');
  checkDegenerate(ctx, id);
  if (type === 'd') {
    // pgpool gives up silently when sessions outlive recovery_timeout: the node stays attached.
    if (!(await waitForSessionsToEnd(ctx))) {
      ctx.sup.log.log(`wait timeout for all connections to be closed; node ${id} was not detached`);
      return commandComplete('d');
    }
    checkDegenerate(ctx, id);
  }
  await detach(ctx, id, type === 'd' ? 'pcp_detach_node -g' : 'pcp_detach_node', type === 'd');
  return commandComplete('d');
};

export const attachHandler: Handler = async (ctx, body) => {
  const id = atoi(cstrings(body)[0] ?? '');
  ctx.sup.log.log(`received failback request for node_id: ${id} from pid [${ctx.pid}]`);
  const n = nodeSlots(ctx.sup.table.state)[id];
  // pgpool answers success either way; an attach of a node that is not down does nothing.
  if (!n || n.status !== 'down') {
    ctx.sup.log.log(`Node ${id} is not down (status: ${n ? STATUS_CODE[n.status] : 0})`);
    return commandComplete('c');
  }
  void ctx.sup.failover.failback(id, 'pcp_attach_node');
  return commandComplete('c');
};

export const promoteHandler: Handler = async (ctx, body, type) => {
  // "<id> \0" then the option byte: 's' switchover, 'n' just record the new primary.
  const text = body.toString('latin1');
  const space = text.search(/[ \0]/);
  const id = atoi(space >= 0 ? text.slice(0, space) : text);
  const option = text[(space >= 0 ? space : text.length) + 2] ?? '';
  const state = ctx.sup.table.state;
  const slots = nodeSlots(state);
  if (id < 0 || id >= slots.length) throw pcpError('could not process promote request', `node id ${id} is not valid`);
  if (!isStreamMode(state.mode)) {
    throw pcpFatal('invalid pgpool mode for process promote request', `not in streaming replication mode, can't promote node id ${id}`);
  }
  if (id === state.primaryId) throw pcpFatal('invalid promote request', `specified node is already primary node, can't promote node id ${id}`);
  ctx.sup.log.log(`pcp_promote_node: promote option: ${option}`);

  if (option === 's') checkDegenerate(ctx, id);
  if (type === 'j' && !(await waitForSessionsToEnd(ctx))) {
    ctx.sup.log.log(`wait timeout for all connections to be closed; node ${id} was not promoted`);
    return commandComplete('d');
  }
  ctx.sup.log.log(`received promote backend request for node_id: ${id} from pid [${ctx.pid}]`);
  const r = await ctx.sup.failover.promote(id, option === 's');
  // pgpool answers success for a promote it could not start and only logs why.
  if (!r.ok) ctx.sup.log.log(`promote request for node ${id} was not carried out: ${r.error}`);
  return commandComplete('d');
};

/**
 * pcp_recovery_node: pgpool's checks, then the whole recovery before the answer (the client
 * blocks meanwhile). A failed recovery is an ERROR with pgpool's text; the client exits 0.
 */
export const recoveryHandler: Handler = async (ctx, body) => {
  // No refusal while the failover coordinator is busy (pgpool refuses only with requests still
  // queued): follow_primary_command runs inside a failover here, and pgpool's sample
  // follow_primary.sh calls pcp_recovery_node. The failback at the end then waits its 5 s.
  const id = atoi(cstrings(body)[0] ?? '');
  const state = ctx.sup.table.state;
  const slots = nodeSlots(state);
  if (id < 0 || id >= slots.length) throw pcpError('process recovery request failed', `node id ${id} is not valid`);
  const stream = isStreamMode(state.mode);
  const replication = state.mode === 'native_replication' || state.mode === 'snapshot_isolation';
  if (stream && id === state.primaryId) throw pcpError('process recovery request failed', 'primary server cannot be recovered by online recovery.');
  if (!stream && !replication) {
    throw pcpError('process recovery request failed', 'recovery request is only allowed in replication and streaming replication modes.');
  }
  if (ctx.busy.recovery) throw pcpFatal('process recovery request failed', 'pgpool-II is already processing another recovery request.');
  ctx.busy.recovery = true;
  try {
    await recoveryFor(ctx.sup).recover(id);
  } catch (e) {
    if (e instanceof RecoveryFailure) throw pcpError(e.message, e.detail);
    throw e;
  } finally {
    ctx.busy.recovery = false;
  }
  return commandComplete('c');
};
