/**
 * The classifier's statement cache: lru-cache underneath. A Map re-inserted on every hit
 * (delete + set, the usual hand-written LRU) degrades once it is full: V8 rehashes the
 * table over and over: a hit in a full 10 000-entry cache cost 21 µs here against 0.01–0.1 µs
 * for lru-cache (scripts/bench/lru.js). A full cache is the normal state of an application
 * that writes literals into its SQL.
 */
import { LRUCache } from 'lru-cache';

export class Lru<V extends object> {
  private cache: LRUCache<string, V> | null;

  constructor(max: number) {
    this.cache = make<V>(max);
  }

  get(key: string): V | undefined {
    return this.cache?.get(key);
  }

  set(key: string, value: V): void {
    this.cache?.set(key, value);
  }

  /** lru-cache's bound is fixed: a new size keeps the most recently used entries that fit. */
  resize(max: number): void {
    const next = make<V>(max);
    if (next !== null && this.cache !== null) {
      // from the least recently used, so the newest end up newest again
      for (const [k, v] of [...this.cache.entries()].reverse()) next.set(k, v);
    }
    this.cache = next;
  }

  clear(): void {
    this.cache?.clear();
  }

  get size(): number {
    return this.cache?.size ?? 0;
  }

  get capacity(): number {
    return this.cache?.max ?? 0;
  }
}

function make<V extends object>(max: number): LRUCache<string, V> | null {
  const n = Math.max(0, Math.floor(max));
  return n > 0 ? new LRUCache<string, V>({ max: n }) : null;
}
