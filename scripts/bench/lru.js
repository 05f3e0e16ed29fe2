#!/usr/bin/env node
/**
 * The classifier's statement cache when full: a hit on a hot statement in the cache
 * pgrelay uses (packages/sql/dist/cache.js, lru-cache underneath) against the Map that
 * deletes and re-inserts on every hit (what that file used to be). Run after `pnpm build`.
 */
const { Lru } = require('../../packages/sql/dist/cache.js');

class MapLru {
  constructor(max) { this.max = max; this.map = new Map(); }
  get(k) { const v = this.map.get(k); if (v !== undefined) { this.map.delete(k); this.map.set(k, v); } return v; }
  set(k, v) { this.map.delete(k); this.map.set(k, v); if (this.map.size > this.max) this.map.delete(this.map.keys().next().value); }
}

function hitNs(cache, max) {
  for (let i = 0; i < max * 2; i++) cache.set(`SELECT abalance FROM pgbench_accounts WHERE aid = ${i};`, {});
  cache.set('hot', {});
  const n = max >= 10_000 ? 20_000 : 200_000;
  const t = process.hrtime.bigint();
  for (let i = 0; i < n; i++) cache.get('hot');
  return Number(process.hrtime.bigint() - t) / n;
}

console.log('entries  Map delete+set (ns/hit)  pgrelay Lru (ns/hit)');
for (const max of [100, 1_000, 10_000, 100_000]) {
  console.log(`${String(max).padStart(7)}  ${hitNs(new MapLru(max), max).toFixed(0).padStart(23)}  ${hitNs(new Lru(max), max).toFixed(0).padStart(20)}`);
}
