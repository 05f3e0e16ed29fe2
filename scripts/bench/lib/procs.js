'use strict';
// What a pooler costs, read from /proc: CPU time and memory of a whole process tree.

const fs = require('node:fs');
const { execFileSync } = require('node:child_process');

let clkTck = 100;
try {
  clkTck = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
} catch {
  /* 100 on every Linux we run on */
}

/** Fields after the command name of /proc/<pid>/stat (field 3 of the man page is [0]). */
function statFields(pid) {
  try {
    const s = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return s.slice(s.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

/** Every live process (not a zombie) with its parent. */
function processTable() {
  const out = [];
  for (const e of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    const f = statFields(Number(e));
    if (!f || f[0] === 'Z' || f[0] === 'X') continue;
    out.push({ pid: Number(e), ppid: Number(f[1]) });
  }
  return out;
}

/** root and all its live descendants. */
function treePids(root) {
  const table = processTable();
  const kids = new Map();
  for (const p of table) {
    if (!kids.has(p.ppid)) kids.set(p.ppid, []);
    kids.get(p.ppid).push(p.pid);
  }
  if (!table.some((p) => p.pid === root)) return [];
  const out = [];
  const todo = [root];
  while (todo.length) {
    const pid = todo.pop();
    out.push(pid);
    for (const k of kids.get(pid) ?? []) todo.push(k);
  }
  return out;
}

/**
 * CPU seconds used so far by a process tree: utime+stime of every live member plus
 * cutime+cstime (children that exited and were reaped by a member, e.g. recycled pgpool
 * children), so a before/after difference counts processes that came and went.
 */
function treeCpuSeconds(root) {
  let ticks = 0;
  for (const pid of treePids(root)) {
    const f = statFields(pid);
    if (!f) continue;
    // man proc: utime(14) stime(15) cutime(16) cstime(17); f[0] is field 3
    ticks += Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14]);
  }
  return ticks / clkTck;
}

function statusKb(pid, key) {
  try {
    const m = new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

function pssKb(pid) {
  try {
    const m = /^Pss:\s+(\d+) kB/m.exec(fs.readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

function socketCount(pid) {
  let n = 0;
  try {
    for (const fd of fs.readdirSync(`/proc/${pid}/fd`)) {
      try {
        if (fs.readlinkSync(`/proc/${pid}/fd/${fd}`).startsWith('socket:')) n++;
      } catch {
        /* closed meanwhile */
      }
    }
  } catch {
    /* gone */
  }
  return n;
}

/** Memory of a process tree: RSS summed (shared pages count once per process), PSS summed. */
function treeMemory(root) {
  const pids = treePids(root);
  let rssKb = 0;
  let pss = 0;
  let sockets = 0;
  for (const pid of pids) {
    rssKb += statusKb(pid, 'VmRSS');
    pss += pssKb(pid);
    sockets += socketCount(pid);
  }
  return { processes: pids.length, rssKb, pssKb: pss, sockets };
}

function loadAverage() {
  try {
    return Number(fs.readFileSync('/proc/loadavg', 'utf8').split(' ')[0]);
  } catch {
    return NaN;
  }
}

/** Busy and total jiffies of the whole machine, for "how busy was the box" during a run. */
function machineCpu() {
  const line = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0];
  const v = line.trim().split(/\s+/).slice(1).map(Number);
  const idle = v[3] + (v[4] || 0);
  const total = v.reduce((a, b) => a + b, 0);
  return { busy: total - idle, total };
}

module.exports = { treePids, treeCpuSeconds, treeMemory, loadAverage, machineCpu, clkTck };
