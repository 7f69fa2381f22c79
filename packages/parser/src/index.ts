export * from './log-source';
export * from './records-splitter';
export * from './normalize';
export * from './record-id';
export * from './parse-log-file';
