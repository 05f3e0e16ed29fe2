/**
 * What a new backend connection would need to become this session again: startup
 * parameters, session-level SETs, prepared statements, LISTEN channels, and whether the
 * session holds something no replay can rebuild. Connection reuse and failover read it.
 *
 * Effects of a statement are applied only once the server accepted it: a query's effects
 * wait for its ReadyForQuery, and inside a transaction block for the COMMIT.
 */
import type { SessionEffect, StatementInfo } from '@pgrelay/sql';

export interface PreparedStatement {
  /** SQL PREPARE: the whole PREPARE statement. Protocol Parse: the statement text. */
  text: string;
  paramTypes: number[];
  via: 'sql' | 'protocol';
}

export class SessionState {
  readonly settings = new Map<string, string>();
  readonly prepared = new Map<string, PreparedStatement>();
  readonly listening = new Set<string>();
  /** Why this session cannot be rebuilt on another connection (empty = it can). */
  readonly unrebuildable = new Set<string>();
  overflowed = false;

  /** Sent but not yet answered: session effects, and the ends of transaction blocks. */
  private pending: (SessionEffect | 'commit' | 'rollback')[] = [];
  private inTransaction: SessionEffect[] = [];
  private bytes = 0;

  constructor(readonly startup: Map<string, string>, private readonly maxBytes: number) {}

  /** Effects of statements just sent in a simple Query. */
  noteSent(statements: StatementInfo[]): void {
    for (const s of statements) {
      if (s.session && !(s.session.kind === 'set' && s.session.local)) this.pending.push(s.session);
      else if (s.tx?.kind === 'rollback' || s.tx?.kind === 'commit') this.pending.push(s.tx.kind);
    }
  }

  /** Protocol-level Parse of a named statement (unnamed ones do not outlive the next Parse). */
  noteParse(name: string, text: string, paramTypes: number[]): void {
    if (name === '') return;
    this.remember(() => this.prepared.set(name, { text, paramTypes, via: 'protocol' }), name.length + text.length);
  }

  noteCloseStatement(name: string): void {
    this.prepared.delete(name);
  }

  /**
   * The server finished a query (ReadyForQuery). `failed` = it answered with an error;
   * `status` is the transaction status it reports now.
   */
  settle(failed: boolean, status: 'I' | 'T' | 'E'): void {
    const effects = this.pending;
    this.pending = [];
    for (const e of effects) {
      if (e === 'rollback') this.inTransaction = [];
      else if (e !== 'commit' && !failed) this.inTransaction.push(e);
    }
    if (status === 'I') {
      for (const e of this.inTransaction) this.apply(e);
      this.inTransaction = [];
    } else if (status === 'E') {
      this.inTransaction = []; // the failed block will be rolled back whatever the client sends
    }
  }

  private apply(e: SessionEffect): void {
    switch (e.kind) {
      case 'set':
        this.settings.delete(e.name);
        this.remember(() => this.settings.set(e.name, e.value), e.name.length + e.value.length);
        break;
      case 'set_session_authorization':
      case 'set_role': {
        const name = e.kind === 'set_role' ? 'role' : 'session_authorization';
        this.settings.delete(name);
        this.settings.set(name, e.value);
        break;
      }
      case 'reset':
        if (e.name === 'all') this.settings.clear();
        else this.settings.delete(e.name);
        break;
      case 'discard':
        if (e.what === 'all') {
          this.settings.clear();
          this.prepared.clear();
          this.listening.clear();
          this.unrebuildable.clear();
        } else if (e.what === 'temp') {
          this.unrebuildable.delete('temp_table');
        }
        break;
      case 'prepare':
        this.remember(() => this.prepared.set(e.name, { text: e.text, paramTypes: [], via: 'sql' }), e.text.length);
        break;
      case 'deallocate':
        if (e.name === null) {
          for (const [k, v] of this.prepared) if (v.via === 'sql') this.prepared.delete(k);
        } else this.prepared.delete(e.name);
        break;
      case 'listen':
        this.remember(() => this.listening.add(e.channel), e.channel.length);
        break;
      case 'unlisten':
        if (e.channel === null) this.listening.clear();
        else this.listening.delete(e.channel);
        break;
      case 'unrebuildable':
        this.unrebuildable.add(e.reason);
        break;
    }
  }

  private remember(add: () => void, size: number): void {
    if (this.overflowed) return;
    if (this.bytes + size > this.maxBytes) {
      this.overflowed = true;
      this.unrebuildable.add('state_too_large');
      return;
    }
    this.bytes += size;
    add();
  }
}
