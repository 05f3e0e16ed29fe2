/**
 * pgpool-compat.md §10: where one statement goes. Pure — everything it depends on is in
 * `RouteView` — so each rule has a unit test.
 */
import type { CatalogSnapshot } from './catalog';
import { judgeFunctions } from './functions';
import type { RoutingSettings, SessionSettings } from './settings';
import { hasNoLoadBalanceComment, Kind, startsLikeQuery, wordsOf, type StatementFacts } from './statement';
import type { TxState } from './tx-state';

export const enum Dest {
  Primary,
  /** The session's load-balance node. */
  Balance,
  /** The least-lagged standby (prefer_lower_delay_standby, when the balance node lags). */
  LeastLagged,
  /** The primary and the other nodes the session holds (pgpool's "both"). */
  All,
  /** Where the named statement (EXECUTE / DEALLOCATE) was prepared. */
  Prepared,
}

export interface RouteView {
  settings: RoutingSettings;
  session: SessionSettings;
  tx: TxState;
  /** Reads gain nothing: the balance node is the primary (or the session holds no other). */
  balanceIsPrimary: boolean;
  /** The balance node lags more than delay_threshold. */
  balanceLags: boolean;
  /** The balance node's transaction failed where the primary's did not: keep reads off it. */
  balancePoisoned: boolean;
  /** An unsynced pipeline already sent something the primary answers: keep it there. */
  pipelineOnPrimary: boolean;
  catalog: CatalogSnapshot | undefined;
  /** Temporary tables this session created (check_temp_table), by name. */
  tempTables: ReadonlySet<string>;
  /** A temporary table whose name the classifier could not read exists. */
  unnamedTempTable: boolean;
  /** Set when a judged function was unknown to the catalog (the caller reloads it). */
  unknownFunction?: boolean;
}

/** A session's view at its start: nothing lags, failed or is pinned yet. */
export function initialView(settings: RoutingSettings, session: SessionSettings, tx: TxState, balanceIsPrimary: boolean, tempTables: ReadonlySet<string>): RouteView {
  return {
    settings,
    session,
    tx,
    balanceIsPrimary,
    balanceLags: false,
    balancePoisoned: false,
    pipelineOnPrimary: false,
    catalog: undefined,
    tempTables,
    unnamedTempTable: false,
  };
}

/**
 * `text` is the statement as the client sent it (first-character test, comments, patterns).
 * `several`: a simple Query with more than one statement (rule 1).
 */
export function decide(f: StatementFacts, text: string, several: boolean, v: RouteView): Dest {
  if (hasNoLoadBalanceComment(text) || several) return Dest.Primary;
  switch (f.kind) {
    case Kind.Primary:
      return Dest.Primary;
    case Kind.All:
      return Dest.All;
    case Kind.Prepared:
      return Dest.Prepared;
  }
  return readDest(f, text, v);
}

/** Rule 5: a read goes to the balance node unless one of these sends it to the primary. */
function readDest(f: StatementFacts, text: string, v: RouteView): Dest {
  const s = v.settings;
  if (!s.loadBalance) return Dest.Primary;
  if (f.selectLike && !v.session.allowSqlComments && !startsLikeQuery(text, s.ignoreLeadingWhiteSpace)) return Dest.Primary;
  const tx = v.tx;
  if (tx.inTx && (tx.writing || tx.failed || tx.serializable)) return Dest.Primary;
  if (s.disableOnWrite === 'always' && tx.writing) return Dest.Primary;
  if (v.pipelineOnPrimary || v.balancePoisoned) return Dest.Primary;
  if (v.balanceIsPrimary) return Dest.Primary;
  if (f.catalog) return Dest.Primary;
  if (s.checkTempTable && (v.unnamedTempTable || mentionsAny(f, v.tempTables))) return Dest.Primary;
  if (v.session.checkUnloggedTable && v.catalog && mentionsAny(f, v.catalog.unlogged)) return Dest.Primary;
  for (const p of s.primaryPatterns) if (p.test(text)) return Dest.Primary;
  if (writesByFunction(f, v)) return Dest.Primary;
  if (s.disableOnWrite === 'dml_adaptive' && tx.inTx && tx.readsWritten(f)) return Dest.Primary;
  if (v.balanceLags) return s.preferLowerDelayStandby ? Dest.LeastLagged : Dest.Primary;
  return Dest.Balance;
}

/** Rule 6 for this statement; notes in the view when the catalog did not know a name. */
export function writesByFunction(f: StatementFacts, v: RouteView): boolean {
  const fns = f.info.functions;
  if (fns.length === 0) return false;
  const verdict = judgeFunctions(fns, v.settings, v.catalog);
  if (verdict.unknown) v.unknownFunction = true;
  return verdict.writes;
}

/** A read pgpool could balance that calls no writing function: it never makes a transaction "writing". */
export function readsOnly(f: StatementFacts, text: string, v: RouteView): boolean {
  if (f.kind !== Kind.Read) return false;
  if (f.selectLike && !v.session.allowSqlComments && !startsLikeQuery(text, v.settings.ignoreLeadingWhiteSpace)) return false;
  return !writesByFunction(f, v);
}

function mentionsAny(f: StatementFacts, names: ReadonlySet<string>): boolean {
  if (names.size === 0) return false;
  for (const w of wordsOf(f)) if (names.has(w)) return true;
  return false;
}
