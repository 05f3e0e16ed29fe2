/** Process entry for the bins: run the command, then exit once stdout/stderr are flushed. */
import { runPcp } from './main';

export function main(name: string, args: string[] = process.argv.slice(2)): void {
  runPcp(name, args).then(
    (code) => exitAfterFlush(code),
    (e: Error) => {
      process.stderr.write(`${e.stack ?? e.message}\n`);
      exitAfterFlush(1);
    },
  );
}

function exitAfterFlush(code: number): void {
  process.exitCode = code;
  let pending = 2;
  const done = () => {
    if (--pending === 0) process.exit(code);
  };
  process.stdout.write('', done);
  process.stderr.write('', done);
}
