/** pcp_attach_node, pcp_detach_node, pcp_promote_node, pcp_recovery_node. */
import { cstrings, isStreamMode, nodeSlots, packet, STATUS_CODE } from '@pgrelay/pcp';
import { findPrimary } from '../../primary';
import { atoi, pcpError, pcpFatal } from '../errors';
import { checkDegenerate, waitForSessionsToEnd } from './degenerate';
import { reply, type Handler, type PcpServerContext } from './types';

const commandComplete = (type: string) => reply(packet(type, 'CommandComplete'));

/** Commands pgpool runs on these events; pgrelay has no failover coordinator to run them yet. */
function warnNotRun(ctx: PcpServerContext, setting: string, event: string): void {
  const cmd = String(ctx.sup.config()[setting] ?? '');
  if (cmd !== '') ctx.sup.log.warn({ setting, command: cmd }, `${setting} is set but pgrelay cannot run it yet; it was not executed for ${event}`);
}

function detach(ctx: PcpServerContext, id: number, cause: string): void {
  ctx.sup.log.log(`received degenerate backend request for node_id: ${id} from pid [${ctx.pid}]`);
  warnNotRun(ctx, 'failover_command', `the detach of node ${id}`);
  ctx.sup.table.setStatus(id, 'down', cause);
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
  detach(ctx, id, type === 'd' ? 'pcp_detach_node -g' : 'pcp_detach_node');
  return commandComplete('d');
};

export const attachHandler: Handler = (ctx, body) => {
  const id = atoi(cstrings(body)[0] ?? '');
  ctx.sup.log.log(`received failback request for node_id: ${id} from pid [${ctx.pid}]`);
  const n = nodeSlots(ctx.sup.table.state)[id];
  // pgpool answers success either way; an attach of a node that is not down does nothing.
  if (!n || n.status !== 'down') {
    ctx.sup.log.log(`Node ${id} is not down (status: ${n ? STATUS_CODE[n.status] : 0})`);
    return commandComplete('c');
  }
  ctx.sup.log.log(`starting fail back. reconnect host ${n.host}(${n.port})`);
  ctx.sup.table.setStatus(id, 'waiting', 'pcp_attach_node');
  warnNotRun(ctx, 'failback_command', `the attach of node ${id}`);
  if (isStreamMode(ctx.sup.table.state.mode)) {
    // A failback re-detects the primary, as pgpool does (the attached node may be the primary).
    const files = ctx.sup.files();
    void findPrimary(ctx.sup.config(), files.passwd, ctx.sup.table, { onePass: true }).catch(() => undefined);
  }
  ctx.sup.log.log(`failback done. reconnect host ${n.host}(${n.port})`);
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

  if (option === 's') {
    checkDegenerate(ctx, id);
    // TODO(failover coordinator): detach the primary with the promote flag and run failover_command (%m = id).
    throw pcpError('could not process promote request', 'switchover needs the failover coordinator (failover_command), which pgrelay does not have yet');
  }
  const cmd = String(ctx.sup.config().follow_primary_command ?? '');
  if (cmd !== '') {
    // TODO(failover coordinator): run follow_primary_command for every degenerated node.
    throw pcpError('could not process promote request', 'follow_primary_command is set and pgrelay cannot run it yet');
  }
  if (type === 'j' && !(await waitForSessionsToEnd(ctx))) {
    ctx.sup.log.log(`wait timeout for all connections to be closed; node ${id} was not promoted`);
    return commandComplete('d');
  }
  promote(ctx, id);
  return commandComplete('d');
};

/** pgpool's promote without switchover: record `id` as primary and take every other node out. */
function promote(ctx: PcpServerContext, id: number): void {
  const table = ctx.sup.table;
  ctx.sup.log.log(`received promote backend request for node_id: ${id} from pid [${ctx.pid}]`);
  const target = nodeSlots(table.state)[id]!;
  if (target.status !== 'up' && target.status !== 'waiting') {
    // pgpool answers success and only logs this.
    ctx.sup.log.log(`invalid promote backend request, node id : ${id} status: [${STATUS_CODE[target.status]}] not valid`);
    return;
  }
  ctx.sup.log.log(`starting promotion. promote host ${target.host}(${target.port})`);
  let followed = 0;
  for (const n of table.state.nodes) {
    if (n.id === id || (n.status !== 'up' && n.status !== 'waiting')) continue;
    ctx.sup.log.log(`starting follow degeneration. shutdown host ${n.host}(${n.port})`);
    table.setStatus(n.id, 'down', `follow degeneration after pcp_promote_node ${id}`);
    followed++;
  }
  ctx.sup.log.log(`failover: ${followed} follow backends have been degenerated`);
  table.setPrimary(id, 'pcp_promote_node');
  ctx.sup.log.log(`promotion done. promoted host ${target.host}(${target.port})`);
}

export const recoveryHandler: Handler = (ctx, body) => {
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
  if (slots[id]!.status !== 'down') throw pcpError(`node recovery failed, node id: ${id} is alive`);
  // TODO(recovery coordinator): two-phase online recovery (pgpool_recovery, pgpool_remote_start, failback).
  throw pcpError('node recovery failed', 'online recovery is not implemented in pgrelay yet');
};
