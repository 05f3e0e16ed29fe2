/**
 * What pgpool asks the primary's catalog while routing (pg_proc.provolatile for function
 * calls, pg_class.relpersistence for unlogged tables), asked once per database and worker
 * instead of once per name: one query at the first login that can balance reads, kept until
 * a statement names a function it does not know or this worker runs DDL that could change it.
 */
import type { BackendConn } from '../backend-conn';

export interface CatalogSnapshot {
  /** Function name as written (`f`, `schema.f`) → any such function is volatile. */
  readonly volatile: ReadonlyMap<string, boolean>;
  /** Unlogged relations (`t`, `schema.t`); empty in most databases. */
  readonly unlogged: ReadonlySet<string>;
  /** Set when the snapshot may be out of date: the next login reloads it. */
  stale: boolean;
}

const QUERY =
  "SELECT 'f', n.nspname, p.proname, bool_or(p.provolatile = 'v')::text" +
  ' FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace GROUP BY n.nspname, p.proname' +
  " UNION ALL SELECT 'u', n.nspname, c.relname, 'true'" +
  " FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE c.relpersistence = 'u'";

const snapshots = new Map<string, CatalogSnapshot>();
const loading = new Map<string, Promise<CatalogSnapshot | undefined>>();

export function catalogOf(database: string): CatalogSnapshot | undefined {
  return snapshots.get(database);
}

/** This worker saw DDL or an unknown name: reload at the next chance. */
export function markStale(database: string): void {
  const s = snapshots.get(database);
  if (s) s.stale = true;
}

export function needsLoad(database: string): boolean {
  const s = snapshots.get(database);
  return s === undefined || s.stale;
}

/** Rows of QUERY → snapshot (exported for tests). */
export function snapshotOf(rows: (string | null)[][]): CatalogSnapshot {
  const volatile = new Map<string, boolean>();
  const unlogged = new Set<string>();
  for (const [kind, schema, name, flag] of rows) {
    if (name == null || schema == null) continue;
    if (kind === 'u') {
      unlogged.add(name);
      unlogged.add(`${schema}.${name}`);
      continue;
    }
    const v = flag === 'true';
    volatile.set(`${schema}.${name}`, v);
    // unqualified: whichever schema the search path finds, pgpool's lookup may say volatile
    volatile.set(name, v || volatile.get(name) === true);
  }
  return { volatile, unlogged, stale: false };
}

/**
 * Loads (or reloads) the snapshot for `database` over `conn`, an idle connection not yet
 * handed to a session. Concurrent logins share one load. Failures leave the old snapshot.
 */
export function loadCatalog(database: string, conn: BackendConn, timeoutMs: number): Promise<CatalogSnapshot | undefined> {
  let p = loading.get(database);
  if (p === undefined) {
    p = conn
      .query(QUERY, timeoutMs)
      .then(
        (rows) => {
          const s = snapshotOf(rows);
          snapshots.set(database, s);
          return s;
        },
        () => snapshots.get(database),
      )
      .finally(() => loading.delete(database));
    loading.set(database, p);
  }
  return p;
}
