#!/usr/bin/env node
'use strict';
// pgrelay side by side with a direct connection, PgBouncer (session, transaction) and
// pgpool-II on one box, in one interleaved run. Start it with scripts/bench/run (installs
// what is missing); method and the meaning of every number: scripts/bench/README.md.

const { fork } = require('node:child_process');
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { startCluster, startPgrelay, pgBin } = require('../../packages/testkit/dist');
const { runPgbench, pgEnv } = require('./lib/pgbench');
const { startPgpool, startPgbouncer, tempDir } = require('./lib/peers');
const { treePids, treeCpuSeconds, treeMemory, loadAverage, machineCpu, clkTck } = require('./lib/procs');
const report = require('./lib/report');

const ROOT = path.resolve(__dirname, '../..');

// ---- options ------------------------------------------------------------------------------

const HELP = `usage: scripts/bench/run [options]

  --quick              smoke run: 1 × 3 s per variant and row, clients 1,32, -C at 8,
                       100 logged-in idle sessions; every column, about 7 minutes
  --medium             the recorded table: 2 × 4 s per variant and row (1 s warm-up),
                       select-only at 1,8,32 clients, tpcb-like at 8,32, all three -M modes,
                       -C at 8, 10 000 idle clients, 200 logged-in sessions; about 20 minutes
  --only TOKENS        comma-separated filter; tokens of one kind are OR-ed, kinds AND-ed:
                         sections  tps latency connect memory
                         scripts   select-only tpcb-like
                         modes     simple extended prepared
                         clients   c=8 (or 8)
                         variants  pgrelay pgrelay-cpus pgbouncer-session pgbouncer-tx pgpool
                                   spread (direct is always run); also pgbouncer (both modes)
                                   pgrelay-w1 and pgrelay-rr (worker_scheduling=rr; only when named)
                       'latency' alone runs the select-only 1-client rows
  --duration S         seconds per pgbench run (full 10, quick 3)
  --repeat N           runs per variant and row, interleaved; the median is reported (3 / 1)
  --clients LIST       client counts (1,8,32,128 / medium 1,8,32 / quick 1,32)
  --tpcb-clients LIST  client counts of the tpcb-like rows (default: --clients; medium 8,32)
  --connect-clients L  client counts of the pgbench -C rows (8,32 / 8)
  --idle N             idle clients held for the memory rows (10000)
  --sessions N         logged-in idle pgrelay sessions, each with its backends (1000 / 100)
  --scale N            pgbench scale (10)
  --profile            also: one select-only extended run at 32 clients against pgrelay
                       (1 worker) under node --cpu-prof; prints the top frames
  --no-setup           (scripts/bench/run) skip scripts/setup
  --out DIR            results dir (default .bench/<date>); .bench/latest points at it
`;

function parseArgs(argv) {
  const o = { quick: false, only: [], profile: false };
  const take = (i) => {
    if (argv[i + 1] === undefined) throw new Error(`${argv[i]} needs a value`);
    return argv[i + 1];
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const [k, v] = a.includes('=') && a.startsWith('--') ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)] : [a, undefined];
    const val = () => (v !== undefined ? v : take(i++));
    switch (k) {
      case '--quick': o.quick = true; break;
      case '--medium': o.medium = true; break;
      case '--tpcb-clients': o.tpcbClients = val().split(',').map(Number); break;
      case '--only': o.only.push(...val().split(',').map((s) => s.trim().toLowerCase()).filter(Boolean)); break;
      case '--duration': o.duration = Number(val()); break;
      case '--repeat': o.repeat = Number(val()); break;
      case '--clients': o.clients = val().split(',').map(Number); o.clientsGiven = true; break;
      case '--connect-clients': o.connectClients = val().split(',').map(Number); break;
      case '--idle': o.idle = Number(val()); break;
      case '--sessions': o.sessions = Number(val()); break;
      case '--scale': o.scale = Number(val()); break;
      case '--out': o.out = val(); break;
      case '--profile': o.profile = true; break;
      case '-h': case '--help': process.stdout.write(HELP); process.exit(0); break;
      default: throw new Error(`unknown option ${a}\n\n${HELP}`);
    }
  }
  if (o.quick && o.medium) throw new Error('--quick and --medium exclude each other');
  const q = o.quick;
  const m = o.medium;
  o.duration ??= q ? 3 : m ? 4 : 10;
  o.repeat ??= q ? 1 : m ? 2 : 3;
  o.clients ??= q ? [1, 32] : m ? [1, 8, 32] : [1, 8, 32, 128];
  o.tpcbClients ??= m && !o.clientsGiven ? [8, 32] : o.clients;
  o.connectClients ??= q || m ? [8] : [8, 32];
  o.idle ??= 10000;
  o.sessions ??= q ? 100 : m ? 200 : 1000;
  o.scale ??= 10;
  return o;
}

