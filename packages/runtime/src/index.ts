/**
 * The API of @trailscope/runtime: only what other packages, tests and the bench import. A name used only inside the
 * package stays unexported; export one here (and in exports.txt beside this package's exports test) when another
 * package needs it.
 */
export { loadConfig, type Config } from './config';
export { resolveStackDir, STACK_ENV_FILE } from './stack-env';
export { createLogger, type Logger } from './logger';
export { createOpenSearchClient, createRedis, createS3Client, isRedisCluster, redisRunId, scanKeys, type OpenSearchClient, type Redis } from './clients';
export { createShutdown } from './shutdown';
export { sleep } from './sleep';
export { errorFacts, isTooCostly, isTransient, toOpenSearchError } from './opensearch-error';
export { deriveSecretKey, openSecret, requireServerKey, sealSecret, SealedSecretSchema, type SealedSecret } from './secret-box';
