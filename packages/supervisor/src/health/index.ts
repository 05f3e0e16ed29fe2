export { HealthChecker, type HealthCheckerOptions } from './checker';
export type { HealthFailure } from './node-loop';
export { HEALTH_CHECK_STATS_COLUMNS, type HealthCheckStatsRow } from './stats';
export { healthLogin, type HealthLogin } from './login';
export { printfF, localTimestamp } from './format';
export { attemptLogin } from './attempt';
