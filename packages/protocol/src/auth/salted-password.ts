import { createHash, pbkdf2, pbkdf2Sync } from 'node:crypto';
import { saslprep } from './saslprep';
import { SCRAM_KEY_LEN } from './scram-crypto';

/** PostgreSQL keeps the iteration count in an int. */
export const MAX_ITERATIONS = 0x7fffffff;
const DEFAULT_CACHE_ENTRIES = 1000;

export function checkIterations(iterations: number): void {
  if (!Number.isInteger(iterations) || iterations < 1 || iterations > MAX_ITERATIONS) {
    throw new RangeError(`SCRAM iteration count must be an integer from 1 to ${MAX_ITERATIONS}, got ${iterations}`);
  }
}

function checkArgs(salt: Buffer, iterations: number): void {
  if (salt.length === 0) throw new RangeError('SCRAM salt must not be empty');
  checkIterations(iterations);
}

/** RFC 5802 Hi(Normalize(password), salt, i) on the event loop; for provisioning, not for logins. */
export function saltedPasswordSync(password: string, salt: Buffer, iterations: number): Buffer {
  checkArgs(salt, iterations);
  return pbkdf2Sync(Buffer.from(saslprep(password), 'utf8'), salt, iterations, SCRAM_KEY_LEN, 'sha256');
}

/** Same, on the libuv pool, without the cache: for random salts, which would never hit it. */
export function saltedPasswordUncached(password: string, salt: Buffer, iterations: number): Promise<Buffer> {
  checkArgs(salt, iterations);
  const bytes = Buffer.from(saslprep(password), 'utf8');
  return new Promise((resolve, reject) =>
    pbkdf2(bytes, salt, iterations, SCRAM_KEY_LEN, 'sha256', (err, key) => (err ? reject(err) : resolve(key))),
  );
}

/** Counters and size control for the process-wide SaltedPassword cache (for metrics and tests). */
export interface SaltedPasswordCacheControl {
  maxEntries: number;
  readonly size: number;
  readonly hits: number;
  readonly misses: number;
  clear(): void;
}

class SaltedPasswordCache implements SaltedPasswordCacheControl {
  // Map iteration order is insertion order: re-inserting on a hit makes the first key the LRU one.
  // Promises, not Buffers, so concurrent logins for one user share a single PBKDF2 run.
  readonly #entries = new Map<string, Promise<Buffer>>();
  #max = DEFAULT_CACHE_ENTRIES;
  hits = 0;
  misses = 0;

  get maxEntries(): number {
    return this.#max;
  }
  set maxEntries(n: number) {
    if (!Number.isInteger(n) || n < 0) throw new RangeError(`maxEntries must be a non-negative integer, got ${n}`);
    this.#max = n;
    this.#evict();
  }
  get size(): number {
    return this.#entries.size;
  }
  clear(): void {
    this.#entries.clear();
    this.hits = 0;
    this.misses = 0;
  }

  lookup(key: string, compute: () => Promise<Buffer>): Promise<Buffer> {
    const hit = this.#entries.get(key);
    if (hit) {
      this.hits++;
      this.#entries.delete(key);
      this.#entries.set(key, hit);
      return hit;
    }
    this.misses++;
    const p = compute();
    if (this.#max > 0) {
      this.#entries.set(key, p);
      this.#evict();
      // A failed derivation must not be served to the next login.
      p.catch(() => {
        if (this.#entries.get(key) === p) this.#entries.delete(key);
      });
    }
    return p;
  }

  #evict(): void {
    for (const key of this.#entries.keys()) {
      if (this.#entries.size <= this.#max) break;
      this.#entries.delete(key);
    }
  }
}

const cache = new SaltedPasswordCache();
export const saltedPasswordCache: SaltedPasswordCacheControl = cache;

/**
 * RFC 5802 SaltedPassword := Hi(Normalize(password), salt, i), with SASLprep applied here so no
 * caller can forget it. PBKDF2 runs on the libuv pool, and the result is cached per
 * (password, salt, iterations): a backend's salt is fixed per role, so logging the same user in
 * to a backend again costs two HMACs instead of ~1 ms of CPU.
 *
 * The cache key is a SHA-256 of the inputs, so plaintext passwords are not kept as Map keys.
 * (The cached value is itself password-equivalent for SCRAM, hence the bounded size.)
 */
export async function saltedPassword(password: string, salt: Buffer, iterations: number): Promise<Buffer> {
  checkArgs(salt, iterations);
  const header = Buffer.allocUnsafe(8);
  header.writeUInt32BE(iterations, 0);
  header.writeUInt32BE(salt.length, 4);
  const key = createHash('sha256').update(header).update(salt).update(password, 'utf8').digest('base64');
  const salted = await cache.lookup(key, () => saltedPasswordUncached(password, salt, iterations));
  // Callers get their own copy: a caller scribbling on it must not poison later logins.
  return Buffer.from(salted);
}
