/** Messages between the supervisor and its workers (node:cluster IPC, JSON). */
import type { ClusterState } from './state';

export type SupervisorToWorker =
  | { t: 'state'; state: ClusterState }
  | { t: 'config'; config: unknown; hba: unknown; passwd: unknown }
  | { t: 'slot'; id: number; granted: boolean }
  | { t: 'cancel'; pid: number; key: number }
  | { t: 'shutdown'; mode: 'smart' | 'fast' | 'immediate' };

export type WorkerToSupervisor =
  | { t: 'listening' }
  | { t: 'acquire'; id: number }
  | { t: 'release' }
  | { t: 'cancel'; pid: number; key: number }
  | { t: 'node_connected'; nodeId: number }
  | { t: 'backend_failure'; nodeId: number; cause: string }
  | { t: 'sessions'; count: number }
  | { t: 'retire'; reason: string };

/** A cancel key's pid carries the worker's index so any worker can route a CancelRequest. */
export const WORKER_BITS = 8;
export const workerOfPid = (pid: number): number => (pid >>> (31 - WORKER_BITS)) & ((1 << WORKER_BITS) - 1);
export const makePid = (worker: number, seq: number): number =>
  ((worker & ((1 << WORKER_BITS) - 1)) << (31 - WORKER_BITS)) | (seq & ((1 << (31 - WORKER_BITS)) - 1));
