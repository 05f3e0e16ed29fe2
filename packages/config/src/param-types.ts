export type ParamType = 'bool' | 'int' | 'real' | 'string' | 'enum' | 'list';
/** restart: ignored on reload; reload: re-read on SIGHUP; session: also settable with PGPOOL SET. */
export type ApplyMode = 'restart' | 'reload' | 'session';
export type ParamUnit = 's' | 'ms' | 'min' | 'kB' | 'bytes';
export type ParamGroup =
  | 'connection' | 'pool' | 'backend' | 'health_check' | 'load_balance' | 'streaming'
  | 'failover' | 'recovery' | 'replication' | 'auth' | 'ssl' | 'logging' | 'watchdog'
  | 'memqcache' | 'pgrelay';

export type ParamDefault = boolean | number | string | readonly string[];

export interface ParamSpec {
  readonly name: string;
  readonly type: ParamType;
  /** pgpool 4.3.5's compiled default (what PGPOOL SHOW reports with an empty pgpool.conf). */
  readonly default: ParamDefault;
  readonly apply: ApplyMode;
  /** The unit the value is stored in; values written with another unit are converted. */
  readonly unit?: ParamUnit;
  /** Allowed values of an enum, in the spelling PGPOOL SHOW prints. */
  readonly values?: readonly string[];
  /** Extra accepted spellings of enum values, mapped to the canonical value. */
  readonly valueAliases?: Readonly<Record<string, string>>;
  /** Never echoed in errors, diffs or SHOW output. */
  readonly sensitive?: boolean;
  readonly description: string;
  readonly group: ParamGroup;
  readonly min?: number;
  readonly max?: number;
  readonly separator?: ',' | ';';
  /** `\;` and `\'` escapes inside a `;` list (regex lists). */
  readonly listEscapes?: boolean;
  /**
   * required: only `nameN` exists (backend_hostname0); optional: `name` is the default for
   * slots without their own `nameN` (health_check_period, connect_timeout).
   */
  readonly indexed?: 'required' | 'optional';
  /** Other spellings accepted for the same parameter. */
  readonly aliases?: readonly string[];
  /** A file or directory; relative values resolve against pgpool.conf's directory. */
  readonly path?: boolean;
  /** PGPOOL SHOW prints these without a unit suffix. */
  readonly showUnits?: false;
  /** pgpool version that introduced the parameter, when later than 4.3. */
  readonly since?: string;
}
