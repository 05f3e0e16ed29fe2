// The authentication half of @pgrelay/protocol: md5 and SCRAM-SHA-256, as server and as client.
// This is the only entry point; files beside it are internal.

export { md5Hex, md5Response, md5Secret, md5Verify, type Md5Secret } from './md5';
export { ScramError } from './errors';
export {
  formatScramVerifier,
  makeScramVerifier,
  makeScramVerifierAsync,
  parseScramVerifier,
  type ScramVerifier,
} from './scram-verifier';
export { saltedPassword, saltedPasswordCache, type SaltedPasswordCacheControl } from './salted-password';
export { saslprep } from './saslprep';
export {
  ScramServer,
  type ScramServerOptions,
  type ScramServerResult,
  type ScramServerSecret,
} from './scram-server';
export { ScramClient, type ScramClientOptions, type ScramClientSecret } from './scram-client';
export { saslPayload } from './sasl-payload';
