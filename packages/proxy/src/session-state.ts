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
  /** Why this session cannot be rebuilt on another connection (empty = it can): reason → what (a table, a lock function). */
  readonly unrebuildable = new Map<string, string>();
  overflowed = false;
  /**
   * The ParameterStatus values the client was last told: the live map of the backend that
   * answers it (backend-conn.ts updates it as the messages pass), so nothing is copied here.
   */
  reported: ReadonlyMap<string, string> = new Map();

  /** Sent but not yet answered: session effects, and the ends of transaction blocks. */
  private pending: (SessionEffect | 'commit' | 'rollback')[] = [];
  private inTransaction: SessionEffect[] = [];
  private bytes = 0;

  /**
   * `onOverflow` is told once, when the record first exceeds `maxBytes` (session_state_max_size):
   * from then on the session cannot be rebuilt, and the operator should know why.
   */
  constructor(
    readonly startup: Map<string, string>,
    private readonly maxBytes: number,
    private readonly onOverflow: (bytes: number, limit: number) => void = () => undefined,
  ) {}

  /** Bytes the record holds (statement texts, names and values). */
  get size(): number {
    return this.bytes;
  }

  /**
   * The backend these effects were sent to is gone: what it had not confirmed never happened
   * there (an in-flight SET is sent again if its statement is re-run; a lost transaction's
   * SETs are lost with it).
   */
  abandonInFlight(): void {
    this.pending = [];
    this.inTransaction = [];
  }

  /** Forgets a protocol statement the new backend would not prepare again (its Parse fails there too). */
  forgetPrepared(name: string): void {
    const p = this.prepared.get(name);
    if (p === undefined) return;
    this.prepared.delete(name);
    this.bytes -= name.length + p.text.length;
  }

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
    this.forgetPrepared(name);
    if (this.remember(name.length + text.length)) this.prepared.set(name, { text, paramTypes, via: 'protocol' });
  }

  noteCloseStatement(name: string): void {
    this.forgetPrepared(name);
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
        this.setSetting(e.name, e.value);
        break;
      case 'set_session_authorization':
      case 'set_role':
        // SET SESSION AUTHORIZATION also resets the role: an older SET ROLE replayed after it would be wrong
        if (e.kind === 'set_session_authorization') this.dropSetting('role');
        this.setSetting(e.kind === 'set_role' ? 'role' : 'session_authorization', e.value);
        break;
      case 'reset':
        if (e.name === 'all') {
          // RESET ALL leaves the role and the session authorization alone (GUC_NO_RESET_ALL)
          for (const k of [...this.settings.keys()]) if (k !== 'role' && k !== 'session_authorization') this.dropSetting(k);
        } else this.dropSetting(e.name);
        break;
      case 'discard':
        if (e.what === 'all') {
          for (const k of [...this.settings.keys()]) this.dropSetting(k);
          for (const k of [...this.prepared.keys()]) this.forgetPrepared(k);
          for (const c of [...this.listening]) this.unlisten(c);
          this.unrebuildable.clear();
        } else if (e.what === 'temp') {
          this.unrebuildable.delete('temp_table');
        }
        break;
      case 'prepare':
        this.forgetPrepared(e.name);
        if (this.remember(e.name.length + e.text.length)) this.prepared.set(e.name, { text: e.text, paramTypes: [], via: 'sql' });
        break;
      case 'deallocate':
        // DEALLOCATE ALL drops protocol-level statements too
        if (e.name === null) for (const k of [...this.prepared.keys()]) this.forgetPrepared(k);
        else this.forgetPrepared(e.name);
        break;
      case 'listen':
        if (!this.listening.has(e.channel) && this.remember(e.channel.length)) this.listening.add(e.channel);
        break;
      case 'unlisten':
        if (e.channel === null) for (const c of [...this.listening]) this.unlisten(c);
        else this.unlisten(e.channel);
        break;
      case 'unrebuildable':
        if (!this.unrebuildable.has(e.reason)) this.unrebuildable.set(e.reason, e.detail);
        break;
    }
  }

  /** A SET replaces an earlier one of the same name and moves to the end: replay keeps the client's order. */
  private setSetting(name: string, value: string): void {
    this.dropSetting(name);
    if (this.remember(name.length + value.length)) this.settings.set(name, value);
  }

  private dropSetting(name: string): void {
    const v = this.settings.get(name);
    if (v === undefined) return;
    this.settings.delete(name);
    this.bytes -= name.length + v.length;
  }

  private unlisten(channel: string): void {
    if (this.listening.delete(channel)) this.bytes -= channel.length;
  }

  /** Counts `size` more bytes; false (and the session marked unrebuildable, once) past the limit. */
  private remember(size: number): boolean {
    if (this.overflowed) return false;
    if (this.bytes + size > this.maxBytes) {
      this.overflowed = true;
      this.unrebuildable.set('state_too_large', `${this.bytes + size} bytes > session_state_max_size ${this.maxBytes}`);
      this.onOverflow(this.bytes + size, this.maxBytes);
      return false;
    }
    this.bytes += size;
    return true;
  }
}
