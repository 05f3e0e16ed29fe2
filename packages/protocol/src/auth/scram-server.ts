import { randomBytes } from 'node:crypto';
import { ScramError, SQLSTATE } from './errors';
import { makeNonce, type NonceInjection } from './nonce';
import { constantTimeEqual, hmacSha256, sha256, SCRAM_KEY_LEN, xor } from './scram-crypto';
import {
  authMessage,
  formatServerFinal,
  formatServerFirst,
  fromBinaryString,
  parseClientFinal,
  parseClientFirst,
} from './scram-messages';
import { DEFAULT_ITERATIONS, DEFAULT_SALT_LENGTH, makeScramVerifierAsync, type ScramVerifier } from './scram-verifier';

export type ScramServerSecret = { password: string } | { verifier: ScramVerifier };

export interface ScramServerOptions extends NonceInjection {
  /** Only `false` for now: pgrelay does not offer SCRAM-SHA-256-PLUS (tls-server-end-point). */
  channelBinding?: false;
}

export interface ScramServerResult {
  ok: boolean;
  /** Payload of AuthenticationSASLFinal; only when ok. */
  serverFinal?: Buffer;
  /**
   * ClientKey = ClientProof XOR ClientSignature, only when ok. With the verifier it lets pgrelay
   * log in to backends as this user (ScramClient { clientKey, verifier }) without the password.
   */
  clientKey?: Buffer;
}

const MECHANISM = 'SCRAM-SHA-256';

type State =
  | { step: 'init' }
  | { step: 'starting' }
  | { step: 'started'; verifier: ScramVerifier; gs2Header: string; clientFirstBare: string; serverFirst: string; nonce: string }
  | { step: 'done' };

/**
 * One SCRAM-SHA-256 exchange with one connecting client, pgrelay acting as the server. Feed it
 * the client's SASL messages; send what it returns. Any ScramError it throws is meant to become
 * the client's ErrorResponse (FATAL) and end that session; an `ok: false` from finish() is a
 * wrong password, reported by the caller as PostgreSQL does:
 * `password authentication failed for user "…"` (28P01).
 */
export class ScramServer {
  // Frozen: it is shared by every session, so a caller appending to it must fail loudly.
  static readonly mechanisms: string[] = Object.freeze([MECHANISM]) as string[];

  readonly #secret: ScramServerSecret;
  readonly #opts: ScramServerOptions;
  #state: State = { step: 'init' };

  constructor(secret: ScramServerSecret, opts: ScramServerOptions = {}) {
    if ('verifier' in secret) {
      const v = secret.verifier;
      if (v.storedKey.length !== SCRAM_KEY_LEN || v.serverKey.length !== SCRAM_KEY_LEN || v.salt.length === 0) {
        throw new TypeError('ScramServer: malformed SCRAM verifier');
      }
    }
    this.#secret = secret;
    this.#opts = opts;
  }

  /** client-first-message (from SASLInitialResponse) → server-first-message (for AuthenticationSASLContinue). */
  async start(mechanism: string, clientFirst: Buffer): Promise<Buffer> {
    if (this.#state.step !== 'init') throw outOfOrder();
    this.#state = { step: 'starting' };
    try {
      if (mechanism !== MECHANISM) {
        throw new ScramError('client selected an invalid SASL authentication mechanism', SQLSTATE.protocolViolation);
      }
      const first = parseClientFirst(clientFirst);
      // A cleartext secret gets a fresh salt per exchange, hence one PBKDF2 per login; callers
      // that care should pass a verifier built once with makeScramVerifierAsync.
      const verifier =
        'verifier' in this.#secret
          ? this.#secret.verifier
          : await makeScramVerifierAsync(this.#secret.password, randomBytes(DEFAULT_SALT_LENGTH), DEFAULT_ITERATIONS);
      const nonce = first.nonce + makeNonce(this.#opts);
      const serverFirst = formatServerFirst(nonce, verifier.salt, verifier.iterations);
      this.#state = { step: 'started', verifier, gs2Header: first.gs2Header, clientFirstBare: first.bare, serverFirst, nonce };
      return fromBinaryString(serverFirst);
    } catch (err) {
      this.#state = { step: 'done' }; // a failed start ends the exchange
      throw err;
    }
  }

  /** client-final-message (from SASLResponse) → verdict, and server-final-message when ok. */
  finish(clientFinal: Buffer): ScramServerResult {
    const state = this.#state;
    if (state.step !== 'started') throw outOfOrder();
    this.#state = { step: 'done' };

    const final = parseClientFinal(clientFinal);
    if (final.channelBinding !== Buffer.from(state.gs2Header, 'latin1').toString('base64')) {
      throw new ScramError('unexpected SCRAM channel-binding attribute in client-final-message', SQLSTATE.protocolViolation);
    }
    if (final.nonce !== state.nonce) {
      throw new ScramError('invalid SCRAM response', SQLSTATE.protocolViolation, 'Nonce does not match.');
    }

    const { storedKey, serverKey } = state.verifier;
    const message = authMessage(state.clientFirstBare, state.serverFirst, final.withoutProof);
    const clientKey = xor(final.proof, hmacSha256(storedKey, message));
    if (!constantTimeEqual(sha256(clientKey), storedKey)) return { ok: false };
    return { ok: true, serverFinal: fromBinaryString(formatServerFinal(hmacSha256(serverKey, message))), clientKey };
  }
}

function outOfOrder(): ScramError {
  return new ScramError('SCRAM exchange messages out of order', SQLSTATE.protocolViolation);
}
