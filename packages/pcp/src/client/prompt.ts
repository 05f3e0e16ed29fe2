/**
 * "Password: " as libpcp's simple_prompt asks it: on the terminal with echo off when there is
 * one, else on stderr reading stdin; a newline is written after the answer either way.
 */
import fs from 'node:fs';
import tty from 'node:tty';

const MAX_LEN = 99;

export async function promptPassword(prompt = 'Password: '): Promise<string> {
  let fd: number | undefined;
  try {
    fd = fs.openSync('/dev/tty', 'r+');
  } catch {
    fd = undefined;
  }
  if (fd !== undefined && tty.isatty(fd)) return readHidden(fd, prompt);
  if (fd !== undefined) fs.closeSync(fd);
  process.stderr.write(prompt);
  const line = await readLine(process.stdin);
  process.stderr.write('\n');
  return line.slice(0, MAX_LEN);
}

function readLine(stream: NodeJS.ReadableStream): Promise<string> {
  return new Promise((resolve) => {
    let buf = '';
    const done = () => {
      stream.removeListener('data', onData);
      stream.removeListener('end', done);
      stream.removeListener('error', done);
      (stream as NodeJS.ReadStream).pause?.();
      resolve(buf.replace(/\r?\n[\s\S]*$/, ''));
    };
    const onData = (d: Buffer | string) => {
      buf += d.toString();
      if (buf.includes('\n')) done();
    };
    stream.on('data', onData);
    stream.once('end', done);
    stream.once('error', done);
  });
}

function readHidden(fd: number, prompt: string): Promise<string> {
  const input = new tty.ReadStream(fd);
  const output = new tty.WriteStream(fd);
  output.write(prompt);
  input.setRawMode(true);
  return new Promise((resolve) => {
    let buf = '';
    const finish = () => {
      input.setRawMode(false);
      input.removeAllListeners('data');
      input.destroy();
      output.write('\n');
      output.destroy();
      resolve(buf.slice(0, MAX_LEN));
    };
    input.on('data', (d: Buffer) => {
      for (const ch of d.toString('utf8')) {
        if (ch === '\r' || ch === '\n' || ch === '\u0004') return finish();
        if (ch === '\u0003') {
          input.setRawMode(false);
          process.exit(1);
        }
        if (ch === '\u007f' || ch === '\b') buf = buf.slice(0, -1);
        else buf += ch;
      }
    });
  });
}
