/**
 * convict formats for pgpool values. convict coerces the raw strings from pgpool.conf with
 * `coerce` and checks them with `validate`. A coerce that cannot parse its input returns
 * INVALID (convict has no way to report a coerce failure), which validate then rejects.
 * validate records each failure with the parameter's key so that the loader can point at
 * the file and line, because convict itself only produces one combined message.
 */
import convict from 'convict';
import type { ParamSpec, ParamUnit } from './param-types';
import { parseBoolValue, parseIntValue, parseRealValue, splitList } from './values';

export const INVALID: unique symbol = Symbol('invalid pgpool.conf value');

/** Extra properties carried by every generated schema item. */
export interface PgSchemaItem {
  pgKey: string;
  pg: ParamSpec;
}

export interface FormatProblem {
  key: string;
  expected: string;
  /** Set when the value parsed but is not acceptable for a reason other than its spelling. */
  problem?: string;
}

let sink: FormatProblem[] | undefined;

/** Runs fn (a convict validate call) and returns the per-key problems the formats reported. */
export function collectProblems(fn: () => void): { problems: FormatProblem[]; error?: Error } {
  const problems: FormatProblem[] = [];
  sink = problems;
  try {
    fn();
    return { problems };
  } catch (e) {
    return { problems, error: e as Error };
  } finally {
    sink = undefined;
  }
}

function fail(schema: unknown, expected: string, problem?: string): never {
  const item = schema as PgSchemaItem;
  sink?.push({ key: item.pgKey, expected, problem });
  throw new Error(problem ? `${problem}, expected ${expected}` : `expected ${expected}`);
}

const UNIT_WORDS: Record<ParamUnit, [string, string]> = {
  s: ['a number of seconds', 'us, ms, s, min, h, d'],
  ms: ['a number of milliseconds', 'us, ms, s, min, h, d'],
  min: ['a number of minutes', 'us, ms, s, min, h, d'],
  kB: ['a size in kB', 'B, kB, MB, GB, TB'],
  bytes: ['a size in bytes', 'B, kB, MB, GB, TB'],
};

export function expectedFor(spec: ParamSpec): string {
  switch (spec.type) {
    case 'bool':
      return 'a boolean (on, off, true, false, yes, no, 1, 0)';
    case 'int': {
      const range = `${spec.min}..${spec.max}`;
      if (!spec.unit) return `an integer in ${range}`;
      const [what, units] = UNIT_WORDS[spec.unit];
      return `${what} in ${range} (units ${units} accepted)`;
    }
    case 'real':
      return `a number in ${spec.min}..${spec.max}`;
    case 'enum':
      return `one of ${spec.values!.join(', ')}`;
    case 'list':
    case 'string':
      if (spec.name === 'backend_flag') return 'ALLOW_TO_FAILOVER or DISALLOW_TO_FAILOVER, optionally with |ALWAYS_PRIMARY';
      if (spec.name === 'log_destination') return "'stderr', 'syslog' or 'stderr,syslog'";
      return 'a string';
  }
}

function specOf(schema: unknown): ParamSpec {
  return (schema as PgSchemaItem).pg;
}

/** Canonical spelling of an enum value, or undefined when it is not one of the allowed values. */
export function canonicalEnum(spec: ParamSpec, value: string): string | undefined {
  const v = value.toLowerCase();
  const alias = spec.valueAliases?.[v];
  if (alias) return alias;
  return spec.values?.find((x) => x.toLowerCase() === v);
}

const BACKEND_FLAGS = new Set(['ALLOW_TO_FAILOVER', 'DISALLOW_TO_FAILOVER', 'ALWAYS_PRIMARY']);

function validateBackendFlag(value: string, schema: unknown): void {
  const words = value.split('|').map((w) => w.trim()).filter((w) => w !== '');
  for (const w of words) {
    if (!BACKEND_FLAGS.has(w)) fail(schema, expectedFor(specOf(schema)), `unknown backend flag '${w}'`);
  }
  if (words.includes('ALLOW_TO_FAILOVER') && words.includes('DISALLOW_TO_FAILOVER')) {
    fail(schema, expectedFor(specOf(schema)), 'ALLOW_TO_FAILOVER and DISALLOW_TO_FAILOVER cannot be set together');
  }
}

