export { RecoveryCoordinator, type RecoveryDeps, type RecoveryResult } from './coordinator';
export { RecoveryFailure } from './errors';
export { SessionGate } from './session-gate';
export { recoveryFor } from './for-supervisor';
