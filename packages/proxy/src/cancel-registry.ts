/** The cancel keys this worker handed to its clients, and the sessions they belong to. */
import { randomInt } from 'node:crypto';
import { makePid } from '@pgrelay/cluster';

export interface Cancellable {
  cancelBackend(): void;
}

export class CancelRegistry {
  private seq = 0;
  private readonly sessions = new Map<number, { key: number; session: Cancellable }>();

  constructor(private readonly workerIndex: number) {}

  register(session: Cancellable): { pid: number; key: number } {
    let pid: number;
    do {
      this.seq = (this.seq % 0x7fffff) + 1;
      pid = makePid(this.workerIndex, this.seq);
    } while (this.sessions.has(pid));
    const key = randomInt(-0x80000000, 0x7fffffff);
    this.sessions.set(pid, { key, session });
    return { pid, key };
  }

  unregister(pid: number): void {
    this.sessions.delete(pid);
  }

  /** True when the key matched a live session (whose backend was then asked to cancel). */
  cancel(pid: number, key: number): boolean {
    const e = this.sessions.get(pid);
    if (!e || e.key !== key) return false;
    e.session.cancelBackend();
    return true;
  }
}
