/** Messages pgrelay itself sends to a client, in the role of a PostgreSQL server. */
import { MessageWriter } from './writer';

const R = 0x52; // Authentication*

export const authenticationOk = (): Buffer => new MessageWriter(R, 9).int32(0).finish();
export const authenticationCleartext = (): Buffer => new MessageWriter(R, 9).int32(3).finish();
export const authenticationMd5 = (salt: Buffer): Buffer => new MessageWriter(R, 13).int32(5).bytes(salt).finish();

export function authenticationSasl(mechanisms: string[]): Buffer {
  const w = new MessageWriter(R).int32(10);
  for (const m of mechanisms) w.cstring(m);
  return w.byte(0).finish();
}
export const authenticationSaslContinue = (data: Buffer): Buffer =>
  new MessageWriter(R, data.length + 9).int32(11).bytes(data).finish();
export const authenticationSaslFinal = (data: Buffer): Buffer =>
  new MessageWriter(R, data.length + 9).int32(12).bytes(data).finish();

export const parameterStatus = (name: string, value: string): Buffer =>
  new MessageWriter(0x53).cstring(name).cstring(value).finish();

export const backendKeyData = (pid: number, key: number): Buffer =>
  new MessageWriter(0x4b, 13).int32(pid).int32(key).finish();

export type TransactionStatus = 'I' | 'T' | 'E';
export const readyForQuery = (status: TransactionStatus): Buffer =>
  new MessageWriter(0x5a, 6).byte(status.charCodeAt(0)).finish();

export const commandComplete = (tag: string): Buffer => new MessageWriter(0x43).cstring(tag).finish();
export const emptyQueryResponse = (): Buffer => new MessageWriter(0x49, 5).finish();

/** Tells a client asking for protocol 3.x (x > 0) that 3.0 is spoken, and which `_pq_.` options were ignored. */
export function negotiateProtocolVersion(unrecognised: string[]): Buffer {
  const w = new MessageWriter(0x76).int32(0).int32(unrecognised.length);
  for (const o of unrecognised) w.cstring(o);
  return w.finish();
}

/** Answer to SSLRequest / GSSENCRequest: encryption not offered. */
export const encryptionRefused = (): Buffer => Buffer.from('N');

export interface Notice {
  severity: 'ERROR' | 'FATAL' | 'PANIC' | 'WARNING' | 'NOTICE' | 'DEBUG' | 'INFO' | 'LOG';
  code: string;
  message: string;
  detail?: string;
  hint?: string;
}

function noticeFields(type: number, n: Notice): Buffer {
  const w = new MessageWriter(type, 128)
    .byte(0x53).cstring(n.severity) // S: localized severity
    .byte(0x56).cstring(n.severity) // V: severity, never localized
    .byte(0x43).cstring(n.code)
    .byte(0x4d).cstring(n.message);
  if (n.detail !== undefined) w.byte(0x44).cstring(n.detail);
  if (n.hint !== undefined) w.byte(0x48).cstring(n.hint);
  return w.byte(0).finish();
}

export const errorResponse = (n: Notice): Buffer => noticeFields(0x45, n);
export const noticeResponse = (n: Notice): Buffer => noticeFields(0x4e, n);

/** RowDescription for an all-text result (pgpool's admin commands answer in text). */
export function rowDescription(columns: string[]): Buffer {
  const w = new MessageWriter(0x54, 32 * columns.length + 8).int16(columns.length);
  for (const c of columns) {
    w.cstring(c).int32(0).int16(0).int32(25 /* text */).int16(-1).int32(-1).int16(0);
  }
  return w.finish();
}

export function dataRow(values: (string | null)[]): Buffer {
  const w = new MessageWriter(0x44, 16 * values.length + 8).int16(values.length);
  for (const v of values) {
    if (v === null) {
      w.int32(-1);
    } else {
      const b = Buffer.from(v);
      w.int32(b.length).bytes(b);
    }
  }
  return w.finish();
}
