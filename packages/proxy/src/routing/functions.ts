/**
 * pgpool-compat.md §10 rule 6: does a statement call a function that writes?
 * read_only_function_list wins when set, then write_function_list; with both empty, any
 * volatile function (pg_proc.provolatile = 'v') — and, beyond pgpool, the built-ins that
 * fail on a standby whatever their volatility (txid_current is only stable).
 */
import { isWriteFunction } from '@pgrelay/sql';
import type { CatalogSnapshot } from './catalog';
import type { RoutingSettings } from './settings';

export interface FunctionVerdict {
  writes: boolean;
  /** A name the catalog snapshot does not know (a new function): reload it. */
  unknown: boolean;
}

const NO: FunctionVerdict = Object.freeze({ writes: false, unknown: false });

export function judgeFunctions(
  functions: readonly string[],
  settings: Pick<RoutingSettings, 'readOnlyFunctions' | 'writeFunctions'>,
  catalog: CatalogSnapshot | undefined,
): FunctionVerdict {
  if (functions.length === 0) return NO;
  if (settings.readOnlyFunctions.length > 0) {
    return { writes: functions.some((f) => !settings.readOnlyFunctions.some((r) => r.test(f))), unknown: false };
  }
  if (settings.writeFunctions.length > 0) {
    return { writes: functions.some((f) => settings.writeFunctions.some((r) => r.test(f))), unknown: false };
  }
  let unknown = false;
  for (const f of functions) {
    // the classifier calls every schema-qualified user function a write; the catalog knows better
    const userQualified = f.includes('.') && !f.startsWith('pg_catalog.');
    if (!userQualified && isWriteFunction(f)) return { writes: true, unknown: false };
    const v = catalog?.volatile.get(f);
    if (v === true) return { writes: true, unknown: false };
    if (v === undefined) unknown = true;
  }
  // a name nobody could look up is treated as pgpool treats a volatile one: the primary
  return unknown ? { writes: true, unknown: true } : NO;
}
