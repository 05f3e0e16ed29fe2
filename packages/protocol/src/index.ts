export * from './framer';
export * from './startup';
export * from './writer';
export * from './server-messages';
export * from './client-messages';
export * from './decode';
export * from './auth';
