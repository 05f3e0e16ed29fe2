import fc from 'fast-check';
import { FrameError, Framer, typeTable } from '../src/framer';

function msg(type: string, body: Buffer | string): Buffer {
  const b = typeof body === 'string' ? Buffer.from(body) : body;
  const out = Buffer.alloc(5 + b.length);
  out[0] = type.charCodeAt(0);
  out.writeInt32BE(4 + b.length, 1);
  b.copy(out, 5);
  return out;
}

/** Feeds `stream` cut at `cuts` and returns what came out, in order. */
function run(stream: Buffer, cuts: number[], inspect: string) {
  const events: { kind: 'msg' | 'pass'; type?: string; body?: string; raw?: Buffer; bytes?: Buffer }[] = [];
  const f = new Framer(
    {
      message: (type, body, raw) => events.push({ kind: 'msg', type: String.fromCharCode(type), body: body.toString(), raw: Buffer.from(raw) }),
      passthrough: (bytes) => events.push({ kind: 'pass', bytes: Buffer.from(bytes) }),
    },
    typeTable(inspect),
    1 << 20,
  );
  let prev = 0;
  for (const c of [...cuts.filter((x) => x > 0 && x < stream.length)].sort((a, b) => a - b).concat(stream.length)) {
    f.push(stream.subarray(prev, c));
    prev = c;
  }
  return { events, atBoundary: f.atBoundary };
}

describe('Framer', () => {
  const stream = Buffer.concat([msg('D', 'row1'), msg('D', 'row2'), msg('Z', 'I'), msg('D', 'x'.repeat(300)), msg('C', 'SELECT 2'), msg('Z', 'T')]);

  test('whole chunks: pass-through runs are merged, inspected messages arrive whole', () => {
    const { events } = run(stream, [], 'Z');
    expect(events.map((e) => e.kind + (e.type ?? ''))).toEqual(['pass', 'msgZ', 'pass', 'msgZ']);
    expect(events[1]!.body).toBe('I');
  });

  test('any cut points: the same bytes come out in the same order', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: stream.length }), { maxLength: 12 }), (cuts) => {
        const { events, atBoundary } = run(stream, cuts, 'ZC');
        const rebuilt = Buffer.concat(events.map((e) => (e.kind === 'msg' ? e.raw! : e.bytes!)));
        expect(rebuilt.equals(stream)).toBe(true);
        expect(events.filter((e) => e.kind === 'msg').map((e) => e.type + ':' + e.body)).toEqual(['Z:I', 'C:SELECT 2', 'Z:T']);
        expect(atBoundary).toBe(true);
      }),
    );
  });

  test('a length beyond the limit is refused with 08P01 before any body is read', () => {
    const f = new Framer({ message: () => undefined, passthrough: () => undefined }, typeTable('Q'), 1000);
    const huge = Buffer.from([0x51, 0x7f, 0xff, 0xff, 0xf0]);
    expect(() => f.push(huge)).toThrow(FrameError);
    const tiny = new Framer({ message: () => undefined, passthrough: () => undefined }, typeTable('Q'), 1000);
    expect(() => tiny.push(Buffer.from([0x51, 0, 0, 0, 2]))).toThrow(/invalid message length 2/);
  });

  test('views, not copies: a chunk that is one message is its own raw; bodies share its memory', () => {
    // a pooled Buffer: byteOffset is not 0, so views must add it
    const q = Buffer.from(msg('Q', 'SELECT 1\0'));
    const two = Buffer.concat([Buffer.alloc(3), msg('P', 'a\0SELECT 2\0\0\0'), msg('S', '')]).subarray(3);
    const seen: { type: number; body: Buffer; raw: Buffer }[] = [];
    const passed: Buffer[] = [];
    const f = new Framer({ message: (type, body, raw) => seen.push({ type, body, raw }), passthrough: (b) => passed.push(b) }, typeTable('QPS'), 1 << 20);
    f.push(q);
    expect(seen[0]!.raw).toBe(q);
    expect(seen[0]!.body.toString()).toBe('SELECT 1\0');
    expect(seen[0]!.body.buffer).toBe(q.buffer);
    f.push(two);
    expect(seen.map((m) => String.fromCharCode(m.type))).toEqual(['Q', 'P', 'S']);
    expect(seen[1]!.raw.equals(two.subarray(0, seen[1]!.raw.length))).toBe(true);
    expect(seen[1]!.body.toString('latin1')).toBe('a\0SELECT 2\0\0\0');
    expect(seen[1]!.raw.buffer).toBe(two.buffer);
    expect(seen[2]!.body.length).toBe(0);
    const rows = Buffer.concat([msg('D', 'r1'), msg('D', 'r2')]);
    new Framer({ message: () => undefined, passthrough: (b) => passed.push(b) }, typeTable('Z'), 1 << 20).push(rows);
    expect(passed).toEqual([rows]);
    expect(passed[0]).toBe(rows);
  });

  test('an empty-bodied inspected message split in its header arrives', () => {
    const s = Buffer.concat([msg('S', ''), msg('S', '')]);
    const { events } = run(s, [2, 7], 'S');
    expect(events.filter((e) => e.kind === 'msg').length).toBe(2);
  });
});
