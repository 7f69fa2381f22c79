export * from './s3-error';
export * from './object-ref';
export * from './classify-object';
export * from './list-level';
export * from './log-stream';
export * from './discover-streams';
export * from './list-stream-days';
export * from './open-object';
