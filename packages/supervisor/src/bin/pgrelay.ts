#!/usr/bin/env node
/** The `pgrelay` command: supervisor, or (inside node:cluster) one of its workers. */
import cluster from 'node:cluster';
import { spawn } from 'node:child_process';
import { runWorker } from '@pgrelay/proxy';
import { ConfigError } from '@pgrelay/config';
import { parseArgs, USAGE, UsageError } from '../cli';
import { reloadCommand, stopCommand } from '../control';
import { runSupervisor } from '../main';
import { switchoverCommand } from '../switchover-command';
import { versionLine } from '../version';

async function main(): Promise<void> {
  if (cluster.isWorker) {
    await runWorker();
    return;
  }
  if (process.argv[2] === 'switchover') {
    process.exitCode = await switchoverCommand(process.argv.slice(3));
    return;
  }
  let opts;
  try {
    opts = parseArgs(process.argv.slice(2));
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`pgrelay: ${e.message}\n${USAGE}`);
      process.exit(1);
    }
    throw e;
  }
  switch (opts.command) {
    case 'version':
      process.stdout.write(`${versionLine()}\n`);
      return;
    case 'help':
      process.stdout.write(USAGE);
      return;
    case 'stop':
      return stopCommand(opts);
    case 'reload':
      return reloadCommand(opts);
    case 'start':
      if (!opts.foreground && process.env.PGRELAY_DAEMON !== '1') return daemonize();
      return runSupervisor(opts);
  }
}

/** Without -n pgpool detaches from the terminal; so does pgrelay (systemd units pass -n). */
function daemonize(): void {
  const child = spawn(process.execPath, [...process.execArgv, ...process.argv.slice(1)], {
    detached: true,
    stdio: ['ignore', 'inherit', 'inherit'],
    env: { ...process.env, PGRELAY_DAEMON: '1' },
  });
  child.unref();
}

main().catch((e: unknown) => {
  if (e instanceof ConfigError) {
    process.stderr.write(`FATAL:  ${e.message}\n`);
  } else {
    process.stderr.write(`FATAL:  ${(e as Error)?.stack ?? String(e)}\n`);
  }
  process.exit(1);
});
