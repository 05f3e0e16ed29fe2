/** pgpool's command line: `pgrelay [options] [stop|reload]`. */
import path from 'node:path';

export interface CliOptions {
  command: 'start' | 'stop' | 'reload' | 'version' | 'help';
  configFile: string;
  pcpFile: string;
  hbaFile: string;
  keyFile?: string;
  foreground: boolean;
  discardStatus: boolean;
  debug: boolean;
  stopMode: 'smart' | 'fast' | 'immediate';
}

export class UsageError extends Error {}

const DEFAULT_DIR = '/etc/pgpool2';

const MODES: Record<string, CliOptions['stopMode']> = { s: 'smart', smart: 'smart', f: 'fast', fast: 'fast', i: 'immediate', immediate: 'immediate' };

export function parseArgs(argv: string[]): CliOptions {
  const o: CliOptions = {
    command: 'start',
    configFile: path.join(DEFAULT_DIR, 'pgpool.conf'),
    pcpFile: '',
    hbaFile: '',
    foreground: false,
    discardStatus: false,
    debug: false,
    stopMode: 'smart',
  };
  let pcpGiven = false;
  let hbaGiven = false;
  const value = (i: number, flag: string): string => {
    const v = argv[i];
    if (v === undefined) throw new UsageError(`option ${flag} requires an argument`);
    return v;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const eq = a.startsWith('--') ? a.indexOf('=') : -1;
    const flag = eq > 0 ? a.slice(0, eq) : a;
    const inline = eq > 0 ? a.slice(eq + 1) : undefined;
    const arg = (): string => inline ?? value(++i, flag);
    switch (flag) {
      case '-f': case '--config-file': o.configFile = arg(); break;
      case '-F': case '--pcp-file': o.pcpFile = arg(); pcpGiven = true; break;
      case '-a': case '--hba-file': o.hbaFile = arg(); hbaGiven = true; break;
      case '-k': case '--key-file': o.keyFile = arg(); break;
      case '-n': case '--dont-detach': o.foreground = true; break;
      case '-D': case '--discard-status': o.discardStatus = true; break;
      case '-d': case '--debug': o.debug = true; break;
      case '-C': case '--clear-oidmaps': case '-x': case '--debug-assertions': break;
      case '-m': case '--mode': {
        const m = MODES[arg()];
        if (!m) throw new UsageError(`invalid shutdown mode "${argv[i]}": use smart, fast or immediate`);
        o.stopMode = m;
        break;
      }
      case '-v': case '--version': o.command = 'version'; break;
      case '-h': case '--help': o.command = 'help'; break;
      case 'stop': o.command = 'stop'; break;
      case 'reload': o.command = 'reload'; break;
      default: throw new UsageError(`unrecognized argument "${a}"`);
    }
  }
  const dir = path.dirname(o.configFile);
  if (!pcpGiven) o.pcpFile = path.join(dir, 'pcp.conf');
  if (!hbaGiven) o.hbaFile = path.join(dir, 'pool_hba.conf');
  return o;
}

export const USAGE = `pgrelay, a drop-in replacement for pgpool-II.
Usage:
  pgrelay [ -c] [ -f CONFIG_FILE ] [ -F PCP_CONFIG_FILE ] [ -a HBA_CONFIG_FILE ]
          [ -n ] [ -D ] [ -d ]
  pgrelay [ -f CONFIG_FILE ] [ -F PCP_CONFIG_FILE ] [ -a HBA_CONFIG_FILE ]
          [ -m SHUTDOWN-MODE ] stop
  pgrelay [ -f CONFIG_FILE ] [ -F PCP_CONFIG_FILE ] [ -a HBA_CONFIG_FILE ] reload
  pgrelay switchover [ -h HOST ] [ -p PCP_PORT ] [ -U PCP_USER ] [ -w ] -n NODE_ID
          (planned switchover to NODE_ID: pcp_promote_node -s, clients see a pause, no error)

Common options:
  -a, --hba-file=HBA_CONFIG_FILE   Set the path to the pool_hba.conf configuration file
  -f, --config-file=CONFIG_FILE    Set the path to the pgpool.conf configuration file
  -F, --pcp-file=PCP_CONFIG_FILE   Set the path to the pcp.conf configuration file
  -k, --key-file=KEY_FILE          Set the path to the pgpool key file
  -h, --help                       Print this help
  -v, --version                    Print the version

Start options:
  -D, --discard-status  Discard pgpool_status file and do not restore previous status
  -d, --debug           Debug mode
  -n, --dont-detach     Don't run in daemon mode, does not detach control tty

Stop options:
  -m, --mode=SHUTDOWN-MODE   Can be "smart", "fast", or "immediate"
`;
