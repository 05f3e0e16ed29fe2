/** Turns pushed protocol messages into awaited ones, for the short conversations (startup, auth, reset). */
export interface Message {
  type: number;
  body: Buffer;
  raw: Buffer;
}

export class MessageQueue {
  private readonly items: Message[] = [];
  private waiter: { resolve: (m: Message) => void; reject: (e: Error) => void } | null = null;
  private failure: Error | null = null;

  push(m: Message): void {
    if (this.waiter) {
      const w = this.waiter;
      this.waiter = null;
      w.resolve(m);
    } else {
      this.items.push(m);
    }
  }

  fail(e: Error): void {
    this.failure ??= e;
    if (this.waiter) {
      const w = this.waiter;
      this.waiter = null;
      w.reject(e);
    }
  }

  next(): Promise<Message> {
    const m = this.items.shift();
    if (m) return Promise.resolve(m);
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      this.waiter = { resolve, reject };
    });
  }

  /** Takes every queued message at once. */
  drain(): Message[] {
    return this.items.splice(0);
  }

  get length(): number {
    return this.items.length;
  }
}
