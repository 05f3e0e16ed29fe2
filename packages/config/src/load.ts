/**
 * pgpool.conf loading: lex (conf-lexer), map names to parameters, let convict coerce and
 * validate, then normalise and fold the numbered settings. Errors name file, line and key.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { lexConf } from './conf-lexer';
import { ConfigError, type ConfigWarning } from './errors';
import { collectProblems, canonicalEnum, type FormatProblem } from './formats';
import { PARAMS } from './params';
import type { ParamSpec } from './param-types';
import { makeConvict, resolveName } from './schema';
import { foldBackends, foldHeartbeats, foldWatchdogNodes } from './backends';
import { splitList } from './values';
import type { ExplicitSetting, LoadedConfig, PgpoolConfig } from './types';

export function loadConfig(file: string): LoadedConfig {
  const abs = path.resolve(file);
  let text: string;
  try {
    text = fs.readFileSync(abs, 'utf8');
  } catch (e) {
    throw new ConfigError({ file: abs, problem: `cannot read configuration file (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})` });
  }
  return parseConfigText(text, abs);
}

export function parseConfigText(text: string, file: string): LoadedConfig {
  const abs = path.resolve(file);
  const dir = path.dirname(abs);
  const entries = lexConf(text, abs);

  const explicit = new Map<string, ExplicitSetting>();
  const warnings: ConfigWarning[] = [];
  const raw: Record<string, string> = {};
  for (const e of entries) {
    const r = resolveName(e.name);
    if (!r) {
      warnings.push({ file: e.file, line: e.line, key: e.name, message: `unrecognized configuration parameter "${e.name}"` });
      continue;
    }
    if ('outOfRange' in r) {
      throw new ConfigError({ file: e.file, line: e.line, key: e.name, problem: `slot number ${r.index} is out of range`, expected: 'a slot number in 0..127' });
    }
    if (r.key === 'fail_over_on_backend_error') {
      warnings.push({
        file: e.file, line: e.line, key: e.name,
        message: 'fail_over_on_backend_error is the old name of failover_on_backend_error and has no effect (as in pgpool 4.3); use failover_on_backend_error',
      });
    }
    // Re-inserting moves the key to its last position, so the map is in effective file order.
    explicit.delete(r.key);
    explicit.set(r.key, { file: e.file, line: e.line, raw: e.value });
    raw[r.key] = e.value;
  }

  const conf = makeConvict(explicit.keys());
  conf.load(raw);
  const { problems, error } = collectProblems(() => conf.validate({ allowed: 'strict' }));
  if (problems.length > 0 || error) throw firstError(problems, error, explicit, abs);

  const values = conf.getProperties() as Record<string, unknown>;
  normalise(values, explicit, dir);
  const config = values as PgpoolConfig;
  config.backends = foldBackends(values);
  config.watchdog_nodes = foldWatchdogNodes(values);
  config.heartbeat_destinations = foldHeartbeats(values);
  config.pcp_socket_dirs = splitList(config.pcp_socket_dir, ',');
  checkRecovery(config, explicit, abs);

  return { file: abs, dir, values: config, explicit, warnings };
}

function specFor(key: string): ParamSpec | undefined {
  const r = resolveName(key);
  return r && 'spec' in r ? r.spec : undefined;
}

/** The problem that comes first in the file, reported against its line. */
function firstError(problems: FormatProblem[], error: Error | undefined, explicit: Map<string, ExplicitSetting>, file: string): ConfigError {
  const order = [...explicit.keys()];
  const located = problems
    .map((p) => ({ p, at: order.indexOf(p.key) }))
    .sort((a, b) => (a.at < 0 ? Infinity : a.at) - (b.at < 0 ? Infinity : b.at));
  const first = located[0];
  if (!first) return new ConfigError({ file, problem: error?.message ?? 'invalid configuration' });
  const { p } = first;
  const where = explicit.get(p.key);
  const spec = specFor(p.key);
  let problem = spec?.sensitive || !where ? 'invalid value' : `invalid value '${where.raw}'`;
  if (p.problem) problem += ` (${p.problem})`;
  return new ConfigError({ file: where?.file ?? file, line: where?.line, key: p.key, problem, expected: p.expected });
}

function normalise(values: Record<string, unknown>, explicit: Map<string, ExplicitSetting>, dir: string): void {
  for (const spec of PARAMS as readonly ParamSpec[]) {
    if (spec.indexed === 'required') continue;
    const v = values[spec.name];
    if (spec.type === 'enum') values[spec.name] = canonicalEnum(spec, v as string);
    if (spec.path && typeof v === 'string' && v !== '') values[spec.name] = path.resolve(dir, v);
  }

  // socket_dir (4.3) and unix_socket_directories (4.4+) name the same thing; the later line wins.
  const keys = [...explicit.keys()];
  const oldAt = keys.indexOf('socket_dir');
  const newAt = keys.indexOf('unix_socket_directories');
  if (oldAt >= 0 && oldAt > newAt) {
    values.unix_socket_directories = splitList(values.socket_dir as string, ',');
  } else if (newAt >= 0) {
    values.socket_dir = (values.unix_socket_directories as string[])[0] ?? '';
  }
}

/** pgpool refuses to start when online recovery is configured but a backend has no data directory. */
function checkRecovery(config: PgpoolConfig, explicit: Map<string, ExplicitSetting>, file: string): void {
  const key = ['recovery_1st_stage_command', 'recovery_2nd_stage_command'].find((k) => config[k] !== '');
  if (!key) return;
  const missing = config.backends.find((b) => b.data_directory === '');
  if (!missing) return;
  const where = explicit.get(key);
  throw new ConfigError({
    file: where?.file ?? file, line: where?.line, key,
    problem: `backend_data_directory${missing.id} is not set`,
    expected: 'backend_data_directoryN for every backend when recovery_1st_stage_command or recovery_2nd_stage_command is set',
  });
}
