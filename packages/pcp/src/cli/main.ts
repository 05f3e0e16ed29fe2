/**
 * One pcp_* command, start to finish, with pgpool-II 4.3.5's options, messages, output and
 * exit codes: 1 for option errors, connection and authentication failures; 0 otherwise,
 * server-side errors included (they are printed to stderr).
 */
import os from 'node:os';
import { PcpConnectError, PcpConnection } from '../client/connection';
import { passwordFromFile } from '../client/pcppass';
import { promptPassword } from '../client/prompt';
import { exchange, isEmptyResult, requests, type PcpResult } from '../client/requests';
import { APPS, LONG_OPTIONS, MAX_NUM_BACKENDS, requiresNodeId, supportsScope, usage, type App, type AppName } from './apps';
import { atoi, getoptLong } from './getopt';
import * as out from './output';

export interface Io {
  stdout(s: string): void;
  stderr(s: string): void;
  env: NodeJS.ProcessEnv;
  prompt(): Promise<string>;
}

export const processIo = (): Io => ({
  stdout: (s) => process.stdout.write(s),
  stderr: (s) => process.stderr.write(s),
  env: process.env,
  prompt: () => promptPassword(),
});

export const PGPOOL_VERSION = '4.3.5';

interface Options {
  host?: string;
  port: number;
  user?: string;
  nodeId: number;
  processId: number;
  mode: 's' | 'f' | 'i';
  scope: 'l' | 'c';
  all: boolean;
  debug: boolean;
  needPassword: boolean;
  gracefully: boolean;
  switchover: boolean;
  verbose: boolean;
}

/** Parses like pgpool's main(); returns an exit code when the command ends there. */
function parseOptions(app: App, args: string[], io: Io): Options | number {
  const prog = app.name;
  const o: Options = {
    port: 9898, nodeId: -1, processId: 0, mode: 's', scope: 'l', all: false, debug: false,
    needPassword: true, gracefully: false, switchover: false, verbose: false,
  };
  const g = getoptLong(prog, args, app.options, LONG_OPTIONS);
  for (const ev of g.events) {
    const arg = 'arg' in ev ? (ev.arg ?? '') : '';
    switch (ev.opt) {
      case 'd': o.debug = true; break;
      case 'a': o.all = true; break;
      case 'w': o.needPassword = false; break;
      case 'W': o.needPassword = true; break;
      case 'g': o.gracefully = true; break;
      case 's':
        if (supportsScope(app.name)) {
          if (arg === 'c' || arg === 'cluster') o.scope = 'c';
          else if (arg === 'l' || arg === 'local') o.scope = 'l';
          else {
            io.stderr(`${prog}: Invalid command scope "${arg}", must be either "cluster" or "local" \n`);
            return 1;
          }
        } else if (app.name === 'pcp_promote_node') {
          o.switchover = true;
        } else {
          io.stderr(`Invalid argument "${arg}", Try "${prog} --help" for more information.\n`);
          return 1;
        }
        break;
      case 'm':
        if (app.name === 'pcp_stop_pgpool') {
          if (arg === 's' || arg === 'smart') o.mode = 's';
          else if (arg === 'f' || arg === 'fast') o.mode = 'f';
          else if (arg === 'i' || arg === 'immediate') o.mode = 'i';
          else {
            io.stderr(`${prog}: Invalid shutdown mode "${arg}", must be either "smart" "immediate" or "fast" \n`);
            return 1;
          }
        } else {
          io.stderr(`Invalid argument "${arg}", Try "${prog} --help" for more information.\n`);
          return 1;
        }
        break;
      case 'v': o.verbose = true; break;
      case 'n':
        o.nodeId = atoi(arg);
        if (app.name === 'pcp_watchdog_info') {
          if (o.nodeId < 0) {
            io.stderr(`${prog}: Invalid watchdog-id "${arg}", must be a positive number or zero for a local watchdog node\n`);
            return 0;
          }
        } else if (o.nodeId < 0 || o.nodeId > MAX_NUM_BACKENDS) {
          io.stderr(`${prog}: Invalid node-id "${arg}", must be between 0 and ${MAX_NUM_BACKENDS}\n`);
          return 0;
        }
        break;
      case 'p':
        o.port = atoi(arg);
        if (o.port <= 1024 || o.port > 65535) {
          io.stderr(`${prog}: Invalid port number "${arg}", must be between 1024 and 65535\n`);
          return 0;
        }
        break;
      case 'P':
        o.processId = atoi(arg);
        if (o.processId <= 0) {
          io.stderr(`${prog}: Invalid process-id "${arg}", must be greater than 0\n`);
          return 0;
        }
        break;
      case 'h': o.host = arg; break;
      case 'U': o.user = arg; break;
      default:
        for (const e of g.errors) io.stderr(`${e}\n`);
        io.stderr(`Try "${prog} --help" for more information.\n\n`);
        return 1;
    }
  }

  for (const operand of g.operands) {
    if (app.name === 'pcp_proc_info' && o.processId <= 0) {
      o.processId = atoi(operand);
      // pgpool prints getopt's optarg here, which is NULL once the options are parsed.
      if (o.processId <= 0) {
        io.stderr(`${prog}: Invalid process-id "(null)", must be greater than 0\n`);
        return 0;
      }
    } else if (app.name === 'pcp_watchdog_info' && o.nodeId < 0) {
      o.nodeId = atoi(operand);
      if (o.nodeId < 0) {
        io.stderr(`${prog}: Invalid watchdog-id "(null)", must be a positive number or zero for local watchdog node\n`);
        return 0;
      }
    } else if ((requiresNodeId(app.name) || app.name === 'pcp_node_info') && o.nodeId < 0) {
      o.nodeId = atoi(operand);
      if (o.nodeId < 0 || o.nodeId > MAX_NUM_BACKENDS) {
        io.stderr(`${prog}: Invalid node-id "(null)", must be between 0 and ${MAX_NUM_BACKENDS}\n`);
        return 0;
      }
    } else {
      io.stderr(`${prog}: Warning: extra command-line argument "${operand}" ignored\n`);
    }
  }

  if (o.nodeId < 0 && requiresNodeId(app.name)) {
    io.stderr(`${prog}: missing node-id\n`);
    io.stderr(`Try "${prog} --help" for more information.\n\n`);
    return 1;
  }
  return o;
}

