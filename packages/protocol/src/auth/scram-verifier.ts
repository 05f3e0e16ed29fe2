import { randomBytes } from 'node:crypto';
import { decodeBase64Strict } from './base64';
import { keysFromSaltedPassword, SCRAM_KEY_LEN } from './scram-crypto';
import { MAX_ITERATIONS, saltedPasswordSync, saltedPasswordUncached } from './salted-password';

/**
 * A SCRAM-SHA-256 secret as PostgreSQL stores it in pg_authid.rolpassword. It lets a server
 * verify a client (StoredKey) and prove itself (ServerKey) without knowing the password.
 */
export interface ScramVerifier {
  iterations: number;
  salt: Buffer;
  storedKey: Buffer;
  serverKey: Buffer;
}

/** PostgreSQL's defaults (scram_iterations, SCRAM_DEFAULT_SALT_LEN). */
export const DEFAULT_ITERATIONS = 4096;
export const DEFAULT_SALT_LENGTH = 16;

const VERIFIER = /^SCRAM-SHA-256\$([0-9]+):([^$:]+)\$([^$:]+):([^$:]+)$/;

/** 'SCRAM-SHA-256$<iter>:<salt>$<StoredKey>:<ServerKey>' → parts, or null if it is anything else (e.g. an md5 secret). */
export function parseScramVerifier(s: string): ScramVerifier | null {
  const m = VERIFIER.exec(s);
  if (!m) return null;
  const iterations = Number(m[1]);
  if (!Number.isSafeInteger(iterations) || iterations < 1 || iterations > MAX_ITERATIONS) return null;
  const salt = decodeBase64Strict(m[2]!);
  const storedKey = decodeBase64Strict(m[3]!);
  const serverKey = decodeBase64Strict(m[4]!);
  if (!salt || salt.length === 0) return null;
  if (storedKey?.length !== SCRAM_KEY_LEN || serverKey?.length !== SCRAM_KEY_LEN) return null;
  return { iterations, salt, storedKey, serverKey };
}

export function formatScramVerifier(v: ScramVerifier): string {
  const b64 = (b: Buffer): string => b.toString('base64');
  return `SCRAM-SHA-256$${v.iterations}:${b64(v.salt)}$${b64(v.storedKey)}:${b64(v.serverKey)}`;
}

function fromSalted(salted: Buffer, salt: Buffer, iterations: number): ScramVerifier {
  const { storedKey, serverKey } = keysFromSaltedPassword(salted);
  return { iterations, salt, storedKey, serverKey };
}

/**
 * The verifier PostgreSQL would store for this password. Runs PBKDF2 synchronously (~1 ms per
 * 4096 iterations, blocking): meant for provisioning and tests; at run time use
 * makeScramVerifierAsync.
 */
export function makeScramVerifier(
  password: string,
  salt: Buffer = randomBytes(DEFAULT_SALT_LENGTH),
  iterations: number = DEFAULT_ITERATIONS,
): ScramVerifier {
  return fromSalted(saltedPasswordSync(password, salt, iterations), salt, iterations);
}

/**
 * makeScramVerifier off the event loop. Build one per user with a cleartext password (e.g. a
 * TEXT/AES pool_passwd entry) once, then serve every login from it with ScramServer({ verifier }):
 * the client-facing side then needs only HMACs.
 */
export async function makeScramVerifierAsync(
  password: string,
  salt: Buffer = randomBytes(DEFAULT_SALT_LENGTH),
  iterations: number = DEFAULT_ITERATIONS,
): Promise<ScramVerifier> {
  return fromSalted(await saltedPasswordUncached(password, salt, iterations), salt, iterations);
}
