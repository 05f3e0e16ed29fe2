export { FailoverCoordinator, type FailoverDeps, type Outcome } from './coordinator';
export { FailureReports, type FailureKind } from './reports';
