/**
 * PCP error and notice packets ('E' / 'N'): PostgreSQL-style fields, each a type byte and a
 * NUL-terminated string, ended by a NUL. pgpool sends S, C, M, [D], [H], F, L; its client
 * only reads S, M and D.
 */
import { packet } from './wire';

export interface PcpNotice {
  severity: 'ERROR' | 'FATAL' | 'WARNING' | 'NOTICE' | 'LOG' | 'INFO' | 'DEBUG';
  message: string;
  detail?: string;
  hint?: string;
  /** SQLSTATE; pgpool sends XX000 for everything. */
  code?: string;
}

/** pgpool also names its C source file and line; pgrelay names the module that raised it. */
export function noticePacket(type: 'E' | 'N', n: PcpNotice, where = 'pcp_worker.ts'): Buffer {
  const parts = [`S${n.severity}`, `C${n.code ?? 'XX000'}`, `M${n.message}`];
  if (n.detail !== undefined) parts.push(`D${n.detail}`);
  if (n.hint !== undefined) parts.push(`H${n.hint}`);
  parts.push(`F${where}`, 'L0');
  return packet(type, ...parts, Buffer.alloc(1));
}

export function parseNotice(body: Buffer): Partial<PcpNotice> & { fields: Map<string, string> } {
  const fields = new Map<string, string>();
  let i = 0;
  while (i < body.length && body[i] !== 0) {
    const t = String.fromCharCode(body[i]!);
    let end = body.indexOf(0, i + 1);
    if (end < 0) end = body.length;
    fields.set(t, body.toString('utf8', i + 1, end));
    i = end + 1;
  }
  return {
    fields,
    severity: fields.get('S') as PcpNotice['severity'] | undefined,
    message: fields.get('M'),
    detail: fields.get('D'),
    hint: fields.get('H'),
    code: fields.get('C'),
  };
}

/** How pgpool's client prints an error: `SEV:  msg\n[DETAIL:  d\n]` (the caller adds one more newline). */
export function formatNotice(n: { severity?: string; message?: string; detail?: string }): string {
  return `${n.severity ?? ''}:  ${n.message ?? ''}\n${n.detail !== undefined ? `DETAIL:  ${n.detail}\n` : ''}`;
}
