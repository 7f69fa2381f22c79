export * from './config';
export * from './stack-env';
export * from './logger';
export * from './clients';
export * from './shutdown';
export * from './sleep';
export * from './opensearch-error';