function validateLogDestination(value: string, schema: unknown): void {
  const words = value.split(',').map((w) => w.trim().toLowerCase());
  if (words.length === 0 || words.some((w) => w !== 'stderr' && w !== 'syslog')) {
    fail(schema, expectedFor(specOf(schema)));
  }
}

const INT_FORMATS: Array<[string, ParamUnit | undefined]> = [
  ['pgrelay-int', undefined], ['pgrelay-int-s', 's'], ['pgrelay-int-ms', 'ms'],
  ['pgrelay-int-min', 'min'], ['pgrelay-int-kB', 'kB'], ['pgrelay-int-bytes', 'bytes'],
];

let registered = false;

/** Registers the formats with convict (its format registry is global, so once per process). */
export function registerFormats(): void {
  if (registered) return;
  registered = true;

  convict.addFormat({
    name: 'pgrelay-bool',
    coerce: (v: string) => parseBoolValue(v) ?? INVALID,
    validate(v: unknown, schema) {
      if (typeof v !== 'boolean') fail(schema, expectedFor(specOf(schema)));
    },
  });

  for (const [name, unit] of INT_FORMATS) {
    convict.addFormat({
      name,
      coerce: (v: string) => parseIntValue(v, unit) ?? INVALID,
      validate(v: unknown, schema) {
        const spec = specOf(schema);
        if (typeof v !== 'number' || !Number.isInteger(v)) fail(schema, expectedFor(spec));
        if (v < spec.min! || v > spec.max!) fail(schema, expectedFor(spec));
      },
    });
  }

  convict.addFormat({
    name: 'pgrelay-real',
    coerce: (v: string) => parseRealValue(v) ?? INVALID,
    validate(v: unknown, schema) {
      const spec = specOf(schema);
      if (typeof v !== 'number' || !Number.isFinite(v)) fail(schema, expectedFor(spec));
      if (v < spec.min! || v > spec.max!) fail(schema, expectedFor(spec));
    },
  });

  convict.addFormat({
    name: 'pgrelay-enum',
    validate(v: unknown, schema) {
      const spec = specOf(schema);
      if (typeof v !== 'string' || canonicalEnum(spec, v) === undefined) fail(schema, expectedFor(spec));
    },
  });

  convict.addFormat({
    name: 'pgrelay-string',
    validate(v: unknown, schema) {
      const spec = specOf(schema);
      if (typeof v !== 'string') fail(schema, expectedFor(spec));
      if (spec.name === 'backend_flag') validateBackendFlag(v, schema);
      if (spec.name === 'log_destination') validateLogDestination(v, schema);
    },
  });

  const listFormat = (name: string, sep: ',' | ';', escapes: boolean) =>
    convict.addFormat({
      name,
      coerce: (v: string) => splitList(v, sep, escapes),
      validate(v: unknown, schema) {
        if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) fail(schema, expectedFor(specOf(schema)));
      },
    });
  listFormat('pgrelay-list-comma', ',', false);
  listFormat('pgrelay-list-semicolon', ';', false);
  listFormat('pgrelay-list-regex', ';', true);
}

/** The convict format name for a parameter. */
export function formatName(spec: ParamSpec): string {
  switch (spec.type) {
    case 'bool': return 'pgrelay-bool';
    case 'int': return spec.unit ? `pgrelay-int-${spec.unit}` : 'pgrelay-int';
    case 'real': return 'pgrelay-real';
    case 'enum': return 'pgrelay-enum';
    case 'string': return 'pgrelay-string';
    case 'list':
      if (spec.listEscapes) return 'pgrelay-list-regex';
      return spec.separator === ';' ? 'pgrelay-list-semicolon' : 'pgrelay-list-comma';
  }
}
