/**
 * What a reload changes. Each change carries the apply mode so the reload path can log the
 * ones that take effect and the ones that need a restart (which pgpool silently ignores).
 */
import { PARAMS, findParam } from './params';
import type { ApplyMode, ParamSpec } from './param-types';
import type { BackendConfig, LoadedConfig, PgpoolConfig } from './types';

export interface ConfigChange {
  key: string;
  /** Sensitive values are shown as `*****`; read the configs themselves for the real values. */
  before: unknown;
  after: unknown;
  apply: ApplyMode;
}

const MASK = '*****';
const BACKEND_FIELDS: Array<[keyof BackendConfig, string]> = [
  ['hostname', 'backend_hostname'], ['port', 'backend_port'], ['weight', 'backend_weight'],
  ['data_directory', 'backend_data_directory'], ['flag', 'backend_flag'], ['application_name', 'backend_application_name'],
];
// A used slot keeps its address and data directory until restart; a new slot may be added by reload.
const FIXED_WHILE_USED = new Set(['backend_hostname', 'backend_port', 'backend_data_directory']);
const HEALTH_FIELDS: Array<[keyof BackendConfig['healthCheck'], string]> = [
  ['period', 'health_check_period'], ['timeout', 'health_check_timeout'], ['user', 'health_check_user'],
  ['password', 'health_check_password'], ['database', 'health_check_database'], ['max_retries', 'health_check_max_retries'],
  ['retry_delay', 'health_check_retry_delay'], ['connect_timeout', 'connect_timeout'],
];

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

export function diffConfig(before: LoadedConfig, after: LoadedConfig): ConfigChange[] {
  const out: ConfigChange[] = [];
  const push = (key: string, spec: ParamSpec, a: unknown, b: unknown, apply: ApplyMode = spec.apply) => {
    if (same(a, b)) return;
    out.push(spec.sensitive ? { key, before: MASK, after: MASK, apply } : { key, before: a, after: b, apply });
  };

  for (const spec of PARAMS as readonly ParamSpec[]) {
    if (spec.indexed === 'required') continue;
    push(spec.name, spec, before.values[spec.name], after.values[spec.name]);
  }
  diffBackends(before, after, push);
  diffSlots(before.values, after.values, 'watchdog_nodes', [['hostname', 'hostname'], ['wd_port', 'wd_port'], ['pgpool_port', 'pgpool_port']], push);
  diffSlots(before.values, after.values, 'heartbeat_destinations', [['hostname', 'heartbeat_hostname'], ['port', 'heartbeat_port'], ['device', 'heartbeat_device']], push);
  return out;
}

type Push = (key: string, spec: ParamSpec, a: unknown, b: unknown, apply?: ApplyMode) => void;

function diffBackends(before: LoadedConfig, after: LoadedConfig, push: Push): void {
  const a = new Map(before.values.backends.map((b) => [b.id, b]));
  const b = new Map(after.values.backends.map((x) => [x.id, x]));
  const ids = [...new Set([...a.keys(), ...b.keys()])].sort((x, y) => x - y);
  for (const id of ids) {
    const old = a.get(id);
    const cur = b.get(id);
    for (const [field, name] of BACKEND_FIELDS) {
      const spec = findParam(name)!;
      let apply: ApplyMode = spec.apply;
      if (!old) apply = 'reload';
      else if (!cur || FIXED_WHILE_USED.has(name)) apply = 'restart';
      else apply = 'reload';
      push(`${name}${id}`, spec, old?.[field], cur?.[field], apply);
    }
    for (const [field, name] of HEALTH_FIELDS) {
      const key = `${name}${id}`;
      // Changes of the plain health_check_* values are reported once, under their own name.
      if (!before.explicit.has(key) && !after.explicit.has(key)) continue;
      const spec = findParam(name)!;
      push(key, spec, old?.healthCheck[field], cur?.healthCheck[field]);
    }
  }
}

function diffSlots(
  before: PgpoolConfig, after: PgpoolConfig, list: 'watchdog_nodes' | 'heartbeat_destinations',
  fields: Array<[string, string]>, push: Push,
): void {
  const index = (v: PgpoolConfig) => new Map((v[list] as unknown as Array<{ id: number } & Record<string, unknown>>).map((n) => [n.id, n]));
  const a = index(before);
  const b = index(after);
  const ids = [...new Set([...a.keys(), ...b.keys()])].sort((x, y) => x - y);
  for (const id of ids) {
    for (const [field, name] of fields) push(`${name}${id}`, findParam(name)!, a.get(id)?.[field], b.get(id)?.[field]);
  }
}
