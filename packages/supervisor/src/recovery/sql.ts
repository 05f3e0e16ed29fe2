/**
 * The statements pgpool sends to the primary (main node) during a recovery. The scripts get
 * the hosts as pgpool writes them: an empty host or a socket directory becomes `localhost`.
 */
import type { BackendConfig } from '@pgrelay/config';

export const STAGE_NAMES = { 1: '1st stage', 2: '2nd stage' } as const;

export function scriptHost(host: string): string {
  return host === '' || host.startsWith('/') ? 'localhost' : host;
}

/** pgpool pastes values in unquoted; doubling quotes keeps a path with a quote from breaking out. */
const lit = (s: string): string => `'${s.replace(/'/g, "''")}'`;

/** pgpool 4.3's seven-argument call (extension 1.4): script, node host, node data dir, main port, node id, node port, main host. */
export function recoveryStatement(script: string, node: BackendConfig, main: BackendConfig): string {
  const args = [
    lit(script),
    lit(scriptHost(node.hostname)),
    lit(node.data_directory),
    lit(String(main.port)),
    String(node.id),
    lit(String(node.port)),
    lit(scriptHost(main.hostname)),
  ];
  return `SELECT pgpool_recovery(${args.join(', ')})`;
}

export function remoteStartStatement(node: BackendConfig): string {
  return `SELECT pgpool_remote_start(${lit(scriptHost(node.hostname))}, ${lit(node.data_directory)})`;
}
