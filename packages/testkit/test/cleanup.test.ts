import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { transformFileSync } from '@swc/core';
import { processesIn, until } from './procs';

// The safety nets only matter when a test process dies without stop(): so run real child
// processes on the current sources (compiled here, dist/ may be stale) and let them die.
const teardown = require('../jest-teardown.js') as () => Promise<void>;
const LIVE = path.join(os.tmpdir(), 'pgrelay-testkit', 'live');
let work: string;

beforeAll(() => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'pgrelay-cleanup-test-'));
  const src = path.resolve(__dirname, '../src');
  fs.mkdirSync(path.join(work, 'build'));
  for (const f of fs.readdirSync(src).filter((f) => f.endsWith('.ts'))) {
    const { code } = transformFileSync(path.join(src, f), {
      jsc: { target: 'es2022', parser: { syntax: 'typescript' } },
      module: { type: 'commonjs' },
    });
    fs.writeFileSync(path.join(work, 'build', f.replace(/\.ts$/, '.js')), code);
  }
  fs.writeFileSync(path.join(work, 'stub.js'), `
    setTimeout(() => console.log('ready to accept connections'), 20);
    setInterval(() => {}, 1000);`);
  fs.writeFileSync(path.join(work, 'child.js'), `
    const tk = require('./build/index.js');
    (async () => {
      const c = await tk.startCluster({ name: 'orphan', standbys: 1 });
      const r = await tk.startPgrelay({ cluster: c, bin: ${JSON.stringify(path.join(work, 'stub.js'))} });
      const solo = await tk.startPgrelay({ bin: ${JSON.stringify(path.join(work, 'stub.js'))} });
      c.nodes[1].pause();
      console.log(JSON.stringify({ dirs: [c.baseDir, r.dir, solo.dir] }));
      if (process.argv[2] === 'exit') process.exit(0);
      process.kill(process.pid, 'SIGKILL');
    })().catch((e) => { console.error(e); process.exit(1); });`);
});

afterAll(() => {
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

function runChild(mode: 'exit' | 'kill'): Promise<{ pid: number; dirs: string[]; out: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(work, 'child.js'), mode], {
      env: { ...process.env, NODE_PATH: path.resolve(__dirname, '../node_modules') },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d));
    child.stderr.on('data', (d: Buffer) => (out += d));
    child.on('error', reject);
    child.on('close', () => {
      const line = out.split('\n').find((l) => l.startsWith('{"dirs"'));
      if (!line) return reject(new Error(`child failed:\n${out}`));
      resolve({ pid: child.pid!, dirs: JSON.parse(line).dirs, out });
    });
  });
}

const liveFilesOf = (pid: number) => fs.readdirSync(LIVE).filter((f) => f.startsWith(`${pid}-`));

test('a test process that exits without stop() takes its servers with it', async () => {
  const { pid, dirs } = await runChild('exit');
  await until(() => dirs.every((d) => processesIn(d).length === 0), 5000, 'processes gone');
  for (const d of dirs) expect(fs.existsSync(d)).toBe(false);
  expect(liveFilesOf(pid)).toEqual([]);
});

test('a test process killed with SIGKILL is cleaned up by the jest teardown', async () => {
  const { pid, dirs } = await runChild('kill');
  expect(processesIn(dirs[0]).length).toBeGreaterThan(0);
  expect(processesIn(dirs[1]).length).toBe(1);
  const files = liveFilesOf(pid);
  expect(files).toHaveLength(2); // the cluster (with its pgrelay) and the standalone pgrelay
  const recorded = files.flatMap((f) => JSON.parse(fs.readFileSync(path.join(LIVE, f), 'utf8')).pids);
  expect(recorded.length).toBe(4); // two postmasters, two pgrelays
  await teardown();
  for (const d of dirs) {
    expect(processesIn(d)).toEqual([]);
    expect(fs.existsSync(d)).toBe(false);
  }
  expect(liveFilesOf(pid)).toEqual([]);
});
