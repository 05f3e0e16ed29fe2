export type StopMode = 'smart' | 'fast' | 'immediate';

export interface QueryOptions {
  user?: string;
  password?: string;
  database?: string;
  /** Bound on the TCP connect + startup; a paused (SIGSTOPped) node otherwise hangs forever. */
  connectTimeoutMs?: number;
}

export interface PgNode {
  id: number;
  host: '127.0.0.1';
  port: number;
  dataDir: string;
  socketDir: string;
  /** The server's stderr (pg_ctl -l): `<dataDir>/../node<N>.log`. */
  logFile: string;
  pid(): number | undefined;
  isRunning(): boolean;
  start(): Promise<void>;
  stop(mode?: StopMode): Promise<void>;
  restart(): Promise<void>;
  kill9(): void;
  /**
   * The postmaster and every process it started killed at once, as when the machine dies.
   * kill9() alone leaves its backends running a moment, and they can still acknowledge commits.
   */
  crash(): void;
  pause(): void;
  resume(): void;
  promote(): Promise<void>;
  /** Point this standby at another primary (primary_conninfo + reload); timeline follows via recovery_target_timeline=latest. */
  follow(primary: PgNode): Promise<void>;
  query<T = any>(sql: string, params?: unknown[], opts?: QueryOptions): Promise<T[]>;
  connectionString(user?: string, database?: string): string;
  /** Everything the server wrote to its log file so far. */
  log(): string;
}

export interface ClusterUsers {
  superuser: 'postgres';
  trust: { user: string };
  md5: { user: string; password: string };
  scram: { user: string; password: string };
}

export interface Cluster {
  nodes: PgNode[];
  primary(): PgNode;
  baseDir: string;
  /** The WAL archive of a streaming cluster (every node, timelines keep them apart). */
  archiveDir: string;
  /**
   * Where node `id` archives its WAL: archiveDir, or in an `independent` cluster a directory
   * of its own (the copies share one system identifier and timeline, so file names collide).
   */
  archiveDirOf(id: number): string;
  users: ClusterUsers;
  waitForCatchup(timeoutMs?: number): Promise<void>;
  addStandby(): Promise<PgNode>;
  stop(): Promise<void>;
}

export interface ClusterOptions {
  standbys?: number;
  /**
   * Native replication: this many separate primaries (node0..N-1), each a copy of the
   * template, with no replication between them. Replaces the primary + `standbys` layout.
   */
  independent?: number;
  /** Extra postgresql.conf settings for every node (values are quoted for you). */
  pgConf?: Record<string, string>;
  name?: string;
}

export interface PgrelayOptions {
  cluster?: Cluster;
  /** backend_clustering_mode (default streaming_replication); `conf` may still override it. */
  mode?: 'streaming_replication' | 'native_replication' | 'raw' | 'logical_replication' | 'snapshot_isolation';
  conf?: Record<string, string | number | boolean>;
  rawConf?: string;
  hba?: string;
  poolPasswd?: string;
  pcpConf?: string;
  keyFile?: string;
  args?: string[];
  env?: Record<string, string>;
  waitReady?: boolean;
  /** Script or executable to run instead of the built supervisor (also: env PGRELAY_BIN). */
  bin?: string;
  /** How long to wait for the ready line (default 20 s). */
  readyTimeoutMs?: number;
}

export interface Pgrelay {
  port: number;
  pcpPort: number;
  host: '127.0.0.1';
  socketDir: string;
  dir: string;
  confPath: string;
  pid: number;
  pcp: { user: string; password: string };
  log(): string;
  waitForLog(re: RegExp, timeoutMs?: number): Promise<string>;
  exited: Promise<number | null>;
  stop(mode?: StopMode): Promise<void>;
  signal(sig: NodeJS.Signals): void;
  connectionString(user?: string, database?: string, password?: string): string;
}
