/**
 * Builds the convict schema for one load: every plain parameter from PARAMS, plus one key per
 * numbered setting (backend_port3, health_check_period1, ...) that the file actually contains.
 */
import convict from 'convict';
import { PARAMS, findParam, MAX_SLOTS } from './params';
import type { ParamSpec } from './param-types';
import { formatName, registerFormats, type PgSchemaItem } from './formats';

export type SchemaItem = convict.SchemaObj & PgSchemaItem;

function item(spec: ParamSpec, key: string): SchemaItem {
  return {
    default: Array.isArray(spec.default) ? [...spec.default] : spec.default,
    format: formatName(spec),
    doc: spec.description,
    sensitive: spec.sensitive === true,
    pgKey: key,
    pg: spec,
  };
}

export type ResolvedName =
  | { spec: ParamSpec; key: string; index?: number }
  | { outOfRange: ParamSpec; index: number };

/** Maps a name from the file to its parameter and canonical key; undefined when unknown. */
export function resolveName(name: string): ResolvedName | undefined {
  const direct = findParam(name);
  if (direct && direct.indexed !== 'required') return { spec: direct, key: direct.name };
  const m = /^(.*?)(\d+)$/.exec(name);
  if (!m) return undefined;
  const spec = findParam(m[1]!);
  if (!spec?.indexed) return undefined;
  const index = Number(m[2]);
  if (index >= MAX_SLOTS) return { outOfRange: spec, index };
  return { spec, key: `${spec.name}${index}`, index };
}

export function buildSchema(indexedKeys: Iterable<string>): Record<string, SchemaItem> {
  const schema: Record<string, SchemaItem> = {};
  for (const spec of PARAMS as readonly ParamSpec[]) {
    if (spec.indexed !== 'required') schema[spec.name] = item(spec, spec.name);
  }
  for (const key of indexedKeys) {
    if (key in schema) continue;
    const r = resolveName(key);
    if (r && 'spec' in r) schema[key] = item(r.spec, key);
  }
  return schema;
}

export function makeConvict(indexedKeys: Iterable<string>): convict.Config<Record<string, unknown>> {
  registerFormats();
  return convict(buildSchema(indexedKeys) as unknown as convict.Schema<Record<string, unknown>>);
}
