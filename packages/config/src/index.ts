export { ConfigError, formatConfigError, type ConfigErrorInfo, type ConfigWarning } from './errors';
export type { ApplyMode, ParamDefault, ParamGroup, ParamSpec, ParamType, ParamUnit } from './param-types';
export { PARAMS, findParam, MAX_SLOTS, type KnownParam, type ParamName } from './params';
export type {
  BackendConfig, DerivedConfig, ExplicitSetting, HealthCheckConfig, HeartbeatConfig, LoadedConfig,
  PgpoolConfig, PgpoolParams, WatchdogNodeConfig,
} from './types';
export { loadConfig, parseConfigText } from './load';
export { lexConf, MAX_INCLUDE_DEPTH, type ConfEntry } from './conf-lexer';
export { normalisedWeights, parseBackendFlag } from './backends';
export { diffConfig, type ConfigChange } from './diff';
export { formatParamValue } from './show';
export { parseBoolValue, parseIntValue, parseRealValue, splitList } from './values';
export {
  parseHba, loadHba, matchHba,
  type HbaRule, type HbaAddress, type HbaClient, type HbaConnectionType, type HbaMethod, type HbaToken,
  type HbaInterface, type HbaMatchOptions,
} from './hba';
export { parsePoolPasswd, loadPoolPasswd, readKeyFile, classifySecret, type PasswdSecret } from './pool-passwd';
export { encryptAes, decryptAes, md5Hash } from './aes';
export { parsePcpConf, loadPcpConf } from './pcp-conf';
export { workerCount } from './worker-count';
