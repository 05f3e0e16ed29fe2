/**
 * Whom the health check logs in as, with pgpool's password rules: health_check_password when
 * set (`md5` + 32 hex = md5 hash, `AES…` = encrypted with the pool key, `TEXT…` = clear text
 * after the prefix, anything else clear text), else the user's pool_passwd entry. A SCRAM
 * verifier or an undecryptable AES entry gives no password, as in pgpool.
 */
import { classifySecret, type HealthCheckConfig, type PasswdSecret } from '@pgrelay/config';

export interface HealthLogin {
  user: string;
  database: string;
  password?: string;
  md5?: string;
  /** Set when a password exists but cannot be used (pgpool warns and goes on without one). */
  problem?: string;
}

export function healthLogin(
  hc: Pick<HealthCheckConfig, 'user' | 'password' | 'database'>,
  passwd: Map<string, PasswdSecret>,
  aesKey: string | undefined,
): HealthLogin {
  const user = String(hc.user ?? '');
  // pgpool's code falls back to "postgres" (not template1, whatever older docs say).
  const database = String(hc.database ?? '') || 'postgres';
  const configured = String(hc.password ?? '');
  const secret = configured !== '' ? classifySecret(configured, aesKey) : passwd.get(user);
  const login: HealthLogin = { user, database };
  switch (secret?.kind) {
    case 'text':
      login.password = secret.password;
      break;
    case 'md5':
      login.md5 = secret.hash;
      break;
    case 'aes':
      if (secret.password !== undefined) login.password = secret.password;
      else login.problem = `could not get the password for user:${user}: ${secret.error ?? 'unable to decrypt password'}`;
      break;
    default:
      // No entry, or a SCRAM verifier, which cannot log in: go without a password.
      break;
  }
  return login;
}
