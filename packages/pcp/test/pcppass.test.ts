/** .pcppass as libpcp reads it. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { passwordFromFile } from '@pgrelay/pcp';

let dir: string;
let file: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pcppass-'));
  file = path.join(dir, 'pcppass');
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function write(text: string, mode = 0o600): Record<string, string> {
  fs.writeFileSync(file, text);
  fs.chmodSync(file, mode);
  return { PCPPASSFILE: file };
}

test('first matching line wins; * matches any field', () => {
  const env = write('db1:9898:alice:one\n*:9898:alice:two\n*:*:*:three\n');
  expect(passwordFromFile('db1', 9898, 'alice', undefined, env)).toBe('one');
  expect(passwordFromFile('db2', 9898, 'alice', undefined, env)).toBe('two');
  expect(passwordFromFile('db2', 9999, 'bob', undefined, env)).toBe('three');
});

test('the default socket (no -h, or /tmp) is "localhost"; another socket dir is its path', () => {
  const env = write('localhost:9898:u:local\n/var/run/pgpool:9898:u:dir\n');
  expect(passwordFromFile(undefined, 9898, 'u', undefined, env)).toBe('local');
  expect(passwordFromFile('/tmp', 9898, 'u', undefined, env)).toBe('local');
  expect(passwordFromFile('/var/run/pgpool', 9898, 'u', undefined, env)).toBe('dir');
});

test('backslash escapes : and \\ in fields and in the password', () => {
  const env = write('h\\:x:9898:u:p\\:w\\\\d\n');
  expect(passwordFromFile('h:x', 9898, 'u', undefined, env)).toBe('p:w\\d');
});

test('a file readable by group or others is ignored, with a warning only under -d', () => {
  const env = write('*:*:*:secret\n', 0o644);
  const lines: string[] = [];
  expect(passwordFromFile('h', 9898, 'u', (l) => lines.push(l), env)).toBeUndefined();
  expect(lines).toEqual([`WARNING: password file "${file}" has group or world access; permissions should be u=rw (0600) or less\n`]);
});

test('no user, or no file: no password', () => {
  const env = write('*:*:*:x\n');
  expect(passwordFromFile('h', 1, '', undefined, env)).toBeUndefined();
  expect(passwordFromFile('h', 1, 'u', undefined, { PCPPASSFILE: path.join(dir, 'missing') })).toBeUndefined();
});
