/**
 * num_init_children as the limit of concurrent client sessions. A session takes a slot
 * once its startup packet is read and gives it back when it ends. Over the limit, a
 * client waits (as in pgpool's listen backlog) unless reserved_connections > 0, in which
 * case it is refused with 53300.
 */
export type SlotAnswer = 'granted' | 'refused';

export interface SlotGate {
  acquire(): Promise<SlotAnswer>;
  release(): void;
}

/** The counting itself, shared by the in-process gate and the supervisor's gate for all workers. */
export class SlotCounter<W> {
  private active = 0;
  private readonly waiting: W[] = [];

  constructor(private limit: number, private reserved: number) {}

  setLimits(limit: number, reserved: number): void {
    this.limit = limit;
    this.reserved = reserved;
  }

  get inUse(): number {
    return this.active;
  }

  /** 'granted', 'refused', or 'queued' (the waiter is granted later by release()). */
  request(waiter: W): SlotAnswer | 'queued' {
    if (this.reserved > 0) {
      if (this.active >= this.limit - this.reserved) return 'refused';
    } else if (this.active >= this.limit) {
      this.waiting.push(waiter);
      return 'queued';
    }
    this.active++;
    return 'granted';
  }

  /** Frees a slot; returns the waiter that now holds it, if any. */
  release(): W | undefined {
    const next = this.waiting.shift();
    if (next === undefined) this.active = Math.max(0, this.active - 1);
    return next;
  }

  /** Forgets waiters that went away (a worker died). */
  dropWaiters(match: (w: W) => boolean): void {
    for (let i = this.waiting.length - 1; i >= 0; i--) if (match(this.waiting[i]!)) this.waiting.splice(i, 1);
  }
}

export class LocalSlots implements SlotGate {
  private readonly counter: SlotCounter<() => void>;

  constructor(limit: number, reserved: number) {
    this.counter = new SlotCounter(limit, reserved);
  }

  acquire(): Promise<SlotAnswer> {
    return new Promise((resolve) => {
      const r = this.counter.request(() => resolve('granted'));
      if (r !== 'queued') resolve(r);
    });
  }

  release(): void {
    this.counter.release()?.();
  }
}

/** Slots counted by the supervisor across every worker. */
export class RemoteSlots implements SlotGate {
  private seq = 0;
  private readonly waiting = new Map<number, (a: SlotAnswer) => void>();

  constructor(private readonly send: (m: { t: 'acquire'; id: number } | { t: 'release' }) => void) {}

  acquire(): Promise<SlotAnswer> {
    const id = ++this.seq;
    return new Promise((resolve) => {
      this.waiting.set(id, resolve);
      this.send({ t: 'acquire', id });
    });
  }

  answer(id: number, granted: boolean): void {
    const w = this.waiting.get(id);
    this.waiting.delete(id);
    w?.(granted ? 'granted' : 'refused');
  }

  release(): void {
    this.send({ t: 'release' });
  }
}
