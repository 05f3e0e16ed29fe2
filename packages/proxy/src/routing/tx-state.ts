/**
 * What a session's transaction means for routing (pgpool-compat.md §10 rules 5 and 7):
 * whether it is explicit, has written, is SERIALIZABLE, has failed, and — for dml_adaptive —
 * which objects it wrote. Updated as statements are sent (so a pipelined read after a write
 * already sees the write) and corrected by the ReadyForQuery status the client gets.
 */
import type { StatementFacts } from './statement';
import { relationsOf } from './relations';
import type { DisableOnWrite } from './settings';

export class TxState {
  inTx = false;
  /** pgpool's "writing transaction": reads go to the primary while it is set. */
  writing = false;
  serializable = false;
  defaultSerializable = false;
  failed = false;
  /** dml_adaptive: objects written in this transaction (relations, and `f()` for functions). */
  written: Set<string> | null = null;

  /**
   * A statement was sent. `readsOnly`: it is a read pgpool could balance and calls no
   * writing function (rule 7's exception).
   */
  sent(f: StatementFacts, readsOnly: boolean, mode: DisableOnWrite, relations: ReadonlyMap<string, string[]>): void {
    const s = f.info;
    const tx = s.tx;
    if (tx) {
      if (tx.kind === 'begin') {
        this.begin(mode);
        this.serializable = tx.isolation === 'serializable' || (tx.isolation === undefined && this.defaultSerializable);
        return;
      }
      if (tx.kind === 'commit' || tx.kind === 'rollback' || tx.kind === 'prepare_transaction') {
        this.end(mode);
        return;
      }
      if (tx.kind === 'rollback_to') {
        // pgpool-II treats it like the end of the transaction for these flags (measured on 4.3.5)
        if (mode !== 'trans_transaction' && mode !== 'always') this.writing = false;
        this.written = null;
        return;
      }
    }
    const e = s.session;
    if (e?.kind === 'set') {
      const serial = /^'?serializable'?$/i.test(e.value);
      if (e.name === 'transaction_isolation' && this.inTx) this.serializable = serial;
      else if (e.name === 'default_transaction_isolation') this.defaultSerializable = serial;
    } else if (e?.kind === 'reset' && (e.name === 'all' || e.name === 'default_transaction_isolation')) {
      this.defaultSerializable = false;
    } else if (e?.kind === 'discard' && e.what === 'all') {
      this.defaultSerializable = false;
    }
    if (!readsOnly && !f.setsReadOnly) {
      if (mode === 'always' || ((mode === 'transaction' || mode === 'trans_transaction') && this.inTx)) this.writing = true;
    }
    if (mode === 'dml_adaptive' && this.inTx) this.noteWrites(f, readsOnly, relations);
  }

  private noteWrites(f: StatementFacts, readsOnly: boolean, relations: ReadonlyMap<string, string[]>): void {
    const add = (name: string): void => {
      const w = (this.written ??= new Set());
      if (w.has(name)) return;
      w.add(name);
      for (const dep of relations.get(name) ?? []) add(dep);
    };
    if (!readsOnly) for (const r of relationsOf(f.info.text)) add(r);
    for (const fn of f.info.functions) {
      const key = `${fn.toLowerCase()}()`;
      if (relations.has(key)) for (const dep of relations.get(key)!) add(dep);
    }
  }

  /** dml_adaptive: does this read touch something the transaction wrote? */
  readsWritten(f: StatementFacts): boolean {
    const w = this.written;
    if (w === null || w.size === 0) return false;
    for (const r of relationsOf(f.info.text)) if (w.has(r)) return true;
    for (const fn of f.info.functions) if (w.has(`${fn.toLowerCase()}()`)) return true;
    return false;
  }

  /** The status of the ReadyForQuery the client got, once nothing else is in flight. */
  settle(status: 'I' | 'T' | 'E', mode: DisableOnWrite): void {
    if (status === 'I') {
      if (this.inTx || this.failed) this.end(mode);
    } else {
      this.inTx = true;
      this.failed = status === 'E';
    }
  }

  private begin(mode: DisableOnWrite): void {
    this.inTx = true;
    this.failed = false;
    if (mode !== 'trans_transaction' && mode !== 'always') this.writing = false;
    this.written = null;
  }

  private end(mode: DisableOnWrite): void {
    this.inTx = false;
    this.failed = false;
    this.serializable = false;
    if (mode !== 'trans_transaction' && mode !== 'always') this.writing = false;
    this.written = null;
  }
}
