#!/usr/bin/env node
'use strict';
// Top frames of a V8 .cpuprofile (node --cpu-prof): self time summed by function + file:line,
// as a share of the busy (not idle) samples; --inclusive adds time spent in callees.
//
//   node scripts/bench/cpuprofile-top.js FILE.cpuprofile|DIR [N] [--inclusive]
//
// With a directory: the profile with the most busy samples (the worker that carried the
// traffic, not the supervisor). V8 samples wall time: a native call such as writev also
// collects the time the thread was descheduled in it; `perf record` shows on-CPU time.

const fs = require('node:fs');
const path = require('node:path');
const { topFrames, busySamples } = require('./lib/report');

const args = process.argv.slice(2);
const inclusive = args.includes('--inclusive');
const [target, nArg] = args.filter((a) => !a.startsWith('--'));
if (!target) {
  process.stderr.write('usage: cpuprofile-top.js FILE.cpuprofile|DIR [N] [--inclusive]\n');
  process.exit(2);
}
const n = Number(nArg ?? 25);
const files = fs.statSync(target).isDirectory()
  ? fs.readdirSync(target).filter((f) => f.endsWith('.cpuprofile')).map((f) => path.join(target, f))
  : [target];
let best = null;
for (const f of files) {
  const p = JSON.parse(fs.readFileSync(f, 'utf8'));
  const busy = busySamples(p);
  if (!best || busy > best.busy) best = { f, p, busy };
}
if (!best) {
  process.stderr.write(`no .cpuprofile in ${target}\n`);
  process.exit(1);
}

function inclusiveFrames(prof, count) {
  const byId = new Map(prof.nodes.map((x) => [x.id, x]));
  const parent = new Map();
  for (const nd of prof.nodes) for (const c of nd.children ?? []) parent.set(c, nd.id);
  const hits = new Map();
  for (const id of prof.samples) hits.set(id, (hits.get(id) ?? 0) + 1);
  const keyOf = (cf) => `${cf.functionName || '(anonymous)'}|${cf.url ? `${cf.url.replace(/^file:\/\//, '')}:${cf.lineNumber + 1}` : ''}`;
  const agg = new Map();
  for (const [id, h] of hits) {
    const name = byId.get(id).callFrame.functionName;
    if (name === '(idle)' || name === '(root)') continue;
    const seen = new Set();
    for (let x = id; x !== undefined; x = parent.get(x)) {
      const k = keyOf(byId.get(x).callFrame);
      if (k === '(root)|' || seen.has(k)) continue;
      seen.add(k);
      agg.set(k, (agg.get(k) ?? 0) + h);
    }
  }
  const total = busySamples(prof) || 1;
  return [...agg.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, count)
    .map(([k, h]) => ({ name: k.split('|')[0], where: k.split('|')[1], pct: (100 * h) / total }));
}

const frames = inclusive ? inclusiveFrames(best.p, n) : topFrames(best.p, n);
const ms = (best.p.endTime - best.p.startTime) / 1000;
console.log(`${best.f}: ${best.p.samples.length} samples over ${(ms / 1000).toFixed(1)} s, ${best.busy} busy; ${inclusive ? 'inclusive' : 'self'} time, % of busy samples`);
for (const fr of frames) console.log(`${fr.pct.toFixed(1).padStart(6)}%  ${fr.name}  ${fr.where.replace(/^.*\/work\/main\//, '')}`);
