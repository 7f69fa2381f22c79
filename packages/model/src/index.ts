export * from './error-codes';
export * from './trailscope-error';
export * from './log-key';
export * from './names';
export * from './event-doc';
