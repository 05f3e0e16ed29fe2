'use strict';
// jest globalTeardown: stops the PostgreSQL servers and pgrelays a test process left behind
// when it died without running its exit hook (killed worker, crash). Entries whose owner is
// still alive belong to a concurrent jest run, or to a worker that is about to clean up
// itself, and are left alone. Plain CommonJS: it runs before (and without) any build.
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const LIVE = path.join(os.tmpdir(), 'pgrelay-testkit', 'live');

function stat(pid) {
  try {
    const s = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return s.slice(s.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

function alive(pid) {
  const f = stat(pid);
  return !!f && f[0] !== 'Z' && f[0] !== 'X';
}

function ownerAlive(info) {
  // The start time guards against the owner's pid having been reused.
  return alive(info.owner) && (!info.ownerStart || stat(info.owner)[19] === info.ownerStart);
}

function cwdOf(pid) {
  try {
    return fs.readlinkSync(`/proc/${pid}/cwd`).replace(/ \(deleted\)$/, '');
  } catch {
    return undefined;
  }
}

/** PostgreSQL processes chdir to their data dir, pgrelay runs in its own dir. */
function pidsUnder(dirs) {
  const out = [];
  for (const e of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(e) || Number(e) === process.pid) continue;
    const cwd = cwdOf(e);
    if (cwd && dirs.some((d) => cwd === d || cwd.startsWith(d + '/')) && alive(Number(e))) out.push(Number(e));
  }
  return out;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function reap(info) {
  const dirs = info.dirs || [];
  const recorded = (info.pids || []).filter((p) => {
    const cwd = cwdOf(p);
    return cwd && dirs.some((d) => cwd === d || cwd.startsWith(d + '/'));
  });
  for (let i = 0; i < 50; i++) {
    const left = [...new Set([...recorded.filter(alive), ...pidsUnder(dirs)])];
    if (left.length === 0) break;
    for (const p of left) {
      try {
        process.kill(p, 'SIGKILL');
      } catch {}
    }
    await sleep(100);
  }
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true, maxRetries: 3 });
}

module.exports = async function teardown() {
  let files;
  try {
    files = fs.readdirSync(LIVE);
  } catch {
    return;
  }
  for (const name of files) {
    const file = path.join(LIVE, name);
    const owner = Number(name.split('-')[0]);
    if (name.endsWith('.tmp')) {
      if (!alive(owner)) fs.rmSync(file, { force: true });
      continue;
    }
    if (!name.endsWith('.json')) continue;
    let info;
    try {
      info = JSON.parse(fs.readFileSync(file, 'utf8'));
    } catch {
      continue;
    }
    // Our own workers may still be running their exit hooks: give them a moment.
    for (let i = 0; i < 30 && ownerAlive(info) && stat(info.owner)[1] === String(process.pid); i++) await sleep(100);
    if (ownerAlive(info)) continue;
    try {
      await reap(info);
      fs.rmSync(file, { force: true });
    } catch (err) {
      console.warn(`pgrelay testkit teardown: ${file}: ${err.message}`);
    }
  }
};
