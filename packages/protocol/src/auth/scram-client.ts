import { ScramError, SQLSTATE } from './errors';
import { makeNonce, type NonceInjection } from './nonce';
import { constantTimeEqual, hmacSha256, keysFromSaltedPassword, sha256, SCRAM_KEY_LEN, xor } from './scram-crypto';
import {
  authMessage,
  formatClientFinalWithoutProof,
  formatClientFirstBare,
  fromBinaryString,
  GS2_HEADER_NO_CB,
  parseServerFinal,
  parseServerFirst,
} from './scram-messages';
import { saltedPassword } from './salted-password';
import type { ScramVerifier } from './scram-verifier';

export type ScramClientSecret = { password: string } | { clientKey: Buffer; verifier: ScramVerifier };

export interface ScramClientOptions extends NonceInjection {
  /**
   * Refuse a server-first-message asking for more PBKDF2 iterations than this: a hostile or
   * misconfigured backend must not be able to pin a CPU per connection. Default 10,000,000
   * (about 2 s of CPU; PostgreSQL's default is 4096).
   */
  maxIterations?: number;
}

const MECHANISM = 'SCRAM-SHA-256';
const DEFAULT_MAX_ITERATIONS = 10_000_000;

type State =
  | { step: 'init' }
  | { step: 'sent-first'; bare: string }
  | { step: 'deriving' }
  | { step: 'sent-final'; expectedServerSignature: Buffer }
  | { step: 'verified' }
  | { step: 'failed' };

/**
 * One SCRAM-SHA-256 login to a PostgreSQL backend, pgrelay acting as the client, either with the
 * password or with a ClientKey recovered by ScramServer plus the backend's verifier (pass-through).
 * The caller must not accept AuthenticationOk until `verified` is true: a server that skips
 * AuthenticationSASLFinal has not proved it knows the verifier.
 */
export class ScramClient {
  readonly #user: string;
  readonly #secret: ScramClientSecret;
  readonly #nonce: string;
  readonly #maxIterations: number;
  #state: State = { step: 'init' };

  constructor(user: string, secret: ScramClientSecret, opts: ScramClientOptions = {}) {
    if ('clientKey' in secret) {
      const { clientKey, verifier } = secret;
      if (clientKey.length !== SCRAM_KEY_LEN || !constantTimeEqual(sha256(clientKey), verifier.storedKey)) {
        throw new ScramError(`SCRAM ClientKey for user "${user}" does not match the given verifier`, SQLSTATE.invalidPassword);
      }
    }
    this.#user = user;
    this.#secret = secret;
    this.#nonce = makeNonce(opts);
    this.#maxIterations = opts.maxIterations ?? DEFAULT_MAX_ITERATIONS;
  }

  /** True once the server has proved it holds this user's verifier. */
  get verified(): boolean {
    return this.#state.step === 'verified';
  }

  /**
   * The SASLInitialResponse contents. Pass the mechanisms from AuthenticationSASL so a server
   * that insists on channel binding (offers only SCRAM-SHA-256-PLUS) is refused here, clearly.
   */
  initialResponse(serverMechanisms?: readonly string[]): { mechanism: 'SCRAM-SHA-256'; data: Buffer } {
    if (this.#state.step !== 'init') throw outOfOrder();
    if (serverMechanisms && !serverMechanisms.includes(MECHANISM)) {
      this.#state = { step: 'failed' };
      throw new ScramError(
        serverMechanisms.includes(`${MECHANISM}-PLUS`)
          ? 'server requires SCRAM channel binding (SCRAM-SHA-256-PLUS), which pgrelay does not support'
          : `none of the server's SASL authentication mechanisms are supported: ${serverMechanisms.join(', ') || '(none)'}`,
        SQLSTATE.protocolViolation,
      );
    }
    const bare = formatClientFirstBare(this.#user, this.#nonce);
    this.#state = { step: 'sent-first', bare };
    // 'n': we do not do channel binding, even if the server offers -PLUS alongside.
    return { mechanism: MECHANISM, data: fromBinaryString(GS2_HEADER_NO_CB + bare) };
  }

  /** server-first-message (AuthenticationSASLContinue) → client-final-message (SASLResponse). */
  async continue(serverFirst: Buffer): Promise<Buffer> {
    const state = this.#state;
    if (state.step !== 'sent-first') throw outOfOrder();
    this.#state = { step: 'deriving' };
    try {
      const first = parseServerFirst(serverFirst);
      if (!first.nonce.startsWith(this.#nonce) || first.nonce.length === this.#nonce.length) {
        throw new ScramError('invalid SCRAM response', SQLSTATE.protocolViolation, 'Nonce does not match.');
      }
      if (first.iterations > this.#maxIterations) {
        throw new ScramError(
          `server asked for ${first.iterations} SCRAM iterations, more than the allowed ${this.#maxIterations}`,
          SQLSTATE.protocolViolation,
        );
      }
      const { clientKey, storedKey, serverKey } = await this.#keys(first.salt, first.iterations);

      const withoutProof = formatClientFinalWithoutProof(GS2_HEADER_NO_CB, first.nonce);
      const message = authMessage(state.bare, first.raw, withoutProof);
      const proof = xor(clientKey, hmacSha256(storedKey, message));
      this.#state = { step: 'sent-final', expectedServerSignature: hmacSha256(serverKey, message) };
      return fromBinaryString(`${withoutProof},p=${proof.toString('base64')}`);
    } catch (err) {
      this.#state = { step: 'failed' };
      throw err;
    }
  }

  /** server-final-message (AuthenticationSASLFinal): throws unless the server proved itself. */
  finish(serverFinal: Buffer): void {
    const state = this.#state;
    if (state.step !== 'sent-final') throw outOfOrder();
    this.#state = { step: 'failed' };
    const final = parseServerFinal(serverFinal);
    if ('error' in final) {
      throw new ScramError(`SCRAM authentication failed: server reported "${final.error}"`, SQLSTATE.invalidPassword);
    }
    if (!constantTimeEqual(final.serverSignature, state.expectedServerSignature)) {
      throw new ScramError(
        `incorrect server signature in SCRAM exchange for user "${this.#user}": the server does not hold this user's verifier`,
        SQLSTATE.invalidPassword,
      );
    }
    this.#state = { step: 'verified' };
  }

  async #keys(salt: Buffer, iterations: number): Promise<{ clientKey: Buffer; storedKey: Buffer; serverKey: Buffer }> {
    const secret = this.#secret;
    if ('password' in secret) return keysFromSaltedPassword(await saltedPassword(secret.password, salt, iterations));
    const { clientKey, verifier } = secret;
    if (!salt.equals(verifier.salt) || iterations !== verifier.iterations) {
      throw new ScramError(
        `stored SCRAM verifier for user "${this.#user}" is out of date: the server uses a different salt or iteration count ` +
          `(i=${iterations}, verifier has i=${verifier.iterations}); the password was probably changed on the server`,
        SQLSTATE.invalidPassword,
      );
    }
    return { clientKey, storedKey: verifier.storedKey, serverKey: verifier.serverKey };
  }
}

function outOfOrder(): ScramError {
  return new ScramError('SCRAM exchange messages out of order', SQLSTATE.protocolViolation);
}
