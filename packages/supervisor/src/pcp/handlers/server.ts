/** pcp_pool_status, pcp_reload_config, pcp_stop_pgpool, pcp_watchdog_info, and the 'A' set-parameter request. */
import { cstrings, int32, packet, poolStatusRows } from '@pgrelay/pcp';
import { pcpError } from '../errors';
import { reply, type Handler } from './types';

export const poolStatusHandler: Handler = (ctx) => {
  const files = ctx.sup.files();
  const rows = poolStatusRows({
    config: ctx.sup.config(),
    raw: (key) => files.conf.explicit.get(key)?.raw,
    state: ctx.sup.table.state,
    statsStartedAt: ctx.sup.startedAt,
  });
  return reply(
    packet('b', 'ArraySize', int32(rows.length)),
    ...rows.map((r) => packet('b', 'ProcessConfig', r.item, r.value, r.description)),
    packet('b', 'CommandComplete'),
  );
};

/** Scope 'c' (cluster) means every pgpool of the watchdog cluster; without a watchdog it is this one. */
export const reloadHandler: Handler = (ctx) => {
  ctx.sup.log.log('received reload request from PCP');
  ctx.sup.reload();
  return reply(packet('z', 'CommandComplete'));
};

const MODES = { s: 'smart', f: 'fast', i: 'immediate' } as const;

export const stopHandler: Handler = (ctx, body) => {
  const c = body.length > 0 ? String.fromCharCode(body[0]!) : '';
  const mode = MODES[c as keyof typeof MODES];
  if (!mode) throw pcpError('PCP: error while processing shutdown request', `invalid shutdown mode "${c}"`);
  ctx.sup.log.log(`received ${mode} shutdown request from PCP`);
  // Answer first: the client waits for it, and the process is about to end.
  return { packets: [packet('t', 'CommandComplete')], after: () => void ctx.sup.shutdown(mode) };
};

export const watchdogInfoHandler: Handler = () => {
  throw pcpError('PCP: informing watchdog info failed', 'watchdog is not enabled');
};

const CLIENT_MIN_MESSAGES = ['debug5', 'debug4', 'debug3', 'debug2', 'debug1', 'log', 'commerror', 'info', 'notice', 'warning', 'error'];

/** pgpool_adm's pcp_set_backend_parameter: only client_min_messages, and only for this connection. */
export const setParameterHandler: Handler = (ctx, body) => {
  const [name = '', value = ''] = cstrings(body);
  ctx.sup.log.log(`set configuration parameter, "${name} TO ${value}"`);
  if (name.toLowerCase() !== 'client_min_messages') throw pcpError('PCP: set configuration parameter failed', `invalid parameter "${name}"`);
  if (!CLIENT_MIN_MESSAGES.includes(value.toLowerCase())) {
    throw pcpError('PCP: set configuration parameter failed', `invalid value "${value}" for parameter "${name}"`);
  }
  // pgrelay's PCP server sends no notices, so the level has nothing to filter.
  return reply(packet('a', 'CommandComplete'));
};
