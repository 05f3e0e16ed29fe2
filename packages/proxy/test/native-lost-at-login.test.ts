/** A native session leaves out the nodes that went down while it logged in (withoutLostNodes). */
import type { NodeState } from '@pgrelay/cluster';
import type { WorkerContext } from '../src/context';
import { withoutLostNodes } from '../src/native/connect';

function held(ids: number[]) {
  return ids.map((id) => {
    const conn = { node: { id }, destroyed: false, destroy() { this.destroyed = true; } };
    return { conn, poolKey: `k${id}` };
  });
}

function ctxWith(statuses: NodeState['status'][]): WorkerContext {
  return { state: { nodes: statuses.map((status, id) => ({ id, status })) } } as unknown as WorkerContext;
}

test('all nodes still up: nothing changes', () => {
  const h = held([0, 1, 2]);
  const r = withoutLostNodes(ctxWith(['up', 'up', 'up']), h as never, 2);
  expect(r.held).toBe(h);
  expect(r.balance).toBe(2);
});

test('the main node went down: the next node becomes link 0, its connection is closed, balance follows its node', () => {
  const h = held([0, 1, 2]);
  const r = withoutLostNodes(ctxWith(['down', 'up', 'up']), h as never, 2);
  expect(r.held.map((b) => b.conn.node.id)).toEqual([1, 2]);
  expect(r.balance).toBe(1);
  expect(h[0]!.conn.destroyed).toBe(true);
  expect(h[1]!.conn.destroyed).toBe(false);
});

test('the balance node went down: reads go to the main node', () => {
  const r = withoutLostNodes(ctxWith(['up', 'waiting', 'down']), held([0, 1, 2]) as never, 2);
  expect(r.held.map((b) => b.conn.node.id)).toEqual([0, 1]);
  expect(r.balance).toBe(0);
});

test('every node went down: the login fails with 08006', () => {
  expect(() => withoutLostNodes(ctxWith(['down', 'down']), held([0, 1]) as never, 0)).toThrow(
    expect.objectContaining({ notice: expect.objectContaining({ code: '08006', severity: 'FATAL' }) }),
  );
});
