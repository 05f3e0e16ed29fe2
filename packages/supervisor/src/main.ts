/**
 * The supervisor (pgpool's main process): reads the files, owns ClusterState, forks the
 * workers and handles signals. It never carries client traffic.
 */
import fs from 'node:fs';
import path from 'node:path';
import { ConfigError, diffConfig, readKeyFile, type BackendConfig, type PgpoolConfig } from '@pgrelay/config';
import { createLogger, listenTargets, pinoLevelOf, type Logger } from '@pgrelay/proxy';
import type { CliOptions } from './cli';
import { loadFiles, type LoadedFiles } from './load-files';
import { initialState, NodeTable } from './node-table';
import { isAlive, readPid, removePid, writePid } from './pid-file';
import { findPrimary } from './primary';
import { readStatusFile, statusFilePath } from './status-file';
import type { SupervisorContext } from './context';
import { AutoFailback, FailoverCoordinator, FailureReports, FalsePrimaryCheck } from './failover';
import { SwitchoverSessions } from './failover/switchover-hold';
import { queryNode } from './node-query';
import { HealthChecker } from './health';
import { probeNode } from './probe';
import { startPcp } from './pcp';
import { startSrCheck } from './sr-check';
import { versionLine } from './version';
import { WorkerSet } from './workers';

const isStreaming = (mode: string) => mode === 'streaming_replication' || mode === 'logical_replication';

