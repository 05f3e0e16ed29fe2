/** Messages between the supervisor and its workers (node:cluster IPC, JSON). */
import type { ClusterState } from './state';

export type SupervisorToWorker =
  | { t: 'state'; state: ClusterState }
  | { t: 'config'; config: unknown; hba: unknown; passwd: unknown }
  | { t: 'slot'; id: number; granted: boolean }
  | { t: 'cancel'; pid: number; key: number }
  | { t: 'shutdown'; mode: 'smart' | 'fast' | 'immediate' }
  /** To a retiring worker: its replacement listens now, so it may close its sockets. */
  | { t: 'replaced' }
  /** Every worker's report, answering a worker's admin_gather (SQL SHOW POOL_PROCESSES …). */
  | { t: 'admin_gathered'; id: number; reports: AdminWorkerReport[] }
  | SupervisorRecoveryGate
  | SupervisorSwitchoverHold;

export type WorkerToSupervisor =
  | { t: 'listening' }
  | { t: 'acquire'; id: number }
  | { t: 'release' }
  | { t: 'cancel'; pid: number; key: number }
  | { t: 'node_connected'; nodeId: number }
  /**
   * io: a read or write failed; connect: a new connection failed; shutdown: 57P01/57P02 seen;
   * mismatch: native replication, the node answered a statement differently from the
   * majority (replication_stop_on_mismatch / failover_if_affected_tuples_mismatch).
   */
  | { t: 'backend_failure'; nodeId: number; cause: string; kind?: 'io' | 'connect' | 'shutdown' | 'mismatch' }
  | { t: 'sessions'; count: number }
  | { t: 'retire'; reason: string }
  /** A session asked for a listing of every worker's sessions (SHOW POOL_PROCESSES, POOL_POOLS). */
  | { t: 'admin_gather'; id: number }
  | WorkerRecoveryGateState
  | WorkerSwitchoverState;

/** A cancel key's pid carries the worker's index so any worker can route a CancelRequest. */
export const WORKER_BITS = 8;
export const workerOfPid = (pid: number): number => (pid >>> (31 - WORKER_BITS)) & ((1 << WORKER_BITS) - 1);
export const makePid = (worker: number, seq: number): number =>
  ((worker & ((1 << WORKER_BITS) - 1)) << (31 - WORKER_BITS)) | (seq & ((1 << (31 - WORKER_BITS)) - 1));

// ---- Operator reports (PCP server <-> workers) ----------------------------------------------
// The supervisor's PCP server asks every worker what it serves (pcp_proc_count/proc_info,
// SHOW POOL_PROCESSES/POOL_POOLS/POOL_BACKEND_STATS) and merges the answers.

export type AdminSessionStatus = 'Idle' | 'Idle in transaction' | 'Execute command' | 'Connecting';

/** One backend connection, live or cached. Times are Unix ms. */
export interface AdminConnReport {
  nodeId: number;
  /** The backend's process id. */
  pid: number;
  createdAt: number;
  /** Clients this connection has served (pgpool's pool_counter). */
  counter: number;
  database: string;
  user: string;
}

export interface AdminSessionReport {
  database: string;
  user: string;
  /** When the client connected. */
  connectedAt: number;
  /** Seconds since the client last sent something. */
  idleSeconds: number;
  status: AdminSessionStatus;
  backend: AdminConnReport | null;
}

/** Statements and backend errors counted per node (SHOW POOL_BACKEND_STATS, select_cnt). */
export interface AdminNodeCounters {
  select: number;
  insert: number;
  update: number;
  delete: number;
  ddl: number;
  other: number;
  panic: number;
  fatal: number;
  error: number;
}

export interface AdminWorkerReport {
  index: number;
  pid: number;
  startedAt: number;
  /** Client connections this worker has accepted (pgpool's client_connection_count). */
  accepted: number;
  sessions: AdminSessionReport[];
  /** Cached idle backend connections; lastUsed = when their last client left. */
  idle: (AdminConnReport & { lastUsed: number })[];
  /** Node id -> counts since the worker started. */
  counters: Record<number, AdminNodeCounters>;
}

export type SupervisorAdminRequest = { t: 'admin_report_request'; id: number };
export type WorkerAdminReply = { t: 'admin_report'; id: number; report: AdminWorkerReport };

/**
 * The health checker's statistics (SHOW POOL_HEALTH_CHECK_STATS rows, columns in pgpool's
 * order), pushed to the workers when they change so SHOW answers without a round trip.
 */
export type SupervisorAdminHealth = { t: 'admin_health_stats'; rows: string[][] };

// ---- Online recovery's session gate (supervisor <-> workers) --------------------------------
// The 2nd stage of a recovery needs every client session gone and none starting. `hold`: new
// connections wait unanswered (not refused) and idle sessions are cut per idleLimit
// (client_idle_limit_in_recovery: -1 at once, 0 never, N seconds); the supervisor repeats it
// while it needs the gate closed (a worker opens by itself when the repeats stop) and reads the
// counts from the answers. `open`: the waiting connections go ahead.

export type SupervisorRecoveryGate = { t: 'recovery_gate'; id: number; action: 'hold' | 'open'; idleLimit: number };
export type WorkerRecoveryGateState = { t: 'recovery_gate_state'; id: number; sessions: number; held: number };

// ---- Planned switchover (pcp_promote_node -s) ------------------------------------------------
// `hold`, repeated while it lasts: sessions start no new transaction (their next one waits at
// its boundary); each worker answers with how many sessions are still in one. `release`: go on.

export type SupervisorSwitchoverHold = { t: 'switchover_hold'; id: number; action: 'hold' | 'release' };
export type WorkerSwitchoverState = { t: 'switchover_state'; id: number; busy: number };
