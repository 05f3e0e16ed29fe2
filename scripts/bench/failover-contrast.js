#!/usr/bin/env node
'use strict';
// The same failover, through pgrelay and through Debian's pgpool-II: 40 clients (idle with
// SETs and prepared statements, autocommit writers, read and write transactions, LISTEN),
// kill -9 of the primary server (postmaster and its processes, as when the machine dies),
// the sample failover script promoting node 1 in both cases. Prints, per proxy, how many
// clients lost their connection and what the others saw.
//
//   node scripts/bench/failover-contrast.js            (after `pnpm build`; needs pgpool2)
//   FC_ONLY=pgrelay FC_LOG=/tmp/relay.log node scripts/bench/failover-contrast.js
//                                                      (pgrelay only, its log kept)
//
// Each proxy gets a fresh primary + 2 standbys (testkit), health_check_period = 1,
// max_retries = 2, retry_delay = 1, the same failover.sh, no follow_primary_command.

const fs = require('node:fs');
const path = require('node:path');
const { Client } = require('pg');
const { startCluster, startPgrelay } = require('../../packages/testkit/dist');
const { startPgpool } = require('./lib/peers');

const ROOT = path.resolve(__dirname, '../..');
const FAILOVER = `${ROOT}/scripts/failover/failover.sh %d %h %p %D %m %H %M %P %r %R %N %S`;
const HEALTH = { health_check_period: 1, health_check_max_retries: 2, health_check_retry_delay: 1, health_check_timeout: 3, connect_timeout: 2000 };
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function outcomeOf(e) {
  if (e && e.code && /^[0-9A-Z]{5}$/.test(e.code)) return e.severity === 'FATAL' ? 'lost connection' : e.code;
  return 'lost connection';
}

/** 40 clients through `port`; kill -9 of node 0 after 1.5 s; resolves per-client outcomes. */
async function scenario(cluster, port, waitFailover) {
  const connect = async (name) => {
    const c = new Client({ host: '127.0.0.1', port, user: 'postgres', database: 'test', application_name: name, connectionTimeoutMillis: 10_000 });
    c.lost = false;
    c.on('error', () => (c.lost = true));
    c.on('end', () => (c.lost = true));
    await c.connect();
    return c;
  };
  const setup = await connect('setup');
  await setup.query('CREATE TABLE IF NOT EXISTS fc_log (client int, seq int, kind text)');
  await setup.end();
  const clients = [];
  const idle = [];
  for (let i = 0; i < 14; i++) {
    const c = await connect(`idle${i}`);
    await c.query(`SET application_name TO 'idle${i}'`);
    await c.query('PREPARE sq(int) AS SELECT $1 * 2 AS v');
    await c.query({ name: 'pp', text: 'SELECT $1::int + 1 AS v', values: [1] });
    if (i >= 10) await c.query(`LISTEN fc_ch${i}`);
    idle.push({ c, group: i >= 10 ? 'listen' : 'idle', errors: [] });
  }
  let stop = false;
  const loops = [];
  const groups = [
    ['autocommit write', 10, (c, i, s) => c.query('INSERT INTO fc_log VALUES ($1, $2, $3)', [i, s, 'auto'])],
    ['read tx', 8, async (c) => {
      await c.query('BEGIN');
      await c.query('SELECT count(*) FROM fc_log');
      await c.query('SELECT pg_sleep(0.02)');
      await c.query('COMMIT');
    }],
    ['write tx', 8, async (c, i, s) => {
      await c.query('BEGIN');
      await c.query('INSERT INTO fc_log VALUES ($1, $2, $3)', [100 + i, s, 'tx']);
      await c.query('COMMIT');
    }],
  ];
  for (const [group, n, body] of groups) {
    for (let i = 0; i < n; i++) {
      const entry = { group, errors: [], c: await connect(`${group}${i}`) };
      clients.push(entry);
      loops.push(
        (async () => {
          for (let s = 1; !stop && !entry.c.lost; s++) {
            try {
              await body(entry.c, i, s);
            } catch (e) {
              const o = outcomeOf(e);
              entry.errors.push(o);
              if (o === 'lost connection' || entry.c.lost) return;
              await entry.c.query('ROLLBACK').catch(() => undefined);
            }
          }
        })(),
      );
    }
  }
  await sleep(1500);
  const killedAt = Date.now();
  cluster.nodes[0].crash();
  await waitFailover();
  const failoverMs = Date.now() - killedAt;
  await sleep(2000);
  stop = true;
  await Promise.all(loops);
  // the idle clients' next statement, on the connection they had
  for (const s of idle) {
    try {
      if (s.c.lost) throw new Error('lost');
      await s.c.query('EXECUTE sq(2)');
      await s.c.query({ name: 'pp', text: 'SELECT $1::int + 1 AS v', values: [2] });
    } catch (e) {
      s.errors.push(outcomeOf(e));
    }
  }
  const all = [...idle, ...clients];
  const summary = { clients: all.length, 'lost connection': 0, 'kept, no error': 0, 'kept, error': 0, errors: {}, failoverMs };
  for (const x of all) {
    if (x.errors.includes('lost connection') || x.c.lost) summary['lost connection']++;
    else if (x.errors.length === 0) summary['kept, no error']++;
    else summary['kept, error']++;
    for (const e of x.errors) summary.errors[`${x.group}: ${e}`] = (summary.errors[`${x.group}: ${e}`] ?? 0) + 1;
  }
  for (const x of all) await x.c.end().catch(() => undefined);
  return summary;
}

