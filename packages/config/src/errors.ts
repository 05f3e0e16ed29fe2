/**
 * Every problem in a configuration file is reported against the place an operator
 * has to edit, so the message always starts with `file:line:` when the line is known.
 */
export interface ConfigErrorInfo {
  file: string;
  line?: number;
  key?: string;
  /** What is wrong, e.g. `invalid value 'abc'`. */
  problem: string;
  /** What would have been accepted, e.g. `an integer in 1024..65535`. */
  expected?: string;
}

export class ConfigError extends Error {
  readonly file: string;
  readonly line?: number;
  readonly key?: string;
  readonly expected?: string;
  readonly problem: string;

  constructor(info: ConfigErrorInfo) {
    super(formatConfigError(info));
    this.name = 'ConfigError';
    this.file = info.file;
    this.line = info.line;
    this.key = info.key;
    this.expected = info.expected;
    this.problem = info.problem;
  }
}

export function formatConfigError(info: ConfigErrorInfo): string {
  let where = info.file;
  if (info.line !== undefined) where += `:${info.line}`;
  let msg = `${where}: `;
  if (info.key !== undefined) msg += `${info.key}: `;
  msg += info.problem;
  if (info.expected !== undefined) msg += `, expected ${info.expected}`;
  return msg;
}

/** Something pgpool would log and then carry on with (e.g. an unknown parameter). */
export interface ConfigWarning {
  file: string;
  line: number;
  key: string;
  message: string;
}
