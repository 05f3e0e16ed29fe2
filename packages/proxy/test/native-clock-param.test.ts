/** Prepared statements that read the clock: the Parse gets one more parameter, every Bind the main node's time. */
import { MessageWriter, parseMessage } from '@pgrelay/protocol';
import { initPgParser } from '@pgrelay/sql';
import { clockBind, clockParse } from '../src/native/clock-param';
import { afterCstring } from '../src/routing/messages';

beforeAll(async () => {
  await initPgParser();
});

const NOW = '2026-12-05 07:30:00.123456+00';

function parse(name: string, text: string, types: number[]): Buffer {
  const w = new MessageWriter(0x50).cstring(name).cstring(text).int16(types.length);
  for (const t of types) w.int32(t);
  return w.finish();
}

function bind(stmt: string, formats: number[], params: (string | null)[], results: number[] = []): Buffer {
  const w = new MessageWriter(0x42).cstring('').cstring(stmt).int16(formats.length);
  for (const f of formats) w.int16(f);
  w.int16(params.length);
  for (const p of params) {
    if (p === null) w.int32(-1);
    else w.int32(Buffer.byteLength(p)).bytes(Buffer.from(p));
  }
  w.int16(results.length);
  for (const r of results) w.int16(r);
  return w.finish();
}

/** Reads a Bind back: formats, parameter values (text), result formats. */
function readBind(raw: Buffer): { formats: number[]; params: (string | null)[]; results: number[] } {
  const body = raw.subarray(5);
  let at = afterCstring(body, afterCstring(body, 0));
  const formats: number[] = [];
  for (let i = 0, n = body.readInt16BE(at); i < n; i++) formats.push(body.readInt16BE(at + 2 + 2 * i));
  at += 2 + 2 * formats.length;
  const params: (string | null)[] = [];
  const np = body.readInt16BE(at);
  at += 2;
  for (let i = 0; i < np; i++) {
    const len = body.readInt32BE(at);
    at += 4;
    params.push(len < 0 ? null : body.toString('utf8', at, at + len));
    at += Math.max(len, 0);
  }
  const results: number[] = [];
  for (let i = 0, n = body.readInt16BE(at); i < n; i++) results.push(body.readInt16BE(at + 2 + 2 * i));
  expect(raw.readInt32BE(1)).toBe(raw.length - 1);
  return { formats, params, results };
}

function parsed(raw: Buffer): { name: string; text: string; paramTypes: number[] } {
  return parseMessage(raw.subarray(5));
}

test('Parse: the clock becomes parameter n+1, typed text; declared types stay', () => {
  const raw = parse('ins', 'INSERT INTO t VALUES ($1, now())', [23]);
  const body = raw.subarray(5);
  const r = clockParse('ins', 'INSERT INTO t VALUES ($1, now())', body, afterCstring(body, afterCstring(body, 0)));
  expect(r!.param).toBe(2);
  expect(parsed(r!.raw)).toEqual({ name: 'ins', text: 'INSERT INTO t VALUES ($1, $2::text::timestamptz)', paramTypes: [23, 25] });
});

test('Parse without declared types: unspecified ones up to the clock', () => {
  const text = 'UPDATE t SET ts = now() WHERE a = $1 AND b = $2';
  const raw = parse('', text, []);
  const body = raw.subarray(5);
  const r = clockParse('', text, body, afterCstring(body, afterCstring(body, 0)));
  expect(parsed(r!.raw).paramTypes).toEqual([0, 0, 25]);
});

test('Bind: the time is appended in text format', () => {
  expect(readBind(clockBind(bind('ins', [], ['1']), 2, NOW))).toEqual({ formats: [], params: ['1', NOW], results: [] });
  // one format code for all: spelled out per parameter, ours text
  expect(readBind(clockBind(bind('ins', [1], ['\u0000\u0000\u0000\u0001', null], [1]), 3, NOW))).toEqual({
    formats: [1, 1, 0],
    params: ['\u0000\u0000\u0000\u0001', null, NOW],
    results: [1],
  });
  expect(readBind(clockBind(bind('ins', [0, 1], ['a', 'b']), 3, NOW)).formats).toEqual([0, 1, 0]);
});

test('Bind with another parameter count than the statement expects is left alone (the server rejects it)', () => {
  const b = bind('ins', [], ['1', '2']);
  expect(clockBind(b, 2, NOW)).toBe(b);
});
