export { runWorker, type WorkerInit } from './worker';
export { createLogger, pinoLevelOf, type Logger } from './logger';
export { BackendConn, backendTarget, type NodeTarget } from './backend-conn';
export { SlotCounter } from './slots';
export { listenTargets, describeTarget } from './listen';
export { resetStatements } from './backend-release';
