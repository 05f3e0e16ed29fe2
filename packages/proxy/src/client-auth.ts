/** Verifies a client by the method pool_hba.conf (or the backend) asks for, against pool_passwd. */
import { randomBytes } from 'node:crypto';
import type { PasswdSecret } from '@pgrelay/config';
import {
  authenticationCleartext,
  authenticationMd5,
  authenticationSasl,
  authenticationSaslContinue,
  authenticationSaslFinal,
  makeScramVerifier,
  makeScramVerifierAsync,
  md5Secret,
  md5Verify,
  parseScramVerifier,
  passwordOf,
  saslInitialResponse,
  ScramServer,
  type ScramVerifier,
} from '@pgrelay/protocol';
import type { AuthMethod, Credentials } from './credentials';
import { fatal } from './errors';
import type { Message } from './message-queue';

export interface ClientChannel {
  send(buf: Buffer): void;
  next(): Promise<Message>;
}

const PASSWORD = 0x70; // 'p': PasswordMessage, SASLInitialResponse and SASLResponse share it

const failed = (user: string, method: string) =>
  fatal('28P01', `password authentication failed for user "${user}"`, `${method} authentication failed`);

const noEntry = (user: string, method: string) =>
  fatal(
    '28P01',
    `password authentication failed for user "${user}"`,
    `${method} authentication needs a password for "${user}": pool_passwd file does not contain a usable entry for the user`,
  );

/** The clear-text password a pool_passwd entry holds, if it holds one we can read. */
export function clearTextOf(secret: PasswdSecret | undefined): string | undefined {
  if (secret === undefined) return undefined;
  if (secret.kind === 'text') return secret.password;
  if (secret.kind === 'aes') return secret.password;
  return undefined;
}

/** What a pool_passwd entry alone lets pgrelay log in to a backend with. */
export function credentialsFromSecret(user: string, secret: PasswdSecret | undefined): Credentials {
  const password = clearTextOf(secret);
  if (password !== undefined) return { user, password };
  if (secret?.kind === 'md5') return { user, md5: secret.hash };
  return { user };
}

const verifiers = new Map<string, Promise<ScramVerifier>>();

function verifierFor(user: string, password: string): Promise<ScramVerifier> {
  const key = `${user}\0${password}`;
  let v = verifiers.get(key);
  if (!v) {
    if (verifiers.size >= 1000) verifiers.delete(verifiers.keys().next().value!);
    v = makeScramVerifierAsync(password);
    verifiers.set(key, v);
  }
  return v;
}

async function expectPassword(ch: ClientChannel): Promise<Buffer> {
  const m = await ch.next();
  if (m.type !== PASSWORD) throw fatal('08P01', `expected password response, got message type "${String.fromCharCode(m.type)}"`);
  return m.body;
}

function matchesSecret(user: string, given: string, secret: PasswdSecret | undefined): boolean | undefined {
  if (secret === undefined) return undefined;
  switch (secret.kind) {
    case 'text':
      return given === secret.password;
    case 'aes':
      return secret.password === undefined ? undefined : given === secret.password;
    case 'md5':
      return md5Secret(given, user) === secret.hash;
    case 'scram': {
      const v = parseScramVerifier(secret.verifier);
      if (!v) return undefined;
      return makeScramVerifier(given, v.salt, v.iterations).storedKey.equals(v.storedKey);
    }
  }
}

/**
 * Runs the client side of authentication. Returns what the session may log in to backends
 * with; throws ClientError (28P01 / 28000 / 08P01) when the client is not who it says.
 */
export async function verifyClient(
  method: AuthMethod,
  ch: ClientChannel,
  user: string,
  secret: PasswdSecret | undefined,
): Promise<Credentials> {
  switch (method) {
    case 'trust':
      return credentialsFromSecret(user, secret);

    case 'password': {
      ch.send(authenticationCleartext());
      const given = passwordOf(await expectPassword(ch));
      if (matchesSecret(user, given, secret) === false) throw failed(user, 'password');
      return { user, password: given };
    }

    case 'md5': {
      const password = clearTextOf(secret);
      const stored = password !== undefined ? { password } : secret?.kind === 'md5' ? { md5: secret.hash } : undefined;
      if (stored === undefined) throw noEntry(user, 'md5');
      const salt = randomBytes(4);
      ch.send(authenticationMd5(salt));
      const response = passwordOf(await expectPassword(ch));
      if (!md5Verify(stored, user, salt, response)) throw failed(user, 'md5');
      return password !== undefined ? { user, password } : { user, md5: (stored as { md5: string }).md5 };
    }

    case 'scram-sha-256': {
      const password = clearTextOf(secret);
      let verifier: ScramVerifier | null = null;
      if (password === undefined) {
        verifier = secret?.kind === 'scram' ? parseScramVerifier(secret.verifier) : null;
        if (verifier === null) throw noEntry(user, 'SCRAM');
      }
      // A verifier made once per (user, password) spares a PBKDF2 run on every login.
      if (password !== undefined) verifier = await verifierFor(user, password);
      const server = new ScramServer({ verifier: verifier! });
      ch.send(authenticationSasl(ScramServer.mechanisms));
      const first = saslInitialResponse(await expectPassword(ch));
      ch.send(authenticationSaslContinue(await server.start(first.mechanism, first.data)));
      const result = server.finish(await expectPassword(ch));
      if (!result.ok || !result.serverFinal) throw failed(user, 'SCRAM');
      ch.send(authenticationSaslFinal(result.serverFinal));
      if (password !== undefined) return { user, password };
      return { user, scram: { clientKey: result.clientKey!, verifier: verifier! } };
    }
  }
}
