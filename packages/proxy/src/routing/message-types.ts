/**
 * Message type bytes the routers switch on. Named by their letter, as the protocol docs name
 * them; a letter means different messages in the two directions (E: Execute from the client,
 * ErrorResponse from the server), and each use says which.
 */
export const Q = 0x51;
export const P = 0x50;
export const B = 0x42;
export const E = 0x45;
export const D = 0x44;
export const C = 0x43;
export const S = 0x53;
export const H = 0x48;
export const F = 0x46;
export const Z = 0x5a;
/** Pass-through bytes (COPY data) in a router's hold queue, which is not a message. */
export const PASSTHROUGH = -1;
