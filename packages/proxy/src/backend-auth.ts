/** Answers a backend's authentication request with what the session knows of its client. */
import {
  md5Response,
  passwordMessage,
  saslInitial,
  saslMechanisms,
  saslResponse,
  ScramClient,
} from '@pgrelay/protocol';
import type { AuthMethod, Credentials } from './credentials';
import { fatal } from './errors';

export const AUTH_OK = 0;
export const AUTH_CLEARTEXT = 3;
export const AUTH_MD5 = 5;
export const AUTH_SASL = 10;
export const AUTH_SASL_CONTINUE = 11;
export const AUTH_SASL_FINAL = 12;

export function methodOfRequest(code: number): AuthMethod | undefined {
  switch (code) {
    case AUTH_OK:
      return 'trust';
    case AUTH_CLEARTEXT:
      return 'password';
    case AUTH_MD5:
      return 'md5';
    case AUTH_SASL:
      return 'scram-sha-256';
    default:
      return undefined;
  }
}

const noSecret = (nodeId: number, method: string, user: string) =>
  fatal(
    '28000',
    `unable to authenticate to backend node ${nodeId}: it asks for ${method} authentication and no password for user "${user}" is available`,
    undefined,
    'add the user to pool_passwd (pg_md5 for md5 backends, pg_enc or TEXT entries for scram-sha-256), or allow clear text from the client',
  );

/** One backend login conversation; `step` is fed each Authentication* request in turn. */
export class BackendAuthenticator {
  private scram: ScramClient | null = null;

  constructor(private readonly nodeId: number, private readonly creds: Credentials) {}

  /** Returns the message to send, or null when nothing is to be sent (AuthenticationOk). */
  async step(code: number, data: Buffer): Promise<Buffer | null> {
    const c = this.creds;
    switch (code) {
      case AUTH_OK:
        // A server that skips SASLFinal never proved it knows the password.
        if (this.scram !== null && !this.scram.verified) {
          throw fatal('28000', `backend node ${this.nodeId} ended SCRAM authentication without proving its identity`);
        }
        return null;
      case AUTH_CLEARTEXT:
        if (c.password === undefined) throw noSecret(this.nodeId, 'clear text password', c.user);
        return passwordMessage(c.password);
      case AUTH_MD5: {
        const salt = data.subarray(0, 4);
        if (c.password !== undefined) return passwordMessage(md5Response({ password: c.password }, c.user, salt));
        if (c.md5 !== undefined) return passwordMessage(md5Response({ md5: c.md5 }, c.user, salt));
        throw noSecret(this.nodeId, 'md5', c.user);
      }
      case AUTH_SASL: {
        const mechs = saslMechanisms(data);
        if (!mechs.includes('SCRAM-SHA-256')) {
          throw fatal('28000', `backend node ${this.nodeId} offers no SASL mechanism pgrelay supports (${mechs.join(', ')})`);
        }
        if (c.password !== undefined) this.scram = new ScramClient(c.user, { password: c.password });
        else if (c.scram !== undefined) this.scram = new ScramClient(c.user, c.scram);
        else throw noSecret(this.nodeId, 'scram-sha-256', c.user);
        const first = this.scram.initialResponse(mechs);
        return saslInitial(first.mechanism, first.data);
      }
      case AUTH_SASL_CONTINUE:
        if (this.scram === null) throw fatal('08P01', `backend node ${this.nodeId} sent SASLContinue out of order`);
        return saslResponse(await this.scram.continue(data));
      case AUTH_SASL_FINAL:
        if (this.scram === null) throw fatal('08P01', `backend node ${this.nodeId} sent SASLFinal out of order`);
        this.scram.finish(data);
        return null;
      default:
        throw fatal('28000', `backend node ${this.nodeId} asks for an authentication method pgrelay does not support (code ${code})`);
    }
  }
}
