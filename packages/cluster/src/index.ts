export * from './state';
export * from './ipc';
