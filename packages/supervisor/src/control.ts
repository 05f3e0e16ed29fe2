/** `pgrelay stop` and `pgrelay reload`: signal the running supervisor named by pid_file_name. */
import path from 'node:path';
import { loadConfig } from '@pgrelay/config';
import type { CliOptions } from './cli';
import { isAlive, readPid } from './pid-file';

const SIGNALS = { smart: 'SIGTERM', fast: 'SIGINT', immediate: 'SIGQUIT' } as const;

function runningPid(opts: CliOptions): number {
  const conf = loadConfig(opts.configFile);
  const file = path.resolve(conf.dir, String(conf.values.pid_file_name));
  const pid = readPid(file);
  if (pid === undefined) {
    process.stderr.write(`FATAL:  could not read pid file\nDETAIL:  "${file}" is missing or holds no pid\n`);
    process.exit(1);
  }
  return pid;
}

export async function stopCommand(opts: CliOptions): Promise<void> {
  const pid = runningPid(opts);
  try {
    process.kill(pid, SIGNALS[opts.stopMode]);
  } catch (e) {
    process.stderr.write(`ERROR:  could not send stop request to pgpool (pid: ${pid}): ${(e as Error).message}\n`);
    process.exit(1);
  }
  process.stderr.write(`stop request sent to pgpool (pid: ${pid}). waiting for termination...`);
  while (isAlive(pid)) {
    await new Promise((r) => setTimeout(r, 200));
    process.stderr.write('.');
  }
  process.stderr.write('done.\n');
}

export function reloadCommand(opts: CliOptions): void {
  const pid = runningPid(opts);
  process.kill(pid, 'SIGHUP');
}
