/**
 * transaction_replay: what the open transaction has said and heard. Each unit — the client's
 * messages up to a Query, Sync or FunctionCall, answered by one ReadyForQuery — is kept with a
 * SHA-1 of every byte the client got for it (MaxScale keeps a checksum per statement too).
 * Units are kept from the one that began the transaction until a ReadyForQuery says it is
 * over. Only allocated when transaction_replay is on; bounded by transaction_replay_max_size.
 */
import { createHash, type Hash } from 'node:crypto';
import { queryText } from '@pgrelay/protocol';

export interface RecordedUnit {
  msgs: Buffer[];
  /** Hex SHA-1 of the answer the client got. */
  sum: string;
}

const Q = 0x51;
const S = 0x53;
const F = 0x46;
const P = 0x50;

/** Statements replay refuses outright (their effects or answers cannot be reproduced on another node). */
const REFUSED = /\b(lo_(?:creat|create|open|write|read|import|export|put|get|unlink|from_bytea|truncate|lseek|tell)\w*|loread|lowrite|nextval|setval|currval|lastval)\s*\(|\bcopy\b/i;

export class TxRecorder {
  /** Answered units of the open transaction, oldest first. */
  readonly units: RecordedUnit[] = [];
  /** Sent, not answered yet (their messages). */
  private sent: Buffer[][] = [];
  /** Messages of the unit the client has not ended yet. */
  private open: Buffer[] = [];
  private hash: Hash | null = null;
  private bytes = 0;
  /** Why the open transaction cannot be replayed; null while it can. */
  refused: string | null = null;

  constructor(private readonly maxBytes: number) {}

  /** A client message, as relayed. */
  clientMessage(type: number, raw: Buffer): void {
    if (this.refused === null) {
      if (type === F) this.refused = 'a function call (fastpath, e.g. large objects)';
      else if (type === Q || type === P) {
        const text = type === Q ? queryText(raw.subarray(5)) : raw.toString('utf8', raw.indexOf(0, 5) + 1, raw.length);
        const m = REFUSED.exec(text);
        if (m) this.refused = `${m[1] ? `${m[1]}()` : 'COPY'} in the transaction`;
      }
      this.bytes += raw.length;
      if (this.bytes > this.maxBytes) this.refused = `the transaction is larger than transaction_replay_max_size (${this.maxBytes} bytes)`;
    }
    if (this.refused !== null) return;
    this.open.push(raw);
    if (type === Q || type === S || type === F) {
      this.sent.push(this.open);
      this.open = [];
    }
  }

  /** COPY data from the client: not replayable. */
  clientBytes(): void {
    this.refused ??= 'COPY in the transaction';
  }

  /** Bytes the client got. */
  answer(bytes: Buffer): void {
    if (this.refused !== null || this.sent.length === 0) return;
    (this.hash ??= createHash('sha1')).update(bytes);
  }

  /** The client got a ReadyForQuery with `status`. */
  ready(status: 'I' | 'T' | 'E'): void {
    const msgs = this.sent.shift();
    const sum = this.hash?.digest('hex') ?? createHash('sha1').digest('hex');
    this.hash = null;
    if (status === 'I') {
      this.reset();
      return;
    }
    if (status === 'E') this.refused ??= 'the transaction had already failed';
    if (this.refused === null && msgs) this.units.push({ msgs, sum });
  }

  /** A transaction replayed on a new primary: its units, as answered, are this session's again (a second failover replays them too). */
  adopt(units: readonly RecordedUnit[]): void {
    this.units.push(...units);
    for (const u of units) for (const m of u.msgs) this.bytes += m.length;
  }

  /** What the client sent and has no answer for yet (answered by re-sending after a replay). */
  unanswered(): Buffer[] {
    return [...this.sent.flat(), ...this.open];
  }

  private reset(): void {
    this.units.length = 0;
    this.sent = [];
    this.open = [];
    this.bytes = 0;
    this.refused = null;
  }
}