const SCRIPTS = ['select-only', 'tpcb-like'];
const MODES = ['simple', 'extended', 'prepared'];
const SECTIONS = ['tps', 'latency', 'connect', 'memory'];
/** In table order. `extra` ones run only when named in --only. */
const VARIANTS = [
  { name: 'direct', kind: 'direct' },
  { name: 'spread', kind: 'spread' },
  { name: 'pgrelay', kind: 'pgrelay', conf: { num_workers: 0 } },
  { name: 'pgrelay-cpus', kind: 'pgrelay', conf: { num_workers: os.availableParallelism() } },
  { name: 'pgrelay-w1', kind: 'pgrelay', conf: { num_workers: 1 }, extra: true },
  { name: 'pgrelay-rr', kind: 'pgrelay', conf: { num_workers: os.availableParallelism(), worker_scheduling: 'rr' }, extra: true },
  { name: 'pgbouncer-session', kind: 'pgbouncer', mode: 'session' },
  { name: 'pgbouncer-tx', kind: 'pgbouncer', mode: 'transaction' },
  { name: 'pgpool', kind: 'pgpool' },
];
const isPooler = (v) => v.kind !== 'direct' && v.kind !== 'spread';

function plan(o) {
  const tok = new Set(o.only);
  const known = new Set([...SCRIPTS, ...MODES, ...SECTIONS, ...VARIANTS.map((v) => v.name), 'pgbouncer']);
  const clientsTok = [];
  for (const t of tok) {
    const m = /^(?:c=)?(\d+)$/.exec(t);
    if (m) clientsTok.push(Number(m[1]));
    else if (!known.has(t)) throw new Error(`--only: unknown token '${t}'`);
  }
  const pick = (all, f = (x) => tok.has(x)) => (all.some(f) ? all.filter(f) : all);
  let sections = SECTIONS.filter((s) => tok.has(s));
  const latencyOnly = sections.length === 1 && sections[0] === 'latency';
  if (sections.length === 0) sections = [...SECTIONS];
  const named = VARIANTS.filter((v) => tok.has(v.name) || (tok.has('pgbouncer') && v.kind === 'pgbouncer'));
  const variants = named.length > 0 ? VARIANTS.filter((v) => v.kind === 'direct' || named.includes(v)) : VARIANTS.filter((v) => !v.extra);
  const scripts = latencyOnly ? ['select-only'] : pick(SCRIPTS);
  const modes = pick(MODES);
  const clientsOf = (all) => {
    let clients = clientsTok.length ? all.filter((c) => clientsTok.includes(c)).concat(clientsTok.filter((c) => !all.includes(c))) : all;
    if (latencyOnly) clients = [1];
    return clients;
  };
  const rows = [];
  if (sections.includes('tps') || sections.includes('latency')) {
    for (const script of scripts) {
      for (const mode of modes) {
        for (const c of clientsOf(script === 'tpcb-like' ? o.tpcbClients : o.clients)) {
          // without 'tps', 'latency' asks for the 1-client select-only rows only
          if (!sections.includes('tps') && (script !== 'select-only' || c !== 1)) continue;
          rows.push({ section: 'tps', script, mode, clients: c });
        }
      }
    }
  }
  if (sections.includes('connect')) {
    const cc = clientsTok.length ? o.connectClients.filter((c) => clientsTok.includes(c)) : o.connectClients;
    for (const c of cc.length ? cc : o.connectClients) rows.push({ section: 'connect', script: 'select-only', mode: 'simple', clients: c });
  }
  return { rows, variants, memory: sections.includes('memory'), maxClients: Math.max(8, ...rows.map((r) => r.clients)) };
}

