/** The pcp_* commands of pgpool-II 4.3.5: names, accepted short options and descriptions. */

export type AppName =
  | 'pcp_attach_node'
  | 'pcp_detach_node'
  | 'pcp_node_count'
  | 'pcp_node_info'
  | 'pcp_health_check_stats'
  | 'pcp_pool_status'
  | 'pcp_proc_count'
  | 'pcp_proc_info'
  | 'pcp_promote_node'
  | 'pcp_recovery_node'
  | 'pcp_stop_pgpool'
  | 'pcp_watchdog_info'
  | 'pcp_reload_config';

export interface App {
  name: AppName;
  /** getopt short-option string, exactly as 4.3.5 has it. */
  options: string;
  description: string;
}

export const APPS: App[] = [
  { name: 'pcp_attach_node', options: 'n:h:p:U:wWvd', description: 'attach a node from pgpool-II' },
  { name: 'pcp_detach_node', options: 'n:h:p:U:gwWvd', description: 'detach a node from pgpool-II' },
  { name: 'pcp_node_count', options: 'h:p:U:wWvd', description: "display the total number of nodes under pgpool-II's control" },
  { name: 'pcp_node_info', options: 'n:h:p:U:awWvd', description: "display a pgpool-II node's information" },
  { name: 'pcp_health_check_stats', options: 'n:h:p:U:wWvd', description: 'display a pgpool-II health check stats data' },
  { name: 'pcp_pool_status', options: 'h:p:U:wWvd', description: 'display pgpool configuration and status' },
  { name: 'pcp_proc_count', options: 'h:p:U:wWvd', description: 'display the list of pgpool-II child process PIDs' },
  { name: 'pcp_proc_info', options: 'h:p:P:U:awWvd', description: "display a pgpool-II child process' information" },
  { name: 'pcp_promote_node', options: 'n:h:p:U:gswWvd', description: 'promote a node as new main from pgpool-II' },
  { name: 'pcp_recovery_node', options: 'n:h:p:U:wWvd', description: 'recover a node' },
  { name: 'pcp_stop_pgpool', options: 'm:h:p:U:s:wWvda', description: 'terminate pgpool-II' },
  { name: 'pcp_watchdog_info', options: 'n:h:p:U:wWvd', description: "display a pgpool-II watchdog's information" },
  { name: 'pcp_reload_config', options: 'h:p:U:s:wWvd', description: 'reload a pgpool-II config file' },
];

export const LONG_OPTIONS = [
  { name: 'help', hasArg: false, val: '?' },
  { name: 'debug', hasArg: false, val: 'd' },
  { name: 'version', hasArg: false, val: 'V' },
  { name: 'host', hasArg: true, val: 'h' },
  { name: 'port', hasArg: true, val: 'p' },
  { name: 'process-id', hasArg: true, val: 'P' },
  { name: 'username', hasArg: true, val: 'U' },
  { name: 'no-password', hasArg: false, val: 'w' },
  { name: 'password', hasArg: false, val: 'W' },
  { name: 'mode', hasArg: true, val: 'm' },
  { name: 'scope', hasArg: true, val: 's' },
  { name: 'gracefully', hasArg: false, val: 'g' },
  { name: 'switchover', hasArg: false, val: 's' },
  { name: 'verbose', hasArg: false, val: 'v' },
  { name: 'all', hasArg: false, val: 'a' },
  { name: 'node-id', hasArg: true, val: 'n' },
  { name: 'watchdog-id', hasArg: true, val: 'n' },
];

export const MAX_NUM_BACKENDS = 128;

export const requiresNodeId = (a: AppName): boolean =>
  a === 'pcp_attach_node' || a === 'pcp_detach_node' || a === 'pcp_health_check_stats' || a === 'pcp_promote_node' || a === 'pcp_recovery_node';

export const supportsScope = (a: AppName): boolean => a === 'pcp_stop_pgpool' || a === 'pcp_reload_config';

export function usage(app: App): string {
  const a = app.name;
  const operand = requiresNodeId(a) ? '[node-id]' : a === 'pcp_watchdog_info' ? '[watchdog-id]' : a === 'pcp_proc_info' ? '[process-id]' : '';
  let s = `${a} - ${app.description}\nUsage:\n${a} [OPTION...] ${operand}\nOptions:\n`;
  s += '  -U, --username=NAME    username for PCP authentication\n';
  s += '  -h, --host=HOSTNAME    pgpool-II host\n';
  s += '  -p, --port=PORT        PCP port number\n';
  s += '  -w, --no-password      never prompt for password\n';
  s += '  -W, --password         force password prompt (should happen automatically)\n';
  if (requiresNodeId(a)) s += '  -n, --node-id=NODEID   ID of a backend node\n';
  if (a === 'pcp_node_info') {
    s += '  -n, --node-id=NODEID   ID of a backend node\n';
    s += '  -a, --all              display all backend nodes information\n';
  }
  if (a === 'pcp_stop_pgpool') s += '  -m, --mode=MODE        MODE can be "smart", "fast", or "immediate"\n';
  if (supportsScope(a)) {
    s += '  -s, --scope=SCOPE      SCOPE can be "cluster", or "local"\n';
    s += '                         cluster scope do operations on all Pgpool-II nodes\n';
    s += '                         part of the watchdog cluster\n';
  }
  if (a === 'pcp_promote_node' || a === 'pcp_detach_node') s += '  -g, --gracefully       promote gracefully (optional)\n';
  if (a === 'pcp_promote_node') s += '  -s, --switchover       switchover primary to specified node (optional)\n';
  if (a === 'pcp_watchdog_info') {
    s += '  -n, --watchdog-id=ID   ID of a other pgpool to get information for\n';
    s += '                         ID 0 for the local watchdog\n';
    s += '                         If omitted then get information of all watchdog nodes\n';
  }
  if (a === 'pcp_proc_info') {
    s += '  -P, --process-id=PID   PID of the child process to get information for (optional)\n';
    s += '  -a, --all              display all child processes and their available connection slots\n';
  }
  s += '  -d, --debug            enable debug message (optional)\n';
  s += '  -v, --verbose          output verbose messages\n';
  s += '  -?, --help             print this help\n\n';
  return s;
}
