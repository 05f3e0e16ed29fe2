/**
 * Folding of the numbered parameters (backend_*N, health_check_*N, hostnameN, heartbeat_*N)
 * into arrays. convict has no pattern keys, so the loader validates each `nameN` it meets as
 * its own key and this module assembles the slots.
 */
import type { BackendConfig, HealthCheckConfig, HeartbeatConfig, WatchdogNodeConfig } from './types';

type Values = Record<string, unknown>;

/** Slot numbers N for which `${base}N` is present in values, ascending. */
function slotIds(values: Values, base: string): number[] {
  const re = new RegExp(`^${base}(\\d+)$`);
  const ids: number[] = [];
  for (const k of Object.keys(values)) {
    const m = re.exec(k);
    if (m) ids.push(Number(m[1]));
  }
  return ids.sort((a, b) => a - b);
}

function pick<T>(values: Values, key: string, fallback: T): T {
  const v = values[key];
  return v === undefined ? fallback : (v as T);
}

export function parseBackendFlag(flag: string): { allowToFailover: boolean; alwaysPrimary: boolean } {
  const words = flag.split('|').map((w) => w.trim());
  return { allowToFailover: !words.includes('DISALLOW_TO_FAILOVER'), alwaysPrimary: words.includes('ALWAYS_PRIMARY') };
}

export function healthCheckFor(values: Values, id: number): HealthCheckConfig {
  const hc = <T>(name: string): T => pick(values, `${name}${id}`, values[name] as T);
  return {
    period: hc('health_check_period'),
    timeout: hc('health_check_timeout'),
    user: hc('health_check_user'),
    password: hc('health_check_password'),
    database: hc('health_check_database'),
    max_retries: hc('health_check_max_retries'),
    retry_delay: hc('health_check_retry_delay'),
    connect_timeout: hc('connect_timeout'),
  };
}

/** A slot is in use iff backend_portN is set and non-zero (pgpool's rule, also on reload). */
export function foldBackends(values: Values): BackendConfig[] {
  const out: BackendConfig[] = [];
  for (const id of slotIds(values, 'backend_port')) {
    const port = values[`backend_port${id}`] as number;
    if (!port) continue;
    const flag = pick(values, `backend_flag${id}`, 'ALLOW_TO_FAILOVER');
    out.push({
      id,
      hostname: pick(values, `backend_hostname${id}`, ''),
      port,
      weight: pick(values, `backend_weight${id}`, 0),
      data_directory: pick(values, `backend_data_directory${id}`, ''),
      flag,
      ...parseBackendFlag(flag),
      application_name: pick(values, `backend_application_name${id}`, ''),
      healthCheck: healthCheckFor(values, id),
    });
  }
  return out;
}

/**
 * Each backend's share of read traffic: weight / sum of weights of the given backends.
 * When every weight is 0 all shares are 0 (pgpool would divide by zero).
 */
export function normalisedWeights(backends: readonly Pick<BackendConfig, 'weight'>[]): number[] {
  const sum = backends.reduce((s, b) => s + b.weight, 0);
  return backends.map((b) => (sum > 0 ? b.weight / sum : 0));
}

export function foldWatchdogNodes(values: Values): WatchdogNodeConfig[] {
  return slotIds(values, 'hostname')
    .filter((id) => values[`hostname${id}`] !== '')
    .map((id) => ({
      id,
      hostname: values[`hostname${id}`] as string,
      wd_port: pick(values, `wd_port${id}`, 9000),
      pgpool_port: pick(values, `pgpool_port${id}`, 9999),
    }));
}

export function foldHeartbeats(values: Values): HeartbeatConfig[] {
  return slotIds(values, 'heartbeat_hostname')
    .filter((id) => values[`heartbeat_hostname${id}`] !== '')
    .map((id) => ({
      id,
      hostname: values[`heartbeat_hostname${id}`] as string,
      port: pick(values, `heartbeat_port${id}`, 9694),
      device: pick(values, `heartbeat_device${id}`, ''),
    }));
}