async function perform(app: AppName, conn: PcpConnection, o: Options): Promise<PcpResult> {
  const req = (() => {
    switch (app) {
      case 'pcp_attach_node': return requests.attachNode(o.nodeId);
      case 'pcp_detach_node': return requests.detachNode(o.nodeId, o.gracefully);
      case 'pcp_node_count': return requests.nodeCount();
      case 'pcp_node_info': return requests.nodeInfo(o.nodeId);
      case 'pcp_health_check_stats': return requests.healthCheckStats(o.nodeId);
      case 'pcp_pool_status': return requests.poolStatus();
      case 'pcp_proc_count': return requests.processCount();
      case 'pcp_proc_info': return requests.processInfo(o.processId);
      case 'pcp_promote_node': return requests.promoteNode(o.nodeId, o.gracefully, o.switchover);
      case 'pcp_recovery_node': return requests.recoveryNode(o.nodeId);
      case 'pcp_stop_pgpool': return requests.stopPgpool(o.mode, o.scope);
      case 'pcp_watchdog_info': return requests.watchdogInfo(o.nodeId);
      case 'pcp_reload_config': return requests.reloadConfig(o.scope);
    }
  })();
  return exchange(conn, req.sent, req.bytes, req.trace);
}

function render(app: AppName, r: PcpResult, o: Options): string {
  switch (app) {
    case 'pcp_node_count': return out.nodeCount(r, o.verbose);
    case 'pcp_node_info': return out.nodeInfo(r, o.all, o.verbose);
    case 'pcp_health_check_stats': return out.healthCheckStats(r, o.verbose);
    case 'pcp_pool_status': return out.poolStatus(r, o.verbose);
    case 'pcp_proc_count': return out.procCount(r, o.verbose);
    case 'pcp_proc_info': return out.procInfo(r, o.all, o.verbose);
    case 'pcp_watchdog_info': return out.watchdogInfo(r, o.verbose);
    default: return '';
  }
}

/** Runs command `name` with `args` (argv without the program); resolves to the exit code. */
export async function runPcp(name: string, args: string[], io: Io = processIo()): Promise<number> {
  const app = APPS.find((a) => a.name === name);
  if (!app) {
    io.stderr(`${name} is a invalid PCP utility\n`);
    return 1;
  }
  if (args[0] === '--help' || args[0] === '-?') {
    io.stderr(usage(app));
    return 0;
  }
  if (args[0] === '-V' || args[0] === '--version') {
    io.stderr(`${app.name} (pgpool-II) ${PGPOOL_VERSION}\n`);
    return 0;
  }
  const parsed = parseOptions(app, args, io);
  if (typeof parsed === 'number') return parsed;
  const o = parsed;
  if (o.nodeId < 0 && (app.name === 'pcp_watchdog_info' || app.name === 'pcp_node_info')) o.nodeId = -1;

  let password = '';
  if (o.needPassword) password = await io.prompt();
  const debug = o.debug ? (line: string) => io.stdout(line) : undefined;
  const user = o.user ?? safeUserName();
  // libpcp: the Unix socket with no -h is the one in /tmp, and that is what .pcppass sees.
  const host = o.host === undefined || o.host === '' ? undefined : o.host;
  if (password === '') password = passwordFromFile(host, o.port, user, debug, io.env) ?? '';

  let conn: PcpConnection;
  try {
    conn = await PcpConnection.open({ host, port: o.port, user, password, debug });
  } catch (e) {
    io.stderr(`${e instanceof PcpConnectError ? e.message : (e as Error).message}\n`);
    return 1;
  }
  const r = await perform(app.name, conn, o);
  if (r.status !== 'ok') {
    io.stderr(`${r.error ?? 'Unknown Error'}\n`);
  } else if (isEmptyResult(r)) {
    io.stdout(`${app.name} -- Command Successful\n`);
  } else {
    io.stdout(render(app.name, r, o));
  }
  await conn.close();
  return 0;
}

function safeUserName(): string {
  try {
    return os.userInfo().username;
  } catch {
    return '';
  }
}

export const APP_NAMES = APPS.map((a) => a.name);
