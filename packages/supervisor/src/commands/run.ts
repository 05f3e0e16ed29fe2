/**
 * Runs an operator's command (failover_command, follow_primary_command, recovery scripts) the
 * way pgpool's system() does: `/bin/sh -c <line>`, environment inherited, exit status reported
 * but never thrown. Unlike pgpool, its output goes into our log line by line and its time is
 * bounded.
 *
 * node:child_process rather than execa: execa 9 is ESM-only and cannot be loaded inside jest's
 * CommonJS runtime (packages.md §6, re-checked here), spawn is cheaper per run (1.7 vs 2.3 ms for
 * `sh -c 'echo hi'`, plus execa's 67 ms first import), and killing the whole process group on
 * timeout needs `detached` + kill(-pid) either way.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import type { Readable } from 'node:stream';
import type { Logger } from '@pgrelay/proxy';
import { lineSplitter } from './lines';
import { terminateGroup } from './process-group';

export interface RunOptions {
  /** Names the command in the log, e.g. `failover_command`. */
  what: string;
  /** 0 = no limit. */
  timeoutMs: number;
  log: Logger;
  /** After a timeout the group gets SIGTERM, then SIGKILL this much later if anything is left. */
  killGraceMs?: number;
  env?: NodeJS.ProcessEnv;
}

export interface RunResult {
  /** The shell's pid, which is also its process group id. */
  pid?: number;
  /** The shell's exit code; null when it was ended by a signal or could not start. */
  code: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  durationMs: number;
  /** Why the shell could not be started at all. */
  error?: string;
}

/** Output written just before exit may still be in the pipe; a daemon the script started may hold it forever. */
const DRAIN_AFTER_EXIT_MS = 200;
const DEFAULT_KILL_GRACE_MS = 2000;

export function runCommand(cmd: string, opts: RunOptions): Promise<RunResult> {
  const { what, log } = opts;
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  // pgpool runs nothing for an empty line, and says nothing either.
  if (cmd === '') return Promise.resolve({ code: 0, signal: null, timedOut: false, durationMs: 0 });
  log.log({ what }, `execute command: ${cmd}`);

  return new Promise((resolve) => {
    let child: ChildProcess;
    try {
      // detached: the shell leads a new process group, so a timeout can end everything it started.
      child = spawn('/bin/sh', ['-c', cmd], { detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: opts.env ?? process.env });
    } catch (e) {
      return resolve(failedToStart(what, log, (e as Error).message, elapsed()));
    }
    const pid = child.pid;
    for (const stream of ['stdout', 'stderr'] as const) {
      const lines = lineSplitter((line) => log.log({ what, pid, stream }, line));
      child[stream]!.on('data', (chunk: Buffer) => lines.push(chunk));
      child[stream]!.on('end', () => lines.end());
      child[stream]!.on('error', (err) => log.debug({ what, pid, stream, err: err.message }, `${what}: reading its ${stream} failed`));
    }

    let timedOut = false;
    let groupGone: Promise<void> = Promise.resolve();
    const timer =
      opts.timeoutMs > 0 && pid !== undefined
        ? setTimeout(() => {
            timedOut = true;
            log.warn({ what, pid, timeoutMs: opts.timeoutMs }, `${what} did not finish within ${opts.timeoutMs} ms; killing its process group ${pid}`);
            groupGone = terminateGroup(pid, opts.killGraceMs ?? DEFAULT_KILL_GRACE_MS);
          }, opts.timeoutMs)
        : null;

    let settled = false;
    child.on('error', (err) => {
      // A failed spawn: the shell never ran and no exit will follow. (Later errors, e.g. from kill, change nothing.)
      if (settled || child.pid !== undefined) return;
      settled = true;
      if (timer) clearTimeout(timer);
      resolve(failedToStart(what, log, err.message, elapsed()));
    });
    child.once('exit', (code, signal) => {
      if (timer) clearTimeout(timer);
      const durationMs = elapsed();
      void Promise.all([groupGone, closedOrLater(child, DRAIN_AFTER_EXIT_MS)]).then(() => {
        if (settled) return;
        settled = true;
        // Whatever still writes to the pipes (a daemon) keeps being logged, but must not keep us alive.
        for (const s of [child.stdout, child.stderr]) unrefStream(s);
        logExit(what, log, { pid, code, signal, timedOut, durationMs });
        resolve({ pid, code, signal, timedOut, durationMs });
      });
    });
  });
}

function failedToStart(what: string, log: Logger, message: string, durationMs: number): RunResult {
  log.error({ what, err: message }, `${what} could not be started: ${message}`);
  return { code: null, signal: null, timedOut: false, durationMs, error: message };
}

function logExit(
  what: string,
  log: Logger,
  r: { pid?: number; code: number | null; signal: NodeJS.Signals | null; timedOut: boolean; durationMs: number },
): void {
  const fields = { what, pid: r.pid, code: r.code, signal: r.signal, timedOut: r.timedOut, durationMs: r.durationMs };
  if (r.timedOut) log.warn(fields, `${what} was killed after timing out (${r.signal ?? `exit code ${r.code}`}, ${r.durationMs} ms)`);
  else if (r.signal) log.warn(fields, `${what} was terminated by signal ${r.signal} after ${r.durationMs} ms`);
  else if (r.code !== 0) log.warn(fields, `${what} exited with code ${r.code} after ${r.durationMs} ms`);
  else log.log(fields, `${what} exited with code 0 after ${r.durationMs} ms`);
}

function closedOrLater(child: ChildProcess, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    child.once('close', () => {
      clearTimeout(t);
      resolve();
    });
  });
}

function unrefStream(s: Readable | null): void {
  (s as unknown as { unref?: () => void } | null)?.unref?.();
}
