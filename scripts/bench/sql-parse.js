#!/usr/bin/env node
'use strict';
// Cost of one classify() call, by path: LRU hit, lexer (cache off), libpg-query.
// Run after `pnpm build`:  node scripts/bench/sql-parse.js
// Method (as in packages.md §2): warm up, then the median over batches of the mean
// per-call time within a batch.

const os = require('node:os');
const sql = require('../../packages/sql/dist');
const { classifyWithPg } = require('../../packages/sql/dist/pg-parser');

const SHORT = 'SELECT id, name, balance FROM accounts WHERE id = $1';
const SHORT_UPDATE = 'UPDATE accounts SET balance = balance + $1 WHERE id = $2';
const ANALYTIC = `WITH recent_orders AS (
    SELECT o.id, o.customer_id, o.created_at, o.total_amount, o.status
    FROM orders o
    WHERE o.created_at >= date_trunc('month', now()) - interval '3 months'
      AND o.status IN ('paid', 'shipped', 'delivered')
), customer_totals AS (
    SELECT r.customer_id, count(*) AS order_count, sum(r.total_amount) AS revenue,
           avg(r.total_amount)::numeric(12,2) AS avg_order, max(r.created_at) AS last_order
    FROM recent_orders r
    GROUP BY r.customer_id
    HAVING count(*) > 1
), ranked AS (
    SELECT ct.*, c.name, c.email, c.region,
           rank() OVER (PARTITION BY c.region ORDER BY ct.revenue DESC) AS region_rank,
           ct.revenue / nullif(sum(ct.revenue) OVER (PARTITION BY c.region), 0) AS region_share
    FROM customer_totals ct
    JOIN customers c ON c.id = ct.customer_id
    WHERE c.region IS NOT NULL
)
SELECT r.region, r.region_rank, r.name, r.email, r.order_count, r.revenue, r.avg_order,
       round(r.region_share * 100, 2) AS share_pct,
       CASE WHEN r.last_order > now() - interval '7 days' THEN 'active'
            WHEN r.last_order > now() - interval '30 days' THEN 'recent' ELSE 'lapsed' END AS activity,
       (SELECT count(*) FROM customer_tags t WHERE t.customer_id = r.customer_id) AS tags
FROM ranked r
WHERE r.region_rank <= 10
ORDER BY r.region, r.region_rank
LIMIT 100 OFFSET 0`;

const WARMUP = 3000;
const BATCHES = 100;

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

let sink = 0;
function measure(fn, text, perBatch) {
  for (let i = 0; i < WARMUP; i++) sink += fn(text).length;
  const samples = [];
  for (let b = 0; b < BATCHES; b++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < perBatch; i++) sink += fn(text).length;
    samples.push(Number(process.hrtime.bigint() - t0) / 1000 / perBatch);
  }
  return median(samples);
}

async function main() {
  const t0 = process.hrtime.bigint();
  await sql.initPgParser();
  const loadMs = Number(process.hrtime.bigint() - t0) / 1e6;

  // sanity: every path agrees on what it is measuring
  for (const q of [SHORT, SHORT_UPDATE, ANALYTIC]) {
    const a = sql.classify(q)[0];
    const b = classifyWithPg(q)[0];
    if (a.parsedBy !== 'lexer' || a.write !== b.write || a.command !== b.command) throw new Error(`paths disagree on ${q}`);
  }

  const rows = [];
  const cases = [
    ['short SELECT', SHORT, 200, 1000],
    ['short UPDATE', SHORT_UPDATE, 200, 1000],
    [`analytic (${Buffer.byteLength(ANALYTIC)} B)`, ANALYTIC, 20, 100],
  ];
  for (const [name, text, slowN, fastN] of cases) {
    sql.setCacheSize(10_000);
    const hit = measure(sql.classify, text, fastN);
    // what a proxy pays: the text arrives as bytes, and a fresh string has no cached hash
    const buf = Buffer.from(text);
    const hitDecoded = measure((b) => sql.classify(b.toString('utf8')), buf, fastN);
    sql.setCacheSize(0);
    const lexer = measure(sql.classify, text, fastN);
    sql.setCacheSize(10_000);
    const pg = measure(classifyWithPg, text, slowN);
    rows.push([name, hit, hitDecoded, lexer, pg]);
  }

  const fmt = (x) => (x < 10 ? x.toFixed(2) : x.toFixed(1)).padStart(9);
  console.log(`node ${process.version}, ${os.cpus().length} CPUs, load ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  console.log(`libpg-query load: ${loadMs.toFixed(0)} ms`);
  console.log('median µs per classify() call');
  console.log('  cache hit: same string object; +decode: Buffer → string, then the hit; lexer: cache off (lexer, classify, freeze);');
  console.log('  libpg-query: parseSync + AST walk, as used when the lexer is unsure');
  console.log(`${'statement'.padEnd(20)} ${'cache hit'.padStart(9)} ${'+decode'.padStart(9)} ${'lexer'.padStart(9)} ${'libpg-query'.padStart(11)}`);
  for (const [name, hit, hitDecoded, lexer, pg] of rows) {
    console.log(`${name.padEnd(20)} ${fmt(hit)} ${fmt(hitDecoded)} ${fmt(lexer)} ${fmt(pg).padStart(11)}`);
  }
  if (sink === 0) console.log('');
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
