import type { KnownParam } from './params';
import type { ConfigWarning } from './errors';

type ValueOf<P> =
  P extends { type: 'bool' } ? boolean
  : P extends { type: 'int' | 'real' } ? number
  : P extends { type: 'list' } ? string[]
  : P extends { type: 'enum'; values: readonly (infer V)[] } ? V
  : string;

/** One typed field per parameter that has a plain (not only `nameN`) form, named as pgpool names it. */
export type PgpoolParams = {
  [P in Exclude<KnownParam, { indexed: 'required' }> as P['name']]: ValueOf<P>;
};

export interface HealthCheckConfig {
  period: number;
  timeout: number;
  user: string;
  password: string;
  database: string;
  max_retries: number;
  retry_delay: number;
  /** milliseconds */
  connect_timeout: number;
}

export interface BackendConfig {
  /** The slot number N of backend_*N. */
  id: number;
  hostname: string;
  port: number;
  /** As written in backend_weightN; see normalisedWeights() for the share. */
  weight: number;
  data_directory: string;
  flag: string;
  allowToFailover: boolean;
  alwaysPrimary: boolean;
  application_name: string;
  /** health_check_*N / connect_timeoutN where set, else the plain health_check_* values. */
  healthCheck: HealthCheckConfig;
}

export interface WatchdogNodeConfig {
  id: number;
  hostname: string;
  wd_port: number;
  pgpool_port: number;
}

export interface HeartbeatConfig {
  id: number;
  hostname: string;
  port: number;
  device: string;
}

export interface DerivedConfig {
  /** Used backend slots (backend_portN set), sorted by id. */
  backends: BackendConfig[];
  /** Watchdog nodes whose hostnameN is non-empty, sorted by id. */
  watchdog_nodes: WatchdogNodeConfig[];
  /** Heartbeat destinations whose heartbeat_hostnameN is non-empty, sorted by id. */
  heartbeat_destinations: HeartbeatConfig[];
  /** pcp_socket_dir split at commas (4.5+ allows several). */
  pcp_socket_dirs: string[];
}

export type PgpoolConfig = { [name: string]: unknown } & PgpoolParams & DerivedConfig;

export interface ExplicitSetting {
  file: string;
  line: number;
  /** The value as written, quotes removed. */
  raw: string;
}

export interface LoadedConfig {
  /** Absolute path of the main configuration file. */
  file: string;
  /** Its directory; relative paths in settings resolve against it. */
  dir: string;
  values: PgpoolConfig;
  /** Keys set in the files (canonical names, `backend_port0` style for slots); the last setting wins. */
  explicit: Map<string, ExplicitSetting>;
  warnings: ConfigWarning[];
}
