/**
 * The server side of SSL for clients (ssl = on): certificate, key and the cipher settings of
 * pgpool.conf, loaded once per worker. A file that cannot be read or a key that does not
 * match stops the worker with the parameter named, before it listens.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import tls from 'node:tls';
import type { PgpoolConfig } from '@pgrelay/config';
import { bool, str } from './context';

export class TlsConfigError extends Error {}

export function loadTlsContext(cfg: PgpoolConfig): tls.SecureContext | null {
  if (!bool(cfg, 'ssl')) return null;
  const read = (key: string): Buffer => {
    const file = str(cfg, key);
    if (file === '') throw new TlsConfigError(`ssl is on but ${key} is not set`);
    try {
      return fs.readFileSync(file);
    } catch (e) {
      throw new TlsConfigError(`${key}: could not read "${file}": ${(e as Error).message}`);
    }
  };
  const optional = (key: string): Buffer | undefined => (str(cfg, key) === '' ? undefined : read(key));
  const options: tls.SecureContextOptions = {
    cert: read('ssl_cert'),
    key: read('ssl_key'),
    ca: optional('ssl_ca_cert'),
    crl: optional('ssl_crl_file'),
    dhparam: optional('ssl_dh_params_file'),
    ciphers: str(cfg, 'ssl_ciphers') || undefined,
    honorCipherOrder: bool(cfg, 'ssl_prefer_server_ciphers'),
    ecdhCurve: str(cfg, 'ssl_ecdh_curve') || undefined,
    passphrase: passphrase(str(cfg, 'ssl_passphrase_command')),
  };
  try {
    return tls.createSecureContext(options);
  } catch (e) {
    throw new TlsConfigError(`ssl_cert/ssl_key: ${(e as Error).message}`);
  }
}

/** ssl_passphrase_command's first line of output; %p is replaced by a prompt, as in pgpool. */
function passphrase(command: string): string | undefined {
  if (command === '') return undefined;
  try {
    const out = execFileSync('/bin/sh', ['-c', command.replaceAll('%p', 'Enter PEM pass phrase:')], { encoding: 'utf8', timeout: 30_000 });
    return out.split('\n')[0];
  } catch (e) {
    throw new TlsConfigError(`ssl_passphrase_command failed: ${(e as Error).message}`);
  }
}