// ---- small helpers ------------------------------------------------------------------------

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const median = (xs) => {
  const v = xs.filter((x) => x !== undefined && !Number.isNaN(x)).sort((a, b) => a - b);
  if (!v.length) return undefined;
  const m = Math.floor(v.length / 2);
  return v.length % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
};
const log = (...a) => process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${a.join(' ')}\n`);

function sh(cmd, args) {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return '';
  }
}

function distBuilt() {
  try {
    return fs.statSync(path.join(ROOT, 'packages/proxy/dist/session.js')).mtime.toISOString().replace(/\.\d+Z$/, 'Z');
  } catch {
    return 'never';
  }
}

function machineInfo() {
  const cpu = /model name\s*:\s*(.*)/.exec(fs.readFileSync('/proc/cpuinfo', 'utf8'));
  const mem = /MemTotal:\s+(\d+)/.exec(fs.readFileSync('/proc/meminfo', 'utf8'));
  const head = sh('git', ['-C', ROOT, 'rev-parse', '--short', 'HEAD']);
  const dirty = sh('git', ['-C', ROOT, 'status', '--porcelain', '--untracked-files=no', '--', 'packages']) !== '';
  return {
    date: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    host: os.hostname(),
    cpu: cpu ? cpu[1].trim() : 'unknown',
    cores: os.availableParallelism(),
    memGb: mem ? Math.round(Number(mem[1]) / 1024 / 1024) : 0,
    kernel: os.release(),
    node: process.version,
    postgres: sh(pgBin('postgres'), ['--version']).replace(/^postgres \(PostgreSQL\) /, ''),
    pgbench: sh('pgbench', ['--version']).replace(/^pgbench \(PostgreSQL\) /, ''),
    pgrelay: `${head}${dirty ? ' + uncommitted changes in packages/' : ''}, dist built ${distBuilt()}`,
  };
}

// ---- variants: start, target ports, CPU -------------------------------------------------

async function startVariant(v, cluster, o, maxClients) {
  if (v.kind === 'direct' || v.kind === 'spread') return { ...v, ports: cluster.nodes.map((n) => n.port) };
  if (v.kind === 'pgrelay') {
    // pgrelay's defaults, except: ports/paths (testkit), the same load balancing as pgpool-II
    // (on, weight 1 each, sr_check every 10 s as pgpool's default), and num_init_children ≥
    // clients + 2 (pgrelay limits concurrent sessions to it, as pgpool does).
    const relay = await startPgrelay({
      cluster,
      conf: {
        load_balance_mode: 'on',
        sr_check_period: 10,
        health_check_period: 0,
        num_init_children: maxClients + 2,
        ...v.conf,
      },
      env: o.env,
      bin: o.bin,
    });
    return { ...v, handle: relay, port: relay.port, rootPid: relay.pid, stop: () => relay.stop('fast') };
  }
  if (v.kind === 'pgbouncer') {
    const h = await startPgbouncer(cluster, { mode: v.mode, poolSize: maxClients + 2, maxClientConn: Math.max(maxClients + 100, o.idle + 200) });
    return { ...v, handle: h, port: h.port, rootPid: h.pid, stop: () => h.stop(), version: h.version };
  }
  if (v.kind === 'pgpool') {
    const h = await startPgpool(cluster, { numInitChildren: maxClients + 2 });
    return { ...v, handle: h, port: h.port, rootPid: h.pid, stop: () => h.stop(), version: h.version };
  }
  throw new Error(v.kind);
}

/** Splits c clients over the nodes, as a uniform random balance node would on average. */
function spreadClients(c, nodes) {
  const out = Array(nodes).fill(0);
  for (let i = 0; i < c; i++) out[i % nodes]++;
  return out;
}

async function runOne(row, sv, o, rep, runDir) {
  const threads = (c) => Math.min(c, 2);
  const base = { script: row.script, mode: row.mode, duration: o.duration, connect: row.section === 'connect' };
  const wantLat = row.section === 'tps' && row.script === 'select-only' && row.clients === 1;
  const logDir = wantLat ? fs.mkdtempSync(path.join(runDir, 'lat-')) : undefined;
  const load1 = loadAverage();
  const mc0 = machineCpu();
  const ours0 = benchCpuSeconds();
  const cpu0 = sv.rootPid ? treeCpuSeconds(sv.rootPid) : undefined;
  let r;
  if (sv.kind === 'spread') {
    const split = spreadClients(row.clients, sv.ports.length);
    const parts = await Promise.all(
      split.map((c, i) => (c === 0 ? null : runPgbench({ ...base, port: sv.ports[i], clients: c, threads: 1 }))).filter(Boolean),
    );
    r = {
      tps: parts.every((p) => p.tps !== undefined) ? parts.reduce((a, p) => a + p.tps, 0) : undefined,
      transactions: parts.reduce((a, p) => a + p.transactions, 0),
      failed: parts.reduce((a, p) => a + p.failed, 0),
      aborted: parts.reduce((a, p) => a + p.aborted, 0),
      hung: parts.some((p) => p.hung),
      code: Math.max(...parts.map((p) => p.code ?? 99)),
      errors: parts.flatMap((p) => p.errors).slice(0, 5),
      args: parts.map((p) => p.args).join(' & '),
    };
  } else {
    const port = sv.kind === 'direct' ? sv.ports[0] : sv.port;
    r = await runPgbench({ ...base, port, clients: row.clients, threads: threads(row.clients), logDir });
  }
  const mc1 = machineCpu();
  const ours1 = benchCpuSeconds();
  const cpu1 = sv.rootPid ? treeCpuSeconds(sv.rootPid) : undefined;
  if (logDir) fs.rmSync(logDir, { recursive: true, force: true });
  const cpuSec = cpu0 !== undefined ? cpu1 - cpu0 : undefined;
  return {
    section: row.section,
    script: row.script,
    mode: row.mode,
    clients: row.clients,
    variant: sv.name,
    rep,
    tps: r.tps,
    transactions: r.transactions,
    failed: r.failed,
    aborted: r.aborted,
    hung: r.hung ? 1 : 0,
    exit: r.code,
    cpuSec,
    cpuUsPerTx: cpuSec !== undefined && r.transactions > 0 ? (cpuSec * 1e6) / r.transactions : undefined,
    latMedianUs: r.latMedianUs,
    latP99Us: r.latP99Us,
    latSamples: r.latSamples,
    load1,
    machineBusyPct: (100 * (mc1.busy - mc0.busy)) / Math.max(1, mc1.total - mc0.total),
    // CPU used by everything that is not this bench (other people's work on a shared box)
    othersPct: Math.max(0, (100 * ((mc1.busy - mc0.busy) / clkTck - (ours1 - ours0))) / Math.max(1e-9, (mc1.total - mc0.total) / clkTck)),
    errors: (r.errors ?? []).join(' | '),
    args: r.args,
  };
}

let benchCluster = null;

/** CPU seconds of this bench: its process tree (pgbench, poolers) and the PostgreSQL servers. */
function benchCpuSeconds() {
  let sec = treeCpuSeconds(process.pid);
  for (const n of benchCluster?.nodes ?? []) {
    const pid = n.pid();
    if (pid) sec += treeCpuSeconds(pid);
  }
  return sec;
}

/** The pooler's own log (its last 256 kB), kept with the results: its temp dir goes away. */
function saveLog(outDir, name, sv) {
  if (!sv.handle?.log) return;
  try {
    const dir = path.join(outDir, 'logs');
    fs.mkdirSync(dir, { recursive: true });
    const text = sv.handle.log();
    fs.writeFileSync(path.join(dir, `${name}.log`), text.length > 1 << 18 ? text.slice(-(1 << 18)) : text);
  } catch {
    /* best effort */
  }
}

// ---- memory: idle clients held by a pooler -------------------------------------------------

function idleHolder() {
  const child = fork(path.join(__dirname, 'idle-clients.js'), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const waiters = [];
  child.on('message', (m) => {
    if (m.t === 'progress') return;
    const i = waiters.findIndex((w) => w.t === m.t);
    if (i >= 0) waiters.splice(i, 1)[0].resolve(m);
  });
  const ask = (msg, reply) =>
    new Promise((resolve) => {
      waiters.push({ t: reply, resolve });
      child.send(msg);
    });
  return {
    pid: child.pid,
    open: (o) => ask({ t: 'open', ...o }, 'opened'),
    status: () => ask({ t: 'status' }, 'status'),
    close: () => ask({ t: 'close' }, 'closed'),
    kill: () => child.kill('SIGKILL'),
  };
}

/**
 * One memory row: an active pgbench (select-only extended, 8 clients) runs against the pooler
 * throughout; after `pre` s the holder opens `count` idle connections; after they are all
 * open and `hold` s have passed, the pooler's memory is read again. TPS windows come from
 * pgbench -P 1: before the opening, while connections are being opened, while they are held.
 */
async function memoryRow(label, sv, count, wait, o, runDir) {
  const pre = o.quick ? 4 : 6;
  const hold = o.quick ? 4 : 8;
  const logDir = fs.mkdtempSync(path.join(runDir, 'mem-'));
  let pg = null;
  // runs until killed below; its per-transaction log (-l) gives exact counts per window
  const pgDone = runPgbench({
    port: sv.port,
    script: 'select-only',
    mode: 'extended',
    clients: 8,
    threads: 2,
    duration: 900,
    rawLogDir: logDir,
    onSpawn: (h) => (pg = h),
    extraTimeoutSec: 60,
  });
  const marks = {};
  const mark = (k) => (marks[k] = { at: Date.now(), cpu: treeCpuSeconds(sv.rootPid) });
  await sleep(1500);
  mark('b0');
  await sleep(pre * 1000 - 1500);
  const memBefore = treeMemory(sv.rootPid);
  const holder = idleHolder();
  mark('open');
  const opened = await holder.open({ host: '127.0.0.1', port: sv.port, count, wait, concurrency: 256 });
  mark('opened');
  await sleep(1500);
  mark('h0');
  await sleep(Math.max(0, hold * 1000 - 1500));
  const memAfter = treeMemory(sv.rootPid);
  const st = await holder.status();
  mark('end');
  await sleep(200); // pgbench writes its log through stdio buffers: let the window's lines out
  pg?.child.kill('SIGTERM');
  const pgr = await pgDone;
  await holder.close();
  holder.kill();
  const ends = transactionEnds(logDir);
  fs.rmSync(logDir, { recursive: true, force: true });
  const win = (a, b) => {
    const tx = countBetween(ends, marks[a].at, marks[b].at);
    const sec = (marks[b].at - marks[a].at) / 1000;
    return { tx, tps: sec > 0 ? tx / sec : undefined, cpuPerTx: tx > 0 ? (marks[b].cpu - marks[a].cpu) / tx : undefined };
  };
  const wb = win('b0', 'open');
  const wd = win('open', 'opened');
  const wh = win('h0', 'end');
  const before = wb.tps;
  const during = wd.tps;
  const held = wh.tps;
  const cpuTxBefore = wb.cpuPerTx;
  const cpuTxHeld = wh.cpuPerTx;
  // the pooler's CPU while the clients connected, minus what the active transactions cost it then
  const openSec = marks.opened.cpu - marks.open.cpu;
  const activeShare = (cpuTxBefore ?? 0) * wd.tx;
  const deltaKb = memAfter.rssKb - memBefore.rssKb;
  return {
    label,
    variant: sv.name,
    wait,
    requested: count,
    connected: opened.connected,
    ready: opened.ready,
    failed: opened.failed,
    openAtEnd: st.open,
    errors: JSON.stringify(opened.errors),
    openMs: marks.opened.at - marks.open.at,
    processes: memAfter.processes,
    rssBeforeKb: memBefore.rssKb,
    rssAfterKb: memAfter.rssKb,
    pssBeforeKb: memBefore.pssKb,
    pssAfterKb: memAfter.pssKb,
    socketsBefore: memBefore.sockets,
    socketsAfter: memAfter.sockets,
    rssPerConnKb: deltaKb / Math.max(1, st.open),
    pssPerConnKb: (memAfter.pssKb - memBefore.pssKb) / Math.max(1, st.open),
    acceptCpuUsPerConn: (Math.max(0, openSec - activeShare) * 1e6) / Math.max(1, opened.connected),
    tpsBefore: before,
    tpsDuring: during,
    tpsHeld: held,
    cpuUsPerTxBefore: cpuTxBefore !== undefined ? cpuTxBefore * 1e6 : undefined,
    cpuUsPerTxHeld: cpuTxHeld !== undefined ? cpuTxHeld * 1e6 : undefined,
    pgbenchAborted: pgr.aborted,
    load1: loadAverage(),
  };
}

/** End times (ms since the epoch) of the transactions in a pgbench -l log, sorted. */
function transactionEnds(dir) {
  const out = [];
  for (const f of fs.readdirSync(dir)) {
    for (const line of fs.readFileSync(path.join(dir, f), 'utf8').split('\n')) {
      // client tx latency script epoch_s epoch_us
      const v = line.split(' ');
      if (v.length >= 6 && /^\d+$/.test(v[2])) out.push(Number(v[4]) * 1000 + Number(v[5]) / 1000);
    }
  }
  return out.sort((a, b) => a - b);
}

function countBetween(sorted, a, b) {
  const lower = (x) => {
    let lo = 0;
    let hi = sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (sorted[mid] <= x) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
  return lower(b) - lower(a);
}

// ---- profile --------------------------------------------------------------------------------

/**
 * pgrelay (1 worker) under node --cpu-prof, and — when `perf` is installed — `perf record`
 * on the worker for an on-CPU view: V8's profiler samples wall time and charges a native
 * call (writev) with the time the thread was descheduled and with the V8 builtins it runs.
 */
async function profileRun(cluster, o, runDir) {
  const out = [];
  const perf = sh('sh', ['-c', 'command -v perf']) !== '';
  const workloads = [
    // after simple-protocol traffic, as in the TPS rows: the classifier cache is then full
    { label: 'select-only extended c=32 (after 3 s of select-only simple)', dir: 'select-only-extended', script: 'select-only', mode: 'extended', clients: 32, before: { script: 'select-only', mode: 'simple', clients: 8, duration: 3 } },
    { label: 'pgbench -C select-only simple c=8', dir: 'connect', script: 'select-only', mode: 'simple', clients: 8, connect: true },
  ];
  for (const w of workloads) {
    const profDir = path.join(runDir, 'cpuprofile', w.dir);
    fs.mkdirSync(profDir, { recursive: true });
    const env = { PGRELAY_CPU_PROF_DIR: profDir };
    const bin = path.join(__dirname, 'lib', 'pgrelay-cpu-prof');
    const sv = await startVariant(VARIANTS.find((v) => v.name === 'pgrelay-w1'), cluster, { ...o, env, bin }, 34);
    if (w.before) await runPgbench({ port: sv.port, ...w.before, threads: 2 });
    const duration = Math.max(o.duration, 10);
    log(`profile: ${w.label} for ${duration} s against pgrelay (1 worker) under node --cpu-prof${perf ? ' and perf record' : ''}`);
    const worker = treePids(sv.rootPid).find((pid) => pid !== sv.rootPid);
    const perfFile = path.join(profDir, 'perf.data');
    const rec = perf && worker ? spawnQuiet('perf', ['record', '-F', '999', '-g', '-p', String(worker), '-o', perfFile, '--', 'sleep', String(duration - 2)]) : null;
    const r = await runPgbench({ port: sv.port, script: w.script, mode: w.mode, clients: w.clients, connect: w.connect, threads: 2, duration });
    if (rec) await rec;
    await sv.stop(); // the worker writes its .cpuprofile when it exits
    await sleep(500);
    // the worker carried the traffic: the profile with the most busy (not idle) samples
    let best = null;
    for (const f of fs.readdirSync(profDir).filter((x) => x.endsWith('.cpuprofile'))) {
      const p = JSON.parse(fs.readFileSync(path.join(profDir, f), 'utf8'));
      const busy = report.busySamples(p);
      if (!best || busy > best.busy) best = { f, p, busy };
    }
    let onCpu = [];
    if (rec && fs.existsSync(perfFile)) {
      const text = sh('perf', ['report', '-i', perfFile, '--no-children', '--sort', 'dso,sym', '--stdio', '-g', 'none']);
      onCpu = text
        .split('\n')
        .map((l) => /^\s+([\d.]+)%\s+(\S+)\s+\[(.)\]\s+(.*)$/.exec(l))
        .filter(Boolean)
        .slice(0, 20)
        .map((m) => ({ pct: Number(m[1]), dso: m[2], name: m[4].trim() }));
      fs.rmSync(perfFile, { force: true });
    }
    out.push({ label: w.label, tps: r.tps, file: best ? path.join(profDir, best.f) : null, top: best ? report.topFrames(best.p, 15) : [], onCpu });
  }
  return out;
}

function spawnQuiet(cmd, args) {
  return new Promise((resolve) => {
    const child = require('node:child_process').spawn(cmd, args, { stdio: 'ignore' });
    child.on('error', () => resolve(1));
    child.on('close', resolve);
  });
}

// ---- main ---------------------------------------------------------------------------------

async function main() {
  const o = parseArgs(process.argv.slice(2));
  const p = plan(o);
  const stamp = new Date().toISOString().replace(/[:]/g, '').replace(/\.\d+Z$/, 'Z');
  const outDir = path.resolve(o.out ?? path.join(ROOT, '.bench', stamp));
  fs.mkdirSync(outDir, { recursive: true });
  const runDir = tempDir('run');
  const info = machineInfo();
  info.mode = o.quick ? 'quick' : o.medium ? 'medium' : 'full';
  info.args = process.argv.slice(2).join(' ');
  info.duration = o.duration;
  info.repeat = o.repeat;
  log(`results in ${path.relative(process.cwd(), outDir) || outDir}; ${p.rows.length} pgbench rows × ${p.variants.length} variants × ${o.repeat} × ${o.duration} s` + (p.memory ? ' + memory' : ''));
  const loads = [loadAverage()];
  const others = [];

  // Enough backend connections for every pooler's cached ones at once (each keeps up to the
  // largest client count), plus the memory rows' logged-in sessions.
  const maxConn = Math.max(7 * (p.maxClients + 2) + 100, p.memory ? o.sessions + 300 : 0);
  const cluster = await startCluster({ standbys: 2, name: 'bench', pgConf: { max_connections: String(maxConn) } });
  benchCluster = cluster;
  const stopAll = [];
  let stopping = false;
  const cleanup = async () => {
    if (stopping) return;
    stopping = true;
    for (const s of stopAll.splice(0).reverse()) await s().catch(() => undefined);
    await cluster.stop().catch(() => undefined);
    fs.rmSync(runDir, { recursive: true, force: true });
  };
  for (const sig of ['SIGINT', 'SIGTERM']) {
    process.on(sig, () => {
      log(`${sig}: stopping`);
      cleanup().finally(() => process.exit(130));
    });
  }
  try {
    const primary = cluster.primary();
    log(`cluster: primary :${primary.port}, standbys ${cluster.nodes.slice(1).map((n) => ':' + n.port).join(' ')}; max_connections ${maxConn}`);
    log(`pgbench -i -s ${o.scale}`);
    execFileSync('pgbench', ['-h', '127.0.0.1', '-p', String(primary.port), '-U', 'postgres', '-i', '-q', '-s', String(o.scale), 'test'], { env: pgEnv(), stdio: ['ignore', 'ignore', 'pipe'] });
    await primary.query('CHECKPOINT');
    await cluster.waitForCatchup(120_000);

    const runs = [];
    const summary = [];
    if (p.rows.length) {
      const started = [];
      for (const v of p.variants) {
        log(`starting ${v.name}`);
        const sv = await startVariant(v, cluster, o, p.maxClients);
        started.push(sv);
        if (sv.stop) stopAll.push(sv.stop);
        if (sv.version) info[v.kind] = sv.version;
      }
      // Let the poolers' first sr_check / primary detection finish before measuring.
      await sleep(2000);
      const csvRuns = path.join(outDir, 'runs.csv');
      let rowIndex = 0;
      for (const row of p.rows) {
        const vs = started.filter((sv) => !(sv.kind === 'spread' && (row.script !== 'select-only' || row.section !== 'tps' || row.clients < 3)));
        if (row.script === 'tpcb-like') {
          await primary.query('VACUUM pgbench_branches, pgbench_tellers', [], { database: 'test' });
          await primary.query('TRUNCATE pgbench_history', [], { database: 'test' });
          await cluster.waitForCatchup(60_000);
        }
        const label = report.rowLabel(row);
        if (!o.quick) {
          // warm-up: one short run per variant (first connections, caches, prepared plans)
          for (const sv of vs) await runOne(row, sv, { ...o, duration: 1 }, 0, runDir);
        }
        const mine = [];
        for (let rep = 1; rep <= o.repeat; rep++) {
          const k = (rep - 1 + rowIndex) % vs.length;
          for (const sv of [...vs.slice(k), ...vs.slice(0, k)]) {
            const r = await runOne(row, sv, o, rep, runDir);
            runs.push(r);
            mine.push(r);
            loads.push(r.load1);
            others.push(r.othersPct);
            report.appendCsv(csvRuns, r);
            log(`${label} ${sv.name} #${rep}: ${r.tps?.toFixed(0) ?? 'no tps'} tps` + (r.cpuUsPerTx !== undefined ? `, ${r.cpuUsPerTx.toFixed(1)} µs cpu/tx` : '') + (r.failed || r.aborted || r.hung || r.exit !== 0 ? ` FAILED ${r.failed} aborted ${r.aborted} exit ${r.exit}${r.hung ? ' HUNG' : ''} ${r.errors}` : '') + `, load ${r.load1}, others ${r.othersPct.toFixed(0)}% cpu`);
          }
        }
        for (const sv of vs) {
          const rs = mine.filter((r) => r.variant === sv.name);
          summary.push({
            section: row.section,
            script: row.script,
            mode: row.mode,
            clients: row.clients,
            variant: sv.name,
            runs: rs.length,
            tps: median(rs.map((r) => r.tps)),
            tpsMin: Math.min(...rs.map((r) => r.tps ?? 0)),
            tpsMax: Math.max(...rs.map((r) => r.tps ?? 0)),
            failed: rs.reduce((a, r) => a + r.failed, 0),
            aborted: rs.reduce((a, r) => a + r.aborted, 0),
            hung: rs.reduce((a, r) => a + r.hung, 0),
            // runs that reported no TPS or exited non-zero for another reason than aborted clients
            errored: rs.filter((r) => !r.hung && (r.tps === undefined || (r.exit !== 0 && !r.aborted))).length,
            cpuUsPerTx: median(rs.map((r) => r.cpuUsPerTx)),
            latMedianUs: median(rs.map((r) => r.latMedianUs)),
            latP99Us: median(rs.map((r) => r.latP99Us)),
            load1: median(rs.map((r) => r.load1)),
            machineBusyPct: median(rs.map((r) => r.machineBusyPct)),
            othersPct: median(rs.map((r) => r.othersPct)),
          });
        }
        rowIndex++;
      }
      for (const sv of started) {
        saveLog(outDir, sv.name, sv);
        if (sv.stop) await sv.stop().catch(() => undefined);
      }
      stopAll.length = 0;
    }

    const memory = [];
    if (p.memory) {
      const wanted = p.variants.filter((v) => v.kind === 'pgrelay' || v.name === 'pgbouncer-tx');
      for (const v of wanted) {
        const cases =
          v.kind === 'pgrelay'
            ? [
                // pgrelay's defaults (num_init_children 32): 24 log in, the rest wait for a slot
                { label: `${o.idle} clients waiting for a session slot`, conf: { num_init_children: 32 }, count: o.idle, wait: 'sent' },
                { label: `${o.sessions} logged-in idle sessions`, conf: { num_init_children: o.sessions + 16 }, count: o.sessions, wait: 'ready' },
              ]
            : [{ label: `${o.idle} logged-in idle clients`, count: o.idle, wait: 'ready' }];
        for (const c of cases) {
          log(`memory: ${v.name}, ${c.label}`);
          const sv = await startVariant({ ...v, conf: { ...v.conf, ...(c.conf ?? {}) } }, cluster, o, (c.conf?.num_init_children ?? 34) - 2);
          stopAll.push(sv.stop);
          await sleep(1000);
          const m = await memoryRow(c.label, sv, c.count, c.wait, o, runDir);
          memory.push(m);
          loads.push(m.load1);
          log(`  ${m.connected} connected, ${m.ready} logged in, ${m.failed} failed, ${m.openAtEnd} open at the end, pooler sockets ${m.socketsBefore} → ${m.socketsAfter}; opened in ${m.openMs} ms; RSS ${(m.rssBeforeKb / 1024).toFixed(1)} → ${(m.rssAfterKb / 1024).toFixed(1)} MB (${m.rssPerConnKb.toFixed(2)} kB/conn); tps ${m.tpsBefore?.toFixed(0)} / ${m.tpsDuring?.toFixed(0) ?? '-'} / ${m.tpsHeld?.toFixed(0)}`);
          saveLog(outDir, `memory-${v.name}-${c.wait}`, sv);
          await sv.stop();
          stopAll.pop();
        }
      }
      report.writeCsv(path.join(outDir, 'memory.csv'), memory);
    }

    let profile = null;
    if (o.profile) profile = await profileRun(cluster, o, outDir);

    info.loadMin = Math.min(...loads);
    info.loadMax = Math.max(...loads);
    info.loadMedian = median(loads);
    info.othersMedian = median(others);
    info.othersMax = others.length ? Math.max(...others) : undefined;
    info.maxConnections = maxConn;
    report.writeCsv(path.join(outDir, 'summary.csv'), summary);
    const table = report.render({ info, summary, memory, variants: p.variants.map((v) => v.name), o, profile });
    fs.writeFileSync(path.join(outDir, 'table.md'), table);
    fs.writeFileSync(path.join(outDir, 'meta.json'), JSON.stringify({ info, options: o }, null, 2));
    if (!o.out) {
      const latest = path.join(ROOT, '.bench', 'latest');
      fs.rmSync(latest, { force: true });
      fs.symlinkSync(stamp, latest);
    }
    process.stdout.write(table);
    log(`wrote ${outDir}/{table.md,summary.csv,runs.csv${p.memory ? ',memory.csv' : ''}}`);
  } finally {
    await cleanup();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
