export { runSupervisor } from './main';
export { parseArgs, type CliOptions } from './cli';
export { versionLine, PGPOOL_VERSION } from './version';
