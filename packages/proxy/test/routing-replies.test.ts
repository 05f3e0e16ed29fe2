/** Answers from several backends, back in the order the client asked in (routing/replies.ts). */
import { Replies, Step, type ReplySink } from '../src/routing/replies';

const msg = (type: string, body = ''): Buffer => {
  const b = Buffer.from(body);
  const out = Buffer.alloc(5 + b.length);
  out[0] = type.charCodeAt(0);
  out.writeInt32BE(4 + b.length, 1);
  b.copy(out, 5);
  return out;
};
const Z = (s: 'I' | 'T' | 'E' = 'I') => msg('Z', s);
const row = (v: string) => msg('D', v);
const err = () => msg('E', 'boom');

class Client implements ReplySink {
  readonly out: string[] = [];
  readonly done: Step[] = [];
  readonly paused = new Set<number>();
  toClient(bytes: Buffer): boolean {
    this.out.push(bytes[0] === 0x5a ? `Z${String.fromCharCode(bytes[5]!)}` : `${String.fromCharCode(bytes[0]!)}:${bytes.subarray(5).toString()}`);
    return true;
  }
  stepDone(step: Step): void {
    this.done.push(step);
  }
  pauseLink(index: number, paused: boolean): void {
    if (paused) this.paused.add(index);
    else this.paused.delete(index);
  }
}

function setup(links = 2) {
  const client = new Client();
  const r = new Replies(client, links);
  const step = (fwd: number, members: number[], clientZ = true): Step => {
    const s = new Step();
    s.fwd = fwd;
    s.clientZ = clientZ;
    r.add(s);
    for (const m of members) r.join(s, m);
    r.close(s);
    return s;
  };
  /** What a backend sends: rows as pass-through bytes, the rest as inspected messages. */
  const from = (link: number, ...m: Buffer[]) => {
    for (const b of m) {
      if (b[0] === 0x44) r.bytes(link, b);
      else r.message(link, b[0]!, b);
    }
  };
  return { client, r, step, from };
}

test('one backend: output goes straight through, one ReadyForQuery', () => {
  const { client, step, from } = setup(1);
  step(0, [0]);
  from(0, row('a'), row('b'), Z());
  expect(client.out).toEqual(['D:a', 'D:b', 'ZI']);
});

test('pipelined queries on two backends: the later answer waits for the earlier one', () => {
  const { client, step, from } = setup();
  step(1, [1]); // read on the standby
  step(0, [0]); // write on the primary
  from(0, row('primary'), Z('I')); // the primary is faster
  expect(client.out).toEqual([]);
  from(1, row('standby'));
  expect(client.out).toEqual(['D:standby']);
  from(1, Z('I'));
  expect(client.out).toEqual(['D:standby', 'ZI', 'D:primary', 'ZI']);
});

test('a statement on both backends: the primary answers, the standby is silenced, one ReadyForQuery after both', () => {
  const { client, step, from } = setup();
  step(0, [0, 1]);
  from(0, msg('C', 'BEGIN'), Z('T'));
  expect(client.out).toEqual(['C:BEGIN']);
  from(1, msg('C', 'BEGIN'), Z('T'));
  expect(client.out).toEqual(['C:BEGIN', 'ZT']);
});

test('the standby answers its part of a "both" step after the primary: still one ReadyForQuery, in order with what follows', () => {
  const { client, step, from } = setup();
  step(0, [0, 1]); // SET on both
  step(1, [1]); // then a read on the standby
  from(1, msg('C', 'SET'), Z('I'), row('x'), Z('I'));
  expect(client.out).toEqual([]);
  from(0, msg('C', 'SET'), Z('I'));
  expect(client.out).toEqual(['C:SET', 'ZI', 'D:x', 'ZI']);
});

test('a step pgrelay cut (no ReadyForQuery for the client) and an error in it', () => {
  const { client, step, from } = setup();
  const cut = step(1, [1], false);
  let answered: Step | null = null;
  cut.onAnswered = (s) => (answered = s);
  from(1, err(), Z('I'));
  expect(client.out).toEqual(['E:boom']);
  expect(answered).toBe(cut);
  expect(cut.failed).toBe(true);
});

test('errors of silenced backends are noted, not sent', () => {
  const { client, step, from } = setup();
  const s = step(0, [0, 1]);
  from(1, err(), Z('E'));
  from(0, msg('C', 'SET'), Z('T'));
  expect(client.out).toEqual(['C:SET', 'ZT']);
  expect(s.swallowedErrors).toBe(2);
  expect(s.linkStatus).toEqual(['T', 'E']);
});

test("pgrelay's own replies keep their place", () => {
  const { client, r, step, from } = setup();
  step(0, [0]);
  r.addLocal(msg('C', 'SHOW'), 'I');
  expect(client.out).toEqual([]);
  from(0, row('a'), Z());
  expect(client.out).toEqual(['D:a', 'ZI', 'C:SHOW']);
});

test('a notification between queries waits for the query in flight', () => {
  const { client, step, from } = setup();
  from(0, msg('A', 'early'));
  expect(client.out).toEqual(['A:early']);
  step(1, [1]);
  from(0, msg('A', 'late'));
  from(1, row('r'), Z());
  expect(client.out).toEqual(['A:early', 'D:r', 'ZI', 'A:late']);
});

test('a backend far ahead is paused until its turn', () => {
  const { client, step, from } = setup();
  step(0, [0]);
  step(1, [1]);
  const big = row('x'.repeat(600_000));
  from(1, big, big);
  expect(client.paused.has(1)).toBe(true);
  from(0, Z());
  expect(client.paused.has(1)).toBe(false);
  expect(client.out).toHaveLength(3);
});
