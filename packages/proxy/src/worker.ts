/**
 * A worker process: many client sessions on one event loop. It takes its settings and the
 * cluster state from the supervisor, listens on the shared sockets, and reports what it
 * sees; it never decides cluster state itself.
 */
import cluster from 'node:cluster';
import net from 'node:net';
import type { HbaRule, PasswdSecret, PgpoolConfig } from '@pgrelay/config';
import type { ClusterState, SupervisorToWorker, WorkerToSupervisor } from '@pgrelay/cluster';
import { initPgParser } from '@pgrelay/sql';
import { handleAdminIpc } from './admin/ipc';
import { CancelRegistry } from './cancel-registry';
import { num, str, type WorkerContext } from './context';
import { describeTarget, listenTargets } from './listen';
import { createLogger, pinoLevelOf } from './logger';
import { ConnectionPool, type PoolLimits } from './pool';
import { Session } from './session';
import { SessionSet } from './lifetime';
import { RecoveryGate } from './recovery-gate';
import { SwitchoverHold } from './survive/switchover-hold';
import { LocalSlots, RemoteSlots, type SlotGate } from './slots';
import { loadTlsContext } from './tls-context';

export interface WorkerInit {
  index: number;
  workers: number;
  config: PgpoolConfig;
  hba: HbaRule[] | null;
  passwd: [string, PasswdSecret][];
  state: ClusterState;
}

export function poolLimitsOf(config: PgpoolConfig, workers: number): PoolLimits {
  const share = Math.ceil(num(config, 'num_init_children') / workers);
  return { maxIdle: num(config, 'max_pool') * share, lifeTimeSec: num(config, 'connection_life_time') };
}

/** Runs a worker inside a node:cluster child; resolves once it listens. */
export async function runWorker(): Promise<void> {
  const send = (m: WorkerToSupervisor) => {
    if (process.connected) process.send!(m);
  };
  const init = await new Promise<WorkerInit>((resolve) => {
    const onMsg = (m: { t: string; init?: WorkerInit }) => {
      if (m.t === 'init' && m.init) {
        process.off('message', onMsg);
        resolve(m.init);
      }
    };
    process.on('message', onMsg);
  });
  const cfg = init.config;
  const log = createLogger({ name: `worker${init.index}`, level: str(cfg, 'log_min_messages'), format: str(cfg, 'log_format') as 'auto' });
  const remoteSlots = init.workers > 1 ? new RemoteSlots(send) : null;
  const slots: SlotGate = remoteSlots ?? new LocalSlots(num(cfg, 'num_init_children'), num(cfg, 'reserved_connections'));
  const ctx: WorkerContext = {
    workerIndex: init.index,
    workerCount: init.workers,
    config: cfg,
    hba: init.hba,
    passwd: new Map(init.passwd),
    state: init.state,
    pool: new ConnectionPool(poolLimitsOf(cfg, init.workers)),
    slots,
    cancels: new CancelRegistry(init.index),
    log,
    report: (m) => {
      if (m.t === 'cancel' && ctx.cancels.cancel(m.pid, m.key)) return;
      send(m);
    },
    sessions: new SessionSet(
      () => ({ maxSessions: num(ctx.config, 'child_max_connections'), idleLifeSec: num(ctx.config, 'child_life_time') }),
      (reason) => retire(reason),
    ),
    draining: false,
    tls: null,
  };
  try {
    ctx.tls = loadTlsContext(cfg);
  } catch (e) {
    log.fatal({ err: (e as Error).message }, `could not set up SSL: ${(e as Error).message}`);
    process.exit(3);
  }

  /** Stop taking sessions, let the supervisor start a replacement, exit when the last one ends. */
  function retire(reason: string): void {
    log.log({ worker: init.index, reason }, `worker ${init.index} retiring: ${reason}`);
    // The listening sockets stay open until the replacement listens: node:cluster closes a
    // shared socket when its last worker lets go, and clients would be refused meanwhile.
    send({ t: 'retire', reason });
  }

  function handOver(): void {
    for (const s of servers) s.close();
    exitWhenIdle();
  }

  function exitWhenIdle(): void {
    if (ctx.sessions.size === 0) {
      ctx.pool.close();
      setTimeout(() => process.exit(0), 50);
    } else setTimeout(exitWhenIdle, 100);
  }
  await initPgParser().catch((e: Error) => log.warn({ err: e.message }, 'SQL parser failed to load; statements the lexer cannot read go to the primary'));

  const servers: net.Server[] = [];
  const gate = new RecoveryGate(ctx, (socket) => new Session(ctx, socket), send);
  const switchover = new SwitchoverHold(ctx, send);
  process.on('message', (m: SupervisorToWorker | { t: 'init' }) => {
    if (gate.handle(m) || switchover.handle(m)) return;
    switch (m.t) {
      case 'state': {
        const before = ctx.state;
        ctx.state = m.state;
        for (const n of m.state.nodes) {
          if (n.status !== 'down' || before.nodes.find((b) => b.id === n.id)?.status === 'down') continue;
          ctx.pool.drain(n.id);
          for (const s of [...ctx.sessions]) s.nodeWentDown(n.id, `node ${n.id} status changed to down`);
        }
        break;
      }
      case 'config': {
        const c = m as { config: PgpoolConfig; hba: HbaRule[] | null; passwd: [string, PasswdSecret][] };
        ctx.config = c.config;
        ctx.hba = c.hba;
        ctx.passwd = new Map(c.passwd);
        ctx.pool.setLimits(poolLimitsOf(c.config, init.workers));
        log.level = pinoLevelOf(str(c.config, 'log_min_messages'));
        break;
      }
      case 'slot':
        remoteSlots?.answer(m.id, m.granted);
        break;
      case 'cancel':
        ctx.cancels.cancel(m.pid, m.key);
        break;
      case 'shutdown':
        shutdown(m.mode);
        break;
      case 'replaced':
        handOver();
        break;
      default:
        handleAdminIpc(m, ctx, send as (m: unknown) => void);
    }
  });

  function shutdown(mode: 'smart' | 'fast' | 'immediate'): void {
    ctx.draining = true;
    for (const s of servers) s.close();
    gate.stop();
    if (mode === 'immediate') process.exit(0);
    for (const s of [...ctx.sessions]) s.shutdown(mode);
    exitWhenIdle();
  }

  const onConnection = (socket: net.Socket) => {
    if (ctx.draining) {
      socket.destroy();
      return;
    }
    if (gate.admit(socket)) switchover.adopt(new Session(ctx, socket));
  };
  for (const target of listenTargets(str(cfg, 'listen_addresses'), num(cfg, 'port'), (cfg.unix_socket_directories as string[]) ?? [])) {
    const server = net.createServer({ noDelay: true }, onConnection);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ ...target, backlog: Math.max(511, num(cfg, 'num_init_children') * num(cfg, 'listen_backlog_multiplier')) }, () => {
        server.off('error', reject);
        resolve();
      });
    }).catch((e: Error) => {
      log.fatal({ err: e.message }, `could not listen on ${describeTarget(target)}`);
      process.exit(3);
    });
    servers.push(server);
  }
  send({ t: 'listening' });
  log.debug({ worker: init.index, pid: process.pid }, 'worker listening');
  if (!cluster.isWorker) log.warn('runWorker called outside a cluster worker');
}
