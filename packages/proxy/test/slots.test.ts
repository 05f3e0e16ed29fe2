import { LocalSlots, SlotCounter } from '../src/slots';

describe('num_init_children slots', () => {
  test('over the limit a client waits for a slot, and gets the first one freed', async () => {
    const slots = new LocalSlots(2, 0);
    expect(await slots.acquire()).toBe('granted');
    expect(await slots.acquire()).toBe('granted');
    let third: string | undefined;
    void slots.acquire().then((a) => (third = a));
    await new Promise((r) => setImmediate(r));
    expect(third).toBeUndefined();
    slots.release();
    await new Promise((r) => setImmediate(r));
    expect(third).toBe('granted');
  });

  test('with reserved_connections, clients over (num_init_children - reserved) are refused', async () => {
    const slots = new LocalSlots(3, 1);
    expect(await slots.acquire()).toBe('granted');
    expect(await slots.acquire()).toBe('granted');
    expect(await slots.acquire()).toBe('refused');
    slots.release();
    expect(await slots.acquire()).toBe('granted');
  });

  test('a freed slot handed to a waiter keeps the count; waiters of a dead worker are dropped', () => {
    const c = new SlotCounter<string>(1, 0);
    expect(c.request('a')).toBe('granted');
    expect(c.request('b')).toBe('queued');
    expect(c.request('c')).toBe('queued');
    c.dropWaiters((w) => w === 'b');
    expect(c.release()).toBe('c');
    expect(c.inUse).toBe(1);
    expect(c.release()).toBeUndefined();
    expect(c.inUse).toBe(0);
  });
});