async function main() {
  const results = {};
  {
    const cluster = await startCluster({ standbys: 2 });
    try {
      const relay = await startPgrelay({ cluster, conf: { ...HEALTH, num_init_children: 64, failover_command: FAILOVER, search_primary_node_timeout: 30 } });
      try {
        results.pgrelay = await scenario(cluster, relay.port, () => relay.waitForLog(/failover done. shutdown host/, 30_000));
      } finally {
        if (process.env.FC_LOG) fs.writeFileSync(process.env.FC_LOG, relay.log());
        await relay.stop('fast');
      }
    } finally {
      await cluster.stop();
    }
  }
  if (process.env.FC_ONLY !== 'pgrelay') {
    const cluster = await startCluster({ standbys: 2 });
    try {
      const quoted = Object.fromEntries(Object.entries(HEALTH).map(([k, v]) => [k, v]));
      const pgpool = await startPgpool(cluster, {
        numInitChildren: 64,
        extraConf: { ...quoted, health_check_user: `'postgres'`, failover_command: `'${FAILOVER}'`, search_primary_node_timeout: 30 },
      });
      try {
        results['pgpool-II'] = await scenario(cluster, pgpool.port, async () => {
          const deadline = Date.now() + 30_000;
          while (!/failover done/.test(pgpool.log()) && Date.now() < deadline) await sleep(100);
        });
        results['pgpool-II'].version = pgpool.version;
      } finally {
        await pgpool.stop();
      }
    } finally {
      await cluster.stop();
    }
  }
  console.log('\nkill -9 of the primary server, 40 clients (14 idle incl. 4 LISTEN, 10 autocommit writers, 8 read tx, 8 write tx):\n');
  console.log('| proxy | lost their connection | kept it, no error | kept it, saw an error | errors seen | kill to failover done |');
  console.log('|---|---|---|---|---|---|');
  for (const [name, r] of Object.entries(results)) {
    const errs = Object.entries(r.errors).map(([k, v]) => `${k} ×${v}`).join(', ') || 'none';
    console.log(`| ${name}${r.version ? ` (${r.version})` : ''} | ${r['lost connection']} | ${r['kept, no error']} | ${r['kept, error']} | ${errs} | ${r.failoverMs} ms |`);
  }
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
