export { FailoverCoordinator, type FailoverDeps, type Outcome } from './coordinator';
export { FailureReports, type FailureKind } from './reports';
export { AutoFailback } from './auto-failback';
export { FalsePrimaryCheck, truePrimary } from './false-primary';
