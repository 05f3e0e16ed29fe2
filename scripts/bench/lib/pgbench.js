'use strict';
// Runs pgbench and reads what it printed: TPS, transactions, failed transactions, aborted
// clients, and (with a log dir) per-transaction latencies.

const { spawn } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const PGBENCH = process.env.PGBENCH || 'pgbench';

/** Environment without PG* variables (they would redirect pgbench), plus a connect timeout. */
function pgEnv() {
  const env = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('PG')) env[k] = v;
  env.PGCONNECT_TIMEOUT = '15';
  return env;
}

/**
 * opts: { port, database, script ('select-only'|'tpcb-like'), mode, clients, threads,
 *         duration, connect (-C), logDir (per-transaction log), progress (-P 1 callback),
 *         extraTimeoutSec, signal (AbortSignal-like: { killed }) }
 */
function runPgbench(opts) {
  const args = ['-h', '127.0.0.1', '-p', String(opts.port), '-U', 'postgres', '-n'];
  args.push('-b', opts.script, '-M', opts.mode, '-c', String(opts.clients), '-j', String(opts.threads ?? 1));
  args.push('-T', String(opts.duration));
  if (opts.connect) args.push('-C');
  const logDir = opts.logDir ?? opts.rawLogDir;
  if (logDir) args.push('-l', `--log-prefix=${path.join(logDir, 'tx')}`);
  if (opts.progress) args.push('-P', '1');
  args.push(opts.database ?? 'test');
  return new Promise((resolve) => {
    const started = Date.now();
    const child = spawn(PGBENCH, args, { env: pgEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    let errPartial = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => {
      const text = d.toString();
      if (err.length < 1 << 20) err += text;
      if (opts.progress) {
        const lines = (errPartial + text).split('\n');
        errPartial = lines.pop();
        for (const l of lines) {
          const m = /^progress: ([\d.]+) s, ([\d.]+) tps/.exec(l);
          if (m) opts.progress({ at: Date.now(), sec: Number(m[1]), tps: Number(m[2]) });
        }
      }
    });
    let hung = false;
    const limitMs = (opts.duration + (opts.extraTimeoutSec ?? 60)) * 1000;
    const timer = setTimeout(() => {
      hung = true;
      child.kill('SIGKILL');
    }, limitMs);
    const handle = { child };
    if (opts.onSpawn) opts.onSpawn(handle);
    child.on('error', (e) => (err += String(e)));
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const r = parseOutput(out, err);
      r.code = code;
      r.signal = signal;
      r.hung = hung;
      r.wallSec = (Date.now() - started) / 1000;
      r.args = args.join(' ');
      if (opts.logDir) Object.assign(r, latencies(opts.logDir));
      // A run that did not even report is a failure of the whole run, not a quiet zero.
      r.ok = !hung && r.tps !== undefined && r.aborted === 0 && r.failed === 0 && code === 0;
      resolve(r);
    });
  });
}

function num(re, text) {
  const m = re.exec(text);
  return m ? Number(m[1]) : undefined;
}

function parseOutput(out, err) {
  const aborted = (err.match(/client \d+ (?:script \d+ )?aborted/g) ?? []).length;
  const errors = [...new Set(err.split('\n').filter((l) => /error|FATAL|aborted/i.test(l) && !/^progress:/.test(l)).map((l) => l.replace(/client \d+/, 'client N')))].slice(0, 5);
  return {
    tps: num(/^tps = ([\d.]+)/m, out),
    transactions: num(/^number of transactions actually processed: (\d+)/m, out) ?? 0,
    failed: num(/^number of failed transactions: (\d+)/m, out) ?? 0,
    latencyAvgMs: num(/^latency average = ([\d.]+) ms/m, out),
    connTimeMs: num(/^(?:initial connection time|average connection time) = ([\d.]+) ms/m, out),
    aborted,
    errors,
  };
}

/** Per-transaction log lines: "client tx latency_us script epoch us [lag] [retries]". */
function latencies(dir) {
  const lat = [];
  let failedLines = 0;
  for (const f of fs.readdirSync(dir)) {
    if (!f.startsWith('tx')) continue;
    const text = fs.readFileSync(path.join(dir, f), 'utf8');
    for (const line of text.split('\n')) {
      if (!line) continue;
      const v = line.split(' ')[2];
      if (/^\d+$/.test(v)) lat.push(Number(v));
      else failedLines++;
    }
  }
  lat.sort((a, b) => a - b);
  const q = (p) => (lat.length ? lat[Math.min(lat.length - 1, Math.floor(p * lat.length))] : undefined);
  return { latSamples: lat.length, latMedianUs: q(0.5), latP99Us: q(0.99), latFailedLines: failedLines };
}

module.exports = { runPgbench, pgEnv };
