/**
 * Makes a fresh backend connection the session it replaces: the session's SETs (in the
 * order the client made them, each name once), its prepared statements (SQL PREPARE and
 * protocol Parse, same names and parameter types) and, on the primary, its LISTENs.
 */
import { MessageWriter, simpleQuery } from '@pgrelay/protocol';
import type { BackendConn } from '../backend-conn';
import { SYNC } from '../routing/messages';
import type { SessionState } from '../session-state';
import { runUnits } from './backend-script';

export interface Replayed {
  sets: number;
  prepared: number;
  listens: number;
  /** Prepared statements the node refused (a client's own failed Parse is recorded too). */
  refused: string[];
}

/** A SET, LISTEN … the node refused: the session would not be the same one there. */
export class ReplayRefused extends Error {}

const quoteIdent = (s: string): string => `"${s.replace(/"/g, '""')}"`;

export function setStatement(name: string, value: string): string {
  if (name === 'role') return `SET ROLE ${value}`;
  if (name === 'session_authorization') return `SET SESSION AUTHORIZATION ${value}`;
  return `SET ${name} TO ${value}`;
}

/** The Parse message the client sent (name, text, parameter types), rebuilt from the record. */
export function parseMessageOf(name: string, text: string, paramTypes: readonly number[]): Buffer {
  const w = new MessageWriter(0x50).cstring(name).cstring(text).int16(paramTypes.length);
  for (const t of paramTypes) w.int32(t);
  return w.finish();
}

export async function replayState(conn: BackendConn, state: SessionState, primary: boolean, timeoutMs: number): Promise<Replayed> {
  const units: Buffer[] = [];
  const what: { kind: 'set' | 'prepare' | 'listen'; name: string; text: string }[] = [];
  for (const [name, value] of state.settings) {
    const text = setStatement(name, value);
    units.push(simpleQuery(text));
    what.push({ kind: 'set', name, text });
  }
  for (const [name, p] of state.prepared) {
    if (p.via === 'sql') units.push(simpleQuery(p.text));
    else units.push(Buffer.concat([parseMessageOf(name, p.text, p.paramTypes), SYNC]));
    what.push({ kind: 'prepare', name, text: p.text });
  }
  // a standby cannot LISTEN ("cannot execute LISTEN during recovery"); notifications come from the primary
  if (primary) {
    for (const ch of state.listening) {
      const text = `LISTEN ${quoteIdent(ch)}`;
      units.push(simpleQuery(text));
      what.push({ kind: 'listen', name: ch, text });
    }
  }
  const results = await runUnits(conn, units, timeoutMs);
  const out: Replayed = { sets: 0, prepared: 0, listens: 0, refused: [] };
  results.forEach((r, i) => {
    const w = what[i]!;
    if (r.error === null) {
      if (w.kind === 'set') out.sets++;
      else if (w.kind === 'prepare') out.prepared++;
      else out.listens++;
      return;
    }
    if (w.kind === 'prepare') {
      out.refused.push(w.name);
      return;
    }
    throw new ReplayRefused(`node ${conn.node.id} refused "${w.text}": ${r.error.message} (SQLSTATE ${r.error.code})`);
  });
  return out;
}
