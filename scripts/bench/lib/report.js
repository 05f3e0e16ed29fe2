'use strict';
// CSV files and the one table the bench prints (markdown, so it can go into a README as is).

const fs = require('node:fs');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '../../..');

function csvCell(v) {
  if (v === undefined || v === null || (typeof v === 'number' && Number.isNaN(v))) return '';
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : v.toFixed(3);
  const s = String(v);
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

const headers = new Map();

function appendCsv(file, row) {
  if (!headers.has(file)) {
    headers.set(file, Object.keys(row));
    fs.writeFileSync(file, Object.keys(row).join(',') + '\n');
  }
  fs.appendFileSync(file, headers.get(file).map((k) => csvCell(row[k])).join(',') + '\n');
}

function writeCsv(file, rows) {
  if (!rows.length) return;
  const keys = Object.keys(rows[0]);
  fs.writeFileSync(file, keys.join(',') + '\n' + rows.map((r) => keys.map((k) => csvCell(r[k])).join(',')).join('\n') + '\n');
}

function rowLabel(r) {
  if (r.section === 'connect') return `pgbench -C ${r.script} ${r.mode} c=${r.clients}`;
  return `${r.script} ${r.mode} c=${r.clients}`;
}

const f0 = (x) => (x === undefined ? '–' : Math.round(x).toLocaleString('en-US'));
const f2 = (x) => (x === undefined || !Number.isFinite(x) ? '–' : x.toFixed(2));
const fus = (x) => (x === undefined ? '' : x < 10 ? x.toFixed(1) : Math.round(x).toString());
const signed = (x) => (x === undefined ? '–' : (x >= 0 ? '+' : '−') + Math.abs(Math.round(x)));
const pct = (x) => (x === undefined || !Number.isFinite(x) ? '–' : (x >= 0 ? '+' : '−') + Math.abs(x * 100).toFixed(0) + '%');
const mb = (kb) => (kb / 1024).toFixed(1) + ' MB';

function marks(s) {
  const m = [];
  if (s.failed) m.push(`!${s.failed}f`);
  if (s.aborted) m.push(`!${s.aborted}a`);
  if (s.hung) m.push('!hung');
  if (s.errored) m.push(`!${s.errored}e`);
  return m.length ? ' ' + m.join(' ') : '';
}

const PEERS = ['pgbouncer-session', 'pgbouncer-tx', 'pgpool'];
const HEAD = {
  direct: 'direct (primary)',
  spread: 'direct, 3 nodes',
  pgrelay: 'pgrelay (default workers)',
  'pgrelay-cpus': 'pgrelay, a worker per CPU',
  'pgrelay-w1': 'pgrelay 1 worker',
  'pgrelay-rr': 'pgrelay rr',
  'pgbouncer-session': 'PgBouncer session',
  'pgbouncer-tx': 'PgBouncer transaction',
  pgpool: 'pgpool-II',
};

function render({ info, summary, memory, variants, o, profile }) {
  const cols = variants.filter((v) => v !== 'spread' || summary.some((s) => s.variant === 'spread'));
  const peersHere = PEERS.filter((p) => cols.includes(p));
  const relay = cols.includes('pgrelay') ? 'pgrelay' : cols.find((c) => c.startsWith('pgrelay'));
  const lines = [];
  const dur = `${info.repeat} × ${info.duration} s per variant and row, interleaved, median`;
  lines.push(`### pgrelay bench — ${info.date} (${info.mode}: ${dur})`);
  lines.push('');
  lines.push(
    `Machine: ${info.cpu}, ${info.cores} cores, ${info.memGb} GB, Linux ${info.kernel}; everything on this one box. ` +
      `PostgreSQL ${info.postgres}, primary + 2 streaming standbys (testkit), pgbench scale ${o.scale}, max_connections ${info.maxConnections}; ` +
      `${info.pgbouncer ?? 'PgBouncer (not run)'}; ${info.pgpool ?? 'pgpool-II (not run)'}; Node ${info.node}; pgrelay ${info.pgrelay}. ` +
      `Load average (1 min) at the start of the runs: min ${f2(info.loadMin)}, median ${f2(info.loadMedian)}, max ${f2(info.loadMax)} (it counts the bench's own runnable backends: ≥ 128 at 128 clients)` +
      (info.othersMedian !== undefined ? `; CPU used by other work on the box during the pgbench runs: median ${info.othersMedian.toFixed(0)}%, max ${info.othersMax.toFixed(0)}% of the machine.` : '.'),
  );
  lines.push('');
  const head = ['', ...cols.map((c) => HEAD[c] ?? c)];
  if (relay && peersHere.length) head.push(`${relay} ÷ ${peersHere.map((p) => HEAD[p]).join(' / ')}`);
  lines.push('| ' + head.join(' | ') + ' |');
  lines.push('|' + head.map((_, i) => (i === 0 ? '---' : '---:')).join('|') + '|');
  const get = (row, v) => summary.find((s) => s.section === row.section && s.script === row.script && s.mode === row.mode && s.clients === row.clients && s.variant === v);
  const rows = [];
  for (const s of summary) if (!rows.some((r) => r.section === s.section && r.script === s.script && r.mode === s.mode && r.clients === s.clients)) rows.push(s);

  const tpsRows = rows.filter((r) => r.section === 'tps');
  if (tpsRows.length) lines.push(`| **TPS** (direct: tps; others: ratio to direct · pooler CPU µs per query) |${cols.map(() => '').join('|')}|${relay && peersHere.length ? '|' : ''}`);
  for (const r of tpsRows) {
    const d = get(r, 'direct');
    const qpt = r.script === 'tpcb-like' ? 7 : 1;
    const cells = [rowLabel(r)];
    for (const c of cols) {
      const s = get(r, c);
      if (!s) cells.push('');
      else if (c === 'direct') cells.push(f0(s.tps) + marks(s));
      else {
        const ratio = d?.tps ? s.tps / d.tps : undefined;
        const cpu = s.cpuUsPerTx !== undefined ? ` · ${fus(s.cpuUsPerTx / qpt)}` : '';
        cells.push(`${f2(ratio)}${cpu}${marks(s)}`);
      }
    }
    if (relay && peersHere.length) {
      const me = get(r, relay);
      cells.push(peersHere.map((p) => f2(me?.tps / get(r, p)?.tps)).join(' / '));
    }
    lines.push('| ' + cells.join(' | ') + ' |');
  }

  const latRows = tpsRows.filter((r) => r.script === 'select-only' && r.clients === 1);
  if (latRows.length) {
    lines.push(`| **Added latency per query, 1 client** (direct: µs median / p99; others: µs added) |${cols.map(() => '').join('|')}|${relay && peersHere.length ? '|' : ''}`);
    for (const r of latRows) {
      const d = get(r, 'direct');
      const cells = [`select-only ${r.mode} c=1`];
      for (const c of cols) {
        const s = get(r, c);
        if (!s || s.latMedianUs === undefined) cells.push('');
        else if (c === 'direct') cells.push(`${s.latMedianUs} / ${s.latP99Us}`);
        else cells.push(`${signed(s.latMedianUs - d?.latMedianUs)} / ${signed(s.latP99Us - d?.latP99Us)}${marks(s)}`);
      }
      if (relay && peersHere.length) cells.push('');
      lines.push('| ' + cells.join(' | ') + ' |');
    }
  }

  const conRows = rows.filter((r) => r.section === 'connect');
  if (conRows.length) {
    lines.push(`| **New connections** (\`pgbench -C\`; direct: connections/s; others: ratio · pooler CPU µs per connection) |${cols.map(() => '').join('|')}|${relay && peersHere.length ? '|' : ''}`);
    for (const r of conRows) {
      const d = get(r, 'direct');
      const cells = [`-C select-only simple c=${r.clients}`];
      for (const c of cols) {
        const s = get(r, c);
        if (!s) cells.push('');
        else if (c === 'direct') cells.push(`${f0(s.tps)}/s${marks(s)}`);
        else cells.push(`${f2(d?.tps ? s.tps / d.tps : undefined)} · ${fus(s.cpuUsPerTx)}${marks(s)}`);
      }
      if (relay && peersHere.length) {
        const me = get(r, relay);
        cells.push(peersHere.map((p) => f2(me?.tps / get(r, p)?.tps)).join(' / '));
      }
      lines.push('| ' + cells.join(' | ') + ' |');
    }
  }

  if (memory.length) {
    const pad = `${cols.map(() => '').join('|')}|${relay && peersHere.length ? '|' : ''}`;
    lines.push(`| **Idle clients held** (RSS summed over the pooler's processes: before → after · per connection; PSS, which counts shared pages once) |${pad}`);
    const labels = [...new Set(memory.map((m) => m.label))];
    const memCells = (label, f) => {
      const cells = [label];
      for (const c of cols) {
        const m = memory.find((x) => x.label === label && x.variant === c);
        cells.push(m ? f(m) : '');
      }
      if (relay && peersHere.length) cells.push('');
      lines.push('| ' + cells.join(' | ') + ' |');
    };
    for (const label of labels) {
      memCells(label, (m) => {
        const short = m.openAtEnd < m.requested ? ` (!only ${m.openAtEnd} open)` : '';
        // accepted by the pooler, not just queued in the kernel's listen backlog
        const accepted = m.socketsAfter - m.socketsBefore;
        const unaccepted = m.wait === 'sent' && accepted < 0.98 * m.openAtEnd ? ` (!${m.openAtEnd - accepted} not accepted)` : '';
        return `${mb(m.rssBeforeKb)} → ${mb(m.rssAfterKb)} · ${m.rssPerConnKb.toFixed(1)} kB (PSS ${mb(m.pssBeforeKb)} → ${mb(m.pssAfterKb)})${short}${unaccepted}`;
      });
    }
    lines.push(`| **Effect on 8 active clients** (select-only extended: TPS change while the idle ones connect / while held · pooler CPU per transaction held vs before · pooler CPU per accepted connection) |${pad}`);
    for (const label of labels) {
      memCells(label, (m) => `${pct(m.tpsDuring / m.tpsBefore - 1)} / ${pct(m.tpsHeld / m.tpsBefore - 1)} · ${pct(m.cpuUsPerTxHeld / m.cpuUsPerTxBefore - 1)} · ${fus(m.acceptCpuUsPerConn)} µs`);
    }
  }
  lines.push('');
  lines.push(legend(info));
  const t = targets(summary, memory, relay);
  if (t.length) {
    lines.push('');
    lines.push(`Targets of issue 9 (for \`${relay}\`):`);
    lines.push('');
    for (const x of t) lines.push(`- ${x.ok === undefined ? '?' : x.ok ? 'met' : '**not met**'}: ${x.what} — ${x.got}`);
  }
  for (const pr of profile ?? []) {
    lines.push('');
    lines.push(`Profile of the pgrelay worker (1 worker), ${pr.label}, ${f0(pr.tps)} tps.`);
    if (pr.onCpu.length) {
      lines.push('');
      lines.push('On-CPU (`perf record`, user and kernel), top symbols:');
      lines.push('');
      lines.push('| % | where | symbol |');
      lines.push('|---:|---|---|');
      for (const f of pr.onCpu) lines.push(`| ${f.pct.toFixed(1)} | ${f.dso} | ${f.name.replace(/\|/g, '\\|')} |`);
    }
    lines.push('');
    lines.push("V8 `--cpu-prof` (wall-clock samples; a native call such as `writev` also holds the time the thread was descheduled and the builtins it ran), top self time, share of the busy samples:");
    lines.push('');
    lines.push('| self % | function | where |');
    lines.push('|---:|---|---|');
    for (const f of pr.top) lines.push(`| ${f.pct.toFixed(1)} | ${f.name} | ${f.where} |`);
    if (pr.file) lines.push(`\nProfile: ${path.relative(ROOT, pr.file)} (Chrome DevTools → Performance → Load profile).`);
  }
  return lines.join('\n') + '\n';
}

function legend(info) {
  return [
    'Ratios are TPS ÷ the direct connection to the primary in the same row (`direct, 3 nodes` = three pgbench',
    'processes, one per node, the clients split evenly: what load balancing could at best give). CPU µs per query =',
    "utime+stime of all the pooler's processes from /proc over the run ÷ queries (tpcb-like: 7 per transaction).",
    'Added latency = the pooler\'s median (p99) per-transaction latency from `pgbench -l` minus direct\'s.',
    '`!Nf` = N failed transactions, `!Na` = N clients aborted by an error (pgbench stops a client at its first',
    'non-retryable error; its TPS then covers the survivors), `!hung` = a run that had to be killed, `!Ne` = N runs',
    'that failed otherwise (no TPS reported, e.g. could not connect).',
    'PgBouncer points at the primary (no role-aware load balancing); pgpool-II and pgrelay balance reads over the',
    '3 nodes (weight 1 each). Idle clients: the pooler\'s RSS (sum over its processes) before and after the clients',
    'are held, and (after − before) ÷ connections still open. "Waiting for a session slot": connected, StartupMessage',
    'sent, queued by num_init_children (pgrelay\'s default 32, 8 taken by the active pgbench); no backend connection.',
    '"Logged-in": ReadyForQuery received; a pgrelay session holds its backend connections (primary + balance node).',
    'While idle clients connect and are held, 8 pgbench clients keep running against the same pooler; the TPS changes',
    'are against the seconds before (noisy on a shared box; the CPU figures are not).',
  ].join('\n');
}

function targets(summary, memory, relay) {
  if (!relay) return [];
  const out = [];
  const g = (sec, script, mode, c, v) => summary.find((s) => s.section === sec && s.script === script && s.mode === mode && s.clients === c && s.variant === v);
  const d = g('tps', 'select-only', 'extended', 32, 'direct');
  const me = g('tps', 'select-only', 'extended', 32, relay);
  if (d && me) out.push({ what: 'select-only extended c=32 ≥ 0.75 × direct', got: f2(me.tps / d.tps), ok: me.tps / d.tps >= 0.75 });
  const tpsRows = summary.filter((s) => s.section === 'tps' && s.variant === relay);
  if (tpsRows.length) {
    const bad = [];
    for (const r of tpsRows) {
      const b = g('tps', r.script, r.mode, r.clients, 'pgbouncer-session');
      const p = g('tps', r.script, r.mode, r.clients, 'pgpool');
      const why = [];
      if (r.failed || r.aborted || r.hung || r.errored) why.push('failures');
      if (b && r.tps < b.tps) why.push(`${f2(r.tps / b.tps)}× PgBouncer session`);
      if (p && r.tps < 2 * p.tps) why.push(`${f2(r.tps / p.tps)}× pgpool`);
      if (why.length) bad.push(`${rowLabel(r)} (${why.join(', ')})`);
    }
    out.push({ what: 'every pgbench row ≥ PgBouncer session and ≥ 2× pgpool-II, 0 failed', got: bad.length ? `${bad.length} of ${tpsRows.length} rows miss: ${bad.join('; ')}` : `all ${tpsRows.length} rows`, ok: bad.length === 0 });
  }
  const lat = summary.filter((s) => s.section === 'tps' && s.script === 'select-only' && s.clients === 1 && s.variant === relay && s.latMedianUs !== undefined);
  if (lat.length) {
    const added = lat.map((s) => ({ mode: s.mode, us: s.latMedianUs - g('tps', 'select-only', s.mode, 1, 'direct')?.latMedianUs }));
    out.push({ what: 'added latency at 1 client ≤ 40 µs median', got: added.map((a) => `${a.mode} ${signed(a.us)} µs`).join(', '), ok: added.every((a) => a.us <= 40) });
  }
  const queued = memory.find((m) => m.variant === relay && m.wait === 'sent');
  const sess = memory.find((m) => m.variant === relay && m.wait === 'ready');
  if (queued) {
    const n = queued.requested;
    out.push({
      what: '10 000 idle clients < 200 MB RSS in total; accepting them slows active clients ≤ 5%',
      got:
        `${n} connected clients waiting for a slot: ${mb(queued.rssAfterKb)}, ${pct(queued.tpsDuring / queued.tpsBefore - 1)} while connecting, ${pct(queued.tpsHeld / queued.tpsBefore - 1)} held` +
        (sess ? `; ${sess.requested} logged-in sessions: ${mb(sess.rssAfterKb)} (${sess.rssPerConnKb.toFixed(1)} kB each; 10 000 of them would need 10 000+ backend connections, not measured)` : ''),
      // over 200 MB or over 5% already fails; under them, logged-in clients (which cost more) were not measured at 10 000
      ok: queued.rssAfterKb >= 200 * 1024 || queued.tpsDuring / queued.tpsBefore < 0.95 || queued.tpsHeld / queued.tpsBefore < 0.95 ? false : undefined,
    });
  }
  const con = summary.filter((s) => s.section === 'connect' && s.variant === relay);
  if (con.length) {
    const parts = con.map((s) => ({ c: s.clients, r: s.tps / g('connect', s.script, s.mode, s.clients, 'pgpool')?.tps }));
    out.push({ what: '`pgbench -C` ≥ 2× pgpool-II', got: parts.map((x) => `c=${x.c}: ${f2(x.r)}×`).join(', '), ok: parts.every((x) => x.r >= 2) });
  }
  const cpu = summary.filter((s) => s.section === 'tps' && s.script === 'select-only' && s.clients === 8 && s.variant === relay);
  if (cpu.length) {
    const parts = cpu.map((s) => ({ mode: s.mode, me: s.cpuUsPerTx, b: g('tps', 'select-only', s.mode, 8, 'pgbouncer-session')?.cpuUsPerTx }));
    out.push({ what: 'CPU per select-only transaction (c=8) ≤ PgBouncer session', got: parts.map((x) => `${x.mode} ${fus(x.me)} vs ${fus(x.b)} µs`).join(', '), ok: parts.every((x) => x.b !== undefined && x.me <= x.b) });
  }
  return out;
}

function busySamples(prof) {
  const idle = new Set(prof.nodes.filter((x) => x.callFrame.functionName === '(idle)').map((x) => x.id));
  return prof.samples.filter((id) => !idle.has(id)).length;
}

/** Self time by function from a .cpuprofile (V8 format), as a share of the busy (not idle) samples. */
function topFrames(prof, n) {
  const byId = new Map(prof.nodes.map((x) => [x.id, x]));
  const hits = new Map();
  for (const id of prof.samples) hits.set(id, (hits.get(id) ?? 0) + 1);
  const agg = new Map();
  for (const [id, h] of hits) {
    const cf = byId.get(id).callFrame;
    const where = cf.url ? `${cf.url.replace(/^file:\/\//, '').replace(ROOT + '/', '')}:${cf.lineNumber + 1}` : '';
    const key = `${cf.functionName || '(anonymous)'}|${where}`;
    agg.set(key, (agg.get(key) ?? 0) + h);
  }
  const total = busySamples(prof) || 1;
  agg.delete('(idle)|');
  return [...agg.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([k, h]) => {
      const [name, where] = k.split('|');
      return { name, where, pct: (100 * h) / total };
    });
}

module.exports = { appendCsv, writeCsv, render, rowLabel, topFrames, busySamples };
