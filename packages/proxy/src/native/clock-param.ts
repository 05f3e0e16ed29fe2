/**
 * Timestamp rewriting for the extended protocol: a write that reads the clock is parsed with
 * the clock replaced by one extra parameter (rewriteTimeAsParam), and every Bind of it gets
 * the main node's `now()::text` as that parameter, so a prepared INSERT … now() stores the
 * same value on every node each time it runs. A Describe of such a statement shows the extra
 * parameter (as with pgpool).
 */
import { MessageWriter } from '@pgrelay/protocol';
import { rewriteTimeAsParam } from '@pgrelay/sql';
import { afterCstring } from '../routing/messages';

const P = 0x50;
const B = 0x42;
const TEXT_OID = 25;

/** The Parse to send instead, and the parameter number the clock became; null to send it as it is. */
export function clockParse(name: string, text: string, body: Buffer, textEnd: number): { raw: Buffer; param: number } | null {
  const declared = body.readInt16BE(textEnd);
  const r = rewriteTimeAsParam(text, declared);
  if (r === null) return null;
  const w = new MessageWriter(P).cstring(name).cstring(r.text).int16(r.param);
  for (let i = 0; i < r.param; i++) {
    // declared types as they were, unspecified up to the clock's, which is text
    w.int32(i < declared ? body.readInt32BE(textEnd + 2 + 4 * i) : i === r.param - 1 ? TEXT_OID : 0);
  }
  return { raw: w.finish(), param: r.param };
}

/**
 * A Bind with `now` appended as parameter `param` (in text format); the Bind as it was when
 * it does not carry exactly the parameters before it (the server rejects it on every node).
 */
export function clockBind(raw: Buffer, param: number, now: string): Buffer {
  const body = raw.subarray(5);
  let at = afterCstring(body, afterCstring(body, 0));
  const names = body.subarray(0, at);
  const nFormats = body.readInt16BE(at);
  const formats: number[] = [];
  for (let i = 0; i < nFormats; i++) formats.push(body.readInt16BE(at + 2 + 2 * i));
  at += 2 + 2 * nFormats;
  const nParams = body.readInt16BE(at);
  if (nParams !== param - 1) return raw;
  const paramsStart = at + 2;
  let end = paramsStart;
  for (let i = 0; i < nParams; i++) {
    const len = body.readInt32BE(end);
    end += 4 + Math.max(len, 0);
  }
  const w = new MessageWriter(B, raw.length + 64).bytes(names);
  if (nFormats === 0) w.int16(0);
  else {
    // one code applies to every parameter; ours is text whatever the others are
    w.int16(param);
    for (let i = 0; i < param - 1; i++) w.int16(nFormats === 1 ? formats[0]! : formats[i]!);
    w.int16(0);
  }
  w.int16(param).bytes(body.subarray(paramsStart, end));
  const value = Buffer.from(now, 'utf8');
  w.int32(value.length).bytes(value);
  return w.bytes(body.subarray(end)).finish();
}
