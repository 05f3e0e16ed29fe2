/** What a session knows that lets it log in to a backend as its client. */
import type { ScramVerifier } from '@pgrelay/protocol';

export interface Credentials {
  user: string;
  /** Clear-text password: from pool_passwd (TEXT/AES) or from the client itself. */
  password?: string;
  /** 'md5…' hash from pool_passwd. */
  md5?: string;
  /** Recovered from the client's SCRAM exchange against a pool_passwd verifier. */
  scram?: { clientKey: Buffer; verifier: ScramVerifier };
}

export type AuthMethod = 'trust' | 'password' | 'md5' | 'scram-sha-256';

export const hasSecret = (c: Credentials): boolean =>
  c.password !== undefined || c.md5 !== undefined || c.scram !== undefined;
