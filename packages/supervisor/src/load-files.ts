/** Reads everything an operator's files say: pgpool.conf, pool_hba.conf, pool_passwd. */
import fs from 'node:fs';
import path from 'node:path';
import {
  loadConfig,
  loadHba,
  loadPoolPasswd,
  readKeyFile,
  type HbaRule,
  type LoadedConfig,
  type PasswdSecret,
} from '@pgrelay/config';
import type { CliOptions } from './cli';

export interface LoadedFiles {
  conf: LoadedConfig;
  hba: HbaRule[] | null;
  passwd: Map<string, PasswdSecret>;
  passwdFile: string;
}

export function loadFiles(opts: CliOptions): LoadedFiles {
  const conf = loadConfig(opts.configFile);
  const v = conf.values;
  if (opts.debug) v.log_min_messages = 'debug1';
  const hba = v.enable_pool_hba === true ? loadHba(opts.hbaFile) : null;
  const passwdSetting = String(v.pool_passwd ?? '');
  const passwdFile = passwdSetting === '' ? '' : path.resolve(conf.dir, passwdSetting);
  const key = readKeyFile(opts.keyFile);
  const passwd = passwdFile !== '' && fs.existsSync(passwdFile) ? loadPoolPasswd(passwdFile, key) : new Map<string, PasswdSecret>();
  return { conf, hba, passwd, passwdFile };
}
