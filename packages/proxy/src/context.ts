/** Everything a session reads from its worker: settings, cluster state, shared pools. */
import type { SecureContext } from 'node:tls';
import type { HbaRule, PasswdSecret, PgpoolConfig } from '@pgrelay/config';
import type { AdminSessionReport, ClusterState, WorkerToSupervisor } from '@pgrelay/cluster';
import type { CancelRegistry } from './cancel-registry';
import type { ClientError } from './errors';
import type { Logger } from './logger';
import type { ConnectionPool } from './pool';
import type { SlotGate } from './slots';

/** What the worker may ask of a session it holds. */
export interface SessionHandle {
  shutdown(mode: 'smart' | 'fast' | 'immediate'): void;
  /** ClusterState says this node is down: a session using it ends. */
  nodeWentDown(nodeId: number, cause: string): void;
  /** What SHOW POOL_PROCESSES / pcp_proc_info list of it; null before login and after the end. */
  adminInfo(): AdminSessionReport | null;
  /** Unix ms since which the client is idle; null while it logs in or a query runs (recovery-gate.ts). */
  recoveryIdleSince(): number | null;
  /** Online recovery's 2nd stage ends the session with this error. */
  endForRecovery(err: ClientError): void;
}

export interface WorkerContext {
  workerIndex: number;
  /** Workers the supervisor runs (1: this one answers every listing alone). */
  workerCount: number;
  config: PgpoolConfig;
  hba: HbaRule[] | null;
  passwd: Map<string, PasswdSecret>;
  state: ClusterState;
  pool: ConnectionPool;
  slots: SlotGate;
  cancels: CancelRegistry;
  log: Logger;
  report(m: WorkerToSupervisor): void;
  /** Sessions this worker serves now. */
  sessions: Set<SessionHandle>;
  /** Set when the worker stops taking new sessions. */
  draining: boolean;
  /** ssl = on: what an SSLRequest is answered with; null answers 'N'. */
  tls: SecureContext | null;
}

/** Typed reads of pgpool.conf values (the config package normalises units). */
export const num = (c: PgpoolConfig, k: string): number => Number(c[k] ?? 0);
export const bool = (c: PgpoolConfig, k: string): boolean => c[k] === true;
export const str = (c: PgpoolConfig, k: string): string => String(c[k] ?? '');
