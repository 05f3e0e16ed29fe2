/**
 * How many worker processes num_workers asks for. 0 means one per two CPUs (at least one):
 * a pooler shares its box with at least its clients' network stack, and on a 2-core box one
 * worker carried as many queries as two with less CPU per query, and 2.5× the new
 * connections (each connection cost two workers more wake-ups and a slot round trip through
 * the supervisor). Measured in README.md, "Performance" (Tuning).
 */
import os from 'node:os';

export function workerCount(numWorkers: number): number {
  return numWorkers > 0 ? numWorkers : Math.max(1, Math.floor(os.availableParallelism() / 2));
}
