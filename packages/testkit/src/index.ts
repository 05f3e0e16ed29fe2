export { startCluster } from './cluster';
export { startPgrelay, PgrelayStartError, DEFAULT_PGRELAY_BIN } from './pgrelay';
export { freePort } from './ports';
export { ensureTemplate, USERS } from './template';
export { PG_BIN, pgBin, pgVersion } from './pgenv';
export type {
  Cluster,
  ClusterOptions,
  ClusterUsers,
  PgNode,
  Pgrelay,
  PgrelayOptions,
  QueryOptions,
  StopMode,
} from './types';