export async function runSupervisor(opts: CliOptions): Promise<void> {
  let files: LoadedFiles;
  try {
    files = loadFiles(opts);
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`FATAL:  ${e.message}\n`);
      process.exit(1);
    }
    throw e;
  }
  const cfg = (): PgpoolConfig => files.conf.values;
  const log: Logger = createLogger({ name: 'main', level: String(cfg().log_min_messages), format: String(cfg().log_format) as 'auto' });
  for (const w of files.conf.warnings) log.info({ file: w.file, line: w.line, key: w.key }, `${w.file}:${w.line}: ${w.message}`);

  const pidFile = path.resolve(files.conf.dir, String(cfg().pid_file_name));
  const running = readPid(pidFile);
  if (running !== undefined && running !== process.pid && isAlive(running)) {
    log.fatal(`pid file found. is another pgpool(${running}) is running?`);
    process.exit(1);
  }
  writePid(pidFile, process.pid);
  removeStaleSockets(cfg(), log);

  const logdir = path.resolve(files.conf.dir, String(cfg().logdir));
  const statusFile = statusFilePath(logdir);
  if (opts.discardStatus) fs.rmSync(statusFile, { force: true });
  const saved = readStatusFile(statusFile);
  if (saved === undefined && !opts.discardStatus) log.log(`Backend status file ${statusFile} does not exist`);
  const slots = () => Math.max(0, ...((cfg().backends as { id: number }[]).map((b) => b.id + 1)));

  let workers: WorkerSet | null = null;
  const workerListeners = new Set<(worker: number, m: { t: string }) => void>();
  const table = new NodeTable(initialState(cfg(), saved), logdir, slots, log, (s) => workers?.broadcastState(s));
  if (isStreaming(table.state.mode)) {
    // One pass before workers start; if no node answers as primary yet, keep looking meanwhile.
    const found = await findPrimary(cfg(), files.passwd, table, { onePass: true });
    if (!found) void findPrimary(cfg(), files.passwd, table, { onePass: false });
  }

  const health = new HealthChecker({
    config: cfg,
    passwd: () => files.passwd,
    log,
    nodeStatus: (id) => table.node(id)?.status,
    onFailure: (id, cause) => void failover.degenerate(id, `health check failed: ${cause}`),
    aesKey: () => readKeyFile(opts.keyFile),
    logdir: () => logdir,
  });
  const failover = new FailoverCoordinator({
    config: cfg,
    table,
    log,
    findPrimary: () => findPrimary(cfg(), files.passwd, table, { onePass: false }),
    restartHealthCheck: (id) => health.startNode(id),
    switchover: new SwitchoverSessions({
      config: cfg,
      log,
      workers: () => workers?.indices ?? [],
      broadcast: (m) => workers?.broadcast(m),
      onWorkerMessage: (l) => {
        workerListeners.add(l);
        return () => workerListeners.delete(l);
      },
    }),
  });
  const reports = new FailureReports({
    config: cfg,
    log,
    nodeStatus: (id) => table.node(id)?.status,
    degenerate: (id, cause) => failover.degenerate(id, cause),
    probe: (id) => probeNode(cfg(), files.passwd, readKeyFile(opts.keyFile), id),
  });

  workers = new WorkerSet(
    log,
    {
      nodeConnected: (id) => {
        if (table.node(id)?.status === 'waiting') table.setStatus(id, 'up', 'a session connected to it');
      },
      backendFailure: (id, cause, worker, kind) => {
        log.log({ node: id, worker, cause, kind }, `backend node ${id} failure reported by worker ${worker}: ${cause}`);
        void reports.report(id, kind, cause, worker);
      },
      allListening: () => {
        log.log({ port: cfg().port, workers: workers!.count, pids: workers!.pids }, `pgrelay is ready to accept connections on port ${cfg().port} (${versionLine()})`);
      },
      other: (worker, m) => workerListeners.forEach((l) => l(worker, m)),
      workerFailedToStart: (code) => {
        log.fatal({ code }, 'a worker failed to start; stopping');
        void shutdown('immediate', 3);
      },
    },
    () => ({ config: cfg(), hba: files.hba, passwd: [...files.passwd], state: table.state }),
    Number(cfg().num_workers) || 0,
    { numInitChildren: Number(cfg().num_init_children), reserved: Number(cfg().reserved_connections) },
    cfg().worker_scheduling === 'rr' ? 'rr' : 'none',
  );
  workers.start();
  health.start();
  const query = (b: BackendConfig, sql: string) => queryNode(cfg(), files.passwd, b, sql);
  const autoFailback = new AutoFailback({ config: cfg, table, log, query, failback: (id, cause) => failover.failback(id, cause) });
  const falsePrimary = new FalsePrimaryCheck({ config: cfg, table, log, query, degenerate: (id, cause) => failover.degenerate(id, cause) });
  autoFailback.start();
  falsePrimary.start();

  let stopping = false;
  async function shutdown(mode: 'smart' | 'fast' | 'immediate', code = 0): Promise<void> {
    if (stopping) return;
    stopping = true;
    log.log({ mode }, `received ${mode} shutdown request`);
    autoFailback.stop();
    falsePrimary.stop();
    await health.stop();
    await workers!.stop(mode);
    removePid(pidFile);
    log.log('pgrelay stopped');
    process.exit(code);
  }

  function reload(): void {
    let next: LoadedFiles;
    try {
      next = loadFiles(opts);
    } catch (e) {
      log.warn({ err: (e as Error).message }, `reload failed, keeping the current configuration: ${(e as Error).message}`);
      return;
    }
    for (const c of diffConfig(files.conf, next.conf)) {
      if (c.apply === 'restart') log.warn({ key: c.key, before: c.before, after: c.after }, `parameter "${c.key}" changed but needs a restart to take effect`);
      else log.log({ key: c.key, before: c.before, after: c.after }, `parameter "${c.key}" changed from ${JSON.stringify(c.before)} to ${JSON.stringify(c.after)}`);
    }
    // Settings that need a restart keep their running values.
    const merged = { ...next.conf.values };
    for (const c of diffConfig(files.conf, next.conf)) if (c.apply === 'restart') merged[c.key] = files.conf.values[c.key];
    merged.backends = keepRunningAddresses(files.conf.values.backends as BackendConfig[], next.conf.values.backends as BackendConfig[]);
    files = { ...next, conf: { ...next.conf, values: merged as PgpoolConfig } };
    log.level = pinoLevelOf(String(merged.log_min_messages));
    srCheck.reconfigure();
    health.reconfigure();
    workers!.broadcast({ t: 'config', config: merged, hba: files.hba, passwd: [...files.passwd] });
    table.setWeights(merged.backends as BackendConfig[]);
    log.log('configuration reloaded');
  }

  const context: SupervisorContext = {
    opts,
    config: cfg,
    files: () => files,
    table,
    workers,
    log,
    startedAt: Date.now(),
    reload,
    shutdown: (mode) => shutdown(mode),
    failover,
    healthStats: () => health.stats(table.state),
    onWorkerMessage: (l) => {
      workerListeners.add(l);
      return () => workerListeners.delete(l);
    },
  };
  const pcp = await startPcp(context);
  void pcp;
  const srCheck = startSrCheck(context);

  process.on('SIGTERM', () => void shutdown('smart'));
  process.on('SIGINT', () => void shutdown('fast'));
  process.on('SIGQUIT', () => void shutdown('immediate'));
  process.on('SIGHUP', reload);
}

/**
 * A reload may change a backend's weight, flag, application name and health-check settings,
 * but not where a slot in use points: that needs a restart (pgpool ignores it too).
 */
function keepRunningAddresses(running: BackendConfig[], next: BackendConfig[]): BackendConfig[] {
  return running.map((old) => {
    const n = next.find((b) => b.id === old.id);
    return n ? { ...n, hostname: old.hostname, port: old.port, data_directory: old.data_directory } : old;
  });
}

/** A Unix socket file left by a crashed run would make listen() fail. */
function removeStaleSockets(config: PgpoolConfig, log: Logger): void {
  for (const t of listenTargets('', Number(config.port), (config.unix_socket_directories as string[]) ?? [])) {
    if ('path' in t && fs.existsSync(t.path)) {
      log.info(`removing stale socket file ${t.path}`);
      fs.rmSync(t.path, { force: true });
    }
  }
}
