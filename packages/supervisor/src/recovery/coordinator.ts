/**
 * Online recovery (pcp_recovery_node), in pgpool's order (pgpool-compat.md §9):
 *   streaming: 1st stage (the script rebuilds the node while clients keep working),
 *              pgpool_remote_start, wait for the postmaster, failback;
 *   native replication / snapshot isolation: CHECKPOINT,
 *              1st stage, then the 2nd stage behind the session gate — no new session, wait
 *              for the open ones to end, CHECKPOINT, 2nd stage script, remote start, wait,
 *              failback — and only then the waiting clients go in.
 * Any failure stops the sequence where it is: the node is not attached (it stays down), the
 * gate opens, and the caller gets pgpool's ERROR text. One recovery at a time is the caller's
 * rule (the PCP server's busy flag), as in pgpool.
 */
import type { BackendConfig, PgpoolConfig } from '@pgrelay/config';
import type { Logger } from '@pgrelay/proxy';
import type { NodeTable } from '../node-table';
import { RecoveryFailure } from './errors';
import type { RecoveryLogin } from './login';
import { connectTimeoutMs, MainNode } from './main-node';
import type { SessionGate } from './session-gate';
import { StepClock, type StepTime } from './timing';
import { waitForPostmaster } from './wait-started';

/** pgpool's FAILBACK_WAIT_MAX_RETRY: it answers the PCP client after 5 s even if failback is still busy. */
const FAILBACK_WAIT_MS = 5_000;

export interface RecoveryDeps {
  config(): PgpoolConfig;
  /** The database recovery logs in to on the main node (template1 in pgpool 4.3). */
  database(): string;
  table: NodeTable;
  log: Logger;
  login(database: string): RecoveryLogin;
  failback(id: number, cause: string): Promise<{ ok: boolean; error?: string }>;
  gate: SessionGate;
}

export interface RecoveryResult {
  node: number;
  totalMs: number;
  steps: StepTime[];
  /** How long new sessions were held back (2nd stage only). */
  pauseMs: number | null;
}

const isStreaming = (mode: string) => mode === 'streaming_replication' || mode === 'logical_replication';

export class RecoveryCoordinator {
  constructor(private readonly deps: RecoveryDeps) {}

  async recover(id: number): Promise<RecoveryResult> {
    const { log, table } = this.deps;
    const cfg = this.deps.config();
    const backends = cfg.backends as BackendConfig[];
    log.log({ node: id }, `starting recovering node ${id}`);
    const node = backends.find((b) => b.id === id);
    const status = table.node(id)?.status ?? 'unused';
    if (!node || status === 'unused') throw new RecoveryFailure(`node recovery failed, node id: ${id} is unused`);
    if (status !== 'down') throw new RecoveryFailure(`node recovery failed, node id: ${id} is alive`);

    const stream = isStreaming(table.state.mode);
    const twoStages = !stream;
    const mainId = stream ? table.state.primaryId : table.state.mainId;
    const mainBackend = backends.find((b) => b.id === mainId);
    const clock = new StepClock(log, id);
    let main: MainNode | undefined;
    let pauseStarted: number | null = null;
    let pauseMs: number | null = null;
    const openGate = () => {
      if (pauseStarted === null) return;
      const waiting = this.deps.gate.waiting;
      this.deps.gate.open();
      pauseMs = Math.round(performance.now() - pauseStarted);
      pauseStarted = null;
      log.log({ node: id, pauseMs, waiting }, `node recovery, new sessions were held back for ${pauseMs} ms (2nd stage; ${waiting} connection(s) waiting)`);
    };

    try {
      const login = this.deps.login(this.deps.database());
      main = await clock.run('connecting to the main node', () => MainNode.connect(cfg, mainBackend, mainId, login, log));
      const m = main;
      if (twoStages) {
        await clock.run('CHECKPOINT in the 1st stage', () => m.checkpoint());
        log.log({ node: id }, 'node recovery, CHECKPOINT in the 1st stage done');
      }
      await clock.run('1st stage', () => m.runStage(1, String(cfg.recovery_1st_stage_command ?? ''), node));
      log.log({ node: id }, 'node recovery, 1st stage is done');

      if (twoStages) {
        log.log({ node: id }, 'node recovery, starting 2nd stage');
        pauseStarted = performance.now();
        this.deps.gate.close(Number(cfg.client_idle_limit_in_recovery ?? 0));
        // pgpool checks its counter once even with recovery_timeout 0; the workers need a moment to answer.
        const timeoutMs = Math.max(1000, Number(cfg.recovery_timeout ?? 90) * 1000);
        const waited = await clock.run('waiting for client sessions to end', () => this.deps.gate.waitForSessionsToEnd(timeoutMs));
        if (!waited.ok) throw new RecoveryFailure('node recovery failed, waiting connection closed in the other pgpools timeout', undefined, waited.why);
        log.log({ node: id }, 'node recovery, all connections from clients have been closed');
        await clock.run('CHECKPOINT in the 2nd stage', () => m.checkpoint());
        log.log({ node: id, detail: 'CHECKPOINT in the 2nd stage done' }, 'node recovery: CHECKPOINT in the 2nd stage done');
        await clock.run('2nd stage', () => m.runStage(2, String(cfg.recovery_2nd_stage_command ?? ''), node));
      }

      await clock.run('remote start', () => m.remoteStart(node));
      await clock.run('waiting for the postmaster', () =>
        waitForPostmaster(node, login, { recoveryTimeoutSec: Number(cfg.recovery_timeout ?? 90), attemptMs: connectTimeoutMs(cfg), log }),
      );
      log.log({ node: id }, `node recovery, node: ${id} restarted`);
      await clock.run('failback', () => this.failback(id));
      openGate();
      log.log({ node: id, totalMs: clock.totalMs, pauseMs, steps: clock.steps }, `recovery done (node ${id} in ${clock.totalMs} ms: ${clock.summary()}${pauseMs === null ? '' : `; new sessions held back ${pauseMs} ms`})`);
      return { node: id, totalMs: clock.totalMs, steps: clock.steps, pauseMs };
    } catch (e) {
      const f = e instanceof RecoveryFailure ? e : new RecoveryFailure('node recovery failed', (e as Error).message);
      const why = [f.detail, f.reason].filter(Boolean).join('; ');
      log.error(
        { node: id, err: f.message, detail: f.detail, reason: f.reason, steps: clock.steps },
        `recovery of node ${id} failed after ${clock.totalMs} ms: ${f.message}${why ? ` (${why})` : ''}; node ${id} stays down (${clock.summary()})`,
      );
      throw f;
    } finally {
      main?.close();
      openGate();
    }
  }

  private async failback(id: number): Promise<void> {
    const { log } = this.deps;
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((r) => (timer = setTimeout(() => r('late'), FAILBACK_WAIT_MS)));
    const r = await Promise.race([this.deps.failback(id, 'pcp_recovery_node'), late]);
    clearTimeout(timer);
    if (r === 'late') log.log({ node: id, detail: 'waiting for wake up request is timeout(5 seconds)' }, 'node recovery: waiting for wake up request is timeout(5 seconds)');
    else if (!r.ok) log.warn({ node: id, err: r.error }, `node recovery: the failback of node ${id} was not carried out: ${r.error}`);
  }
}
