/**
 * Where a session's prepared statements and portals live. A statement may exist on several
 * backends (a SET prepared on all, a SELECT parsed again on the primary); a portal lives
 * where its Bind went. Locations are bit masks of link indexes.
 */
import type { StatementFacts } from './statement';

export interface Prepared {
  facts: StatementFacts;
  /** The statement's SQL (for logging; Execute logs it as pgpool does). */
  text: string;
  /** Where it exists. */
  mask: number;
  /** Where its Binds go: where it was parsed, or the primary once it had to be parsed there too. */
  home: number;
  /** The client's Parse, to send again where the statement is missing; null for SQL PREPARE. */
  parse: Buffer | null;
  /** SQL PREPARE … AS: re-created with this statement instead of a Parse. */
  prepareSql: string | null;
}

export interface Portal {
  facts: StatementFacts;
  text: string;
  mask: number;
}

export class Registry {
  private readonly named = new Map<string, Prepared>();
  private readonly portals = new Map<string, Portal>();
  /** Unnamed ones come and go with every query: kept in one reused object each. */
  private readonly unnamed: Prepared = { facts: null!, text: '', mask: 0, home: 0, parse: null, prepareSql: null };
  private unnamedValid = false;
  private readonly unnamedPortal: Portal = { facts: null!, text: '', mask: 0 };
  private unnamedPortalValid = false;

  statement(name: string): Prepared | undefined {
    if (name === '') return this.unnamedValid ? this.unnamed : undefined;
    return this.named.get(name);
  }

  /** A Parse went out. `parse` is kept only for named statements (unnamed ones do not outlive the query). */
  parsed(name: string, facts: StatementFacts, text: string, mask: number, home: number, parse: Buffer): Prepared {
    if (name === '') {
      const u = this.unnamed;
      u.facts = facts;
      u.text = text;
      u.mask = mask;
      u.home = home;
      u.parse = parse;
      this.unnamedValid = true;
      return u;
    }
    const p: Prepared = { facts, text, mask, home, parse: Buffer.from(parse), prepareSql: null };
    this.named.set(name, p);
    return p;
  }

  /** SQL PREPARE name AS …: EXECUTE and protocol Binds find it by name. */
  preparedBySql(name: string, facts: StatementFacts, sql: string, mask: number, home: number): void {
    this.named.set(name, { facts, text: sql, mask, home, parse: null, prepareSql: sql });
  }

  forget(name: string): void {
    if (name === '') this.unnamedValid = false;
    else this.named.delete(name);
  }

  /** DEALLOCATE ALL / DISCARD ALL: SQL-prepared and protocol statements alike. */
  forgetAll(): void {
    this.named.clear();
    this.unnamedValid = false;
    this.portals.clear();
    this.unnamedPortalValid = false;
  }

  portal(name: string): Portal | undefined {
    if (name === '') return this.unnamedPortalValid ? this.unnamedPortal : undefined;
    return this.portals.get(name);
  }

  bound(name: string, stmt: Prepared, mask: number): void {
    if (name === '') {
      const p = this.unnamedPortal;
      p.facts = stmt.facts;
      p.text = stmt.text;
      p.mask = mask;
      this.unnamedPortalValid = true;
      return;
    }
    this.portals.set(name, { facts: stmt.facts, text: stmt.text, mask });
  }

  closePortal(name: string): void {
    if (name === '') this.unnamedPortalValid = false;
    else this.portals.delete(name);
  }

  /** A backend is gone: nothing lives there any more; statements run on the primary from now on. */
  dropLink(bit: number): void {
    const fix = (p: Prepared): void => {
      p.mask &= ~bit;
      if (p.home !== 0 && 1 << p.home === bit) p.home = 0;
    };
    for (const p of this.named.values()) fix(p);
    if (this.unnamedValid) fix(this.unnamed);
    for (const [name, p] of this.portals) if ((p.mask &= ~bit) === 0) this.portals.delete(name);
    if (this.unnamedPortalValid && (this.unnamedPortal.mask &= ~bit) === 0) this.unnamedPortalValid = false;
  }

  /** A transaction ended: its portals are gone (WITH HOLD cursors are SQL, not these). */
  endTransaction(): void {
    this.portals.clear();
    this.unnamedPortalValid = false;
  }
}
