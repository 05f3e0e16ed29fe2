export type IsolationLevel = 'serializable' | 'repeatable read' | 'read committed' | 'read uncommitted';

export interface TxInfo {
  kind:
    | 'begin'
    | 'commit'
    | 'rollback'
    | 'savepoint'
    | 'release'
    | 'rollback_to'
    | 'prepare_transaction'
    | 'commit_prepared'
    | 'rollback_prepared';
  isolation?: IsolationLevel;
  readOnly?: boolean;
  chain?: boolean;
  deferrable?: boolean;
}

export type SessionEffect =
  | { kind: 'set'; name: string; value: string; local: boolean }
  | { kind: 'reset'; name: string }
  | { kind: 'set_session_authorization' | 'set_role'; value: string }
  | { kind: 'discard'; what: 'all' | 'plans' | 'sequences' | 'temp' }
  | { kind: 'prepare'; name: string; text: string }
  | { kind: 'deallocate'; name: string | null }
  | { kind: 'listen'; channel: string }
  | { kind: 'unlisten'; channel: string | null }
  | { kind: 'unrebuildable'; reason: 'temp_table' | 'advisory_lock' | 'with_hold_cursor' | 'other'; detail: string };

export type AdminCommand =
  | { kind: 'show'; what: string }
  | { kind: 'pgpool_show'; name: string }
  | { kind: 'pgpool_set'; name: string; value: string | null }
  | { kind: 'pgpool_reset'; name: string };

export interface StatementInfo {
  text: string;
  command: string;
  write: boolean;
  functions: string[];
  locksRows: boolean;
  selectInto: boolean;
  modifyingWith: boolean;
  usesSequence: boolean;
  tempTable: boolean;
  tx?: TxInfo;
  session?: SessionEffect;
  admin?: AdminCommand;
  copy?: { direction: 'from' | 'to'; stdio: boolean };
  /** EXECUTE's prepared-statement name: where it runs depends on where that was prepared */
  executeName?: string;
  /**
   * `write` is true only because of calls on the built-in write-function list: without them
   * the statement would read. A router with its own function rules (pgpool's
   * write_function_list, pg_proc.provolatile) judges `functions` itself.
   */
  writeByFunction: boolean;
  /** LOCK: the mode as PostgreSQL numbers it, 1 (ACCESS SHARE) … 8 (ACCESS EXCLUSIVE, the default). */
  lockMode?: number;
  /** EXPLAIN: whether it runs the statement (ANALYZE) and whether that statement is a SELECT. */
  explain?: { analyze: boolean; select: boolean };
  parsedBy: 'lexer' | 'pg' | 'fallback';
}

/**
 * What routing reads of a statement that wraps another (EXPLAIN ANALYZE, PREPARE … AS): it is
 * routed like the statement inside, so it takes that statement's facts.
 */
export function copyRoutingFacts(info: StatementInfo, inner: StatementInfo): void {
  info.write = inner.write;
  info.writeByFunction = inner.writeByFunction;
  info.functions = inner.functions;
  info.locksRows = inner.locksRows;
  info.selectInto = inner.selectInto;
  info.modifyingWith = inner.modifyingWith;
  info.usesSequence = inner.usesSequence;
  info.tempTable = inner.tempTable;
}

export function blankInfo(text: string, command: string, parsedBy: StatementInfo['parsedBy']): StatementInfo {
  return {
    text,
    command,
    write: true,
    functions: [],
    locksRows: false,
    selectInto: false,
    modifyingWith: false,
    usesSequence: false,
    tempTable: false,
    writeByFunction: false,
    parsedBy,
  };
}
