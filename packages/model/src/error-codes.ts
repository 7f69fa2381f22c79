/**
 * The one table of error codes. Every error trailscope raises carries one of these codes; front ends map the code
 * to an HTTP status and a process exit code, and the job runner decides from `retryable` whether to try again.
 */
export const ERROR_CODES = {
  USAGE: { retryable: false, httpStatus: 400, exitCode: 2, summary: 'invalid command-line usage' },
  CONFIG_INVALID: { retryable: false, httpStatus: 500, exitCode: 78, summary: 'invalid configuration' },
  VALIDATION_FAILED: { retryable: false, httpStatus: 400, exitCode: 2, summary: 'request failed validation' },
  INVALID_CURSOR: { retryable: false, httpStatus: 400, exitCode: 2, summary: 'pagination cursor is invalid or expired' },
  QUERY_TOO_COSTLY: { retryable: false, httpStatus: 400, exitCode: 2, summary: 'query over a cost limit (the field and the limit are named)' },
  RATE_LIMITED: { retryable: true, httpStatus: 429, exitCode: 1, summary: 'too many requests for this API key; retry later' },
  NOT_FOUND: { retryable: false, httpStatus: 404, exitCode: 1, summary: 'no such event or resource' },
  UNAUTHORIZED: { retryable: false, httpStatus: 401, exitCode: 1, summary: 'missing or invalid credentials' },
  FORBIDDEN: { retryable: false, httpStatus: 403, exitCode: 1, summary: 'credentials do not allow this scope' },
  S3_NOT_FOUND: { retryable: false, httpStatus: 404, exitCode: 1, summary: 'S3 bucket or object does not exist' },
  S3_ACCESS_DENIED: { retryable: false, httpStatus: 502, exitCode: 1, summary: 'S3 denied access' },
  S3_UNAVAILABLE: { retryable: true, httpStatus: 503, exitCode: 1, summary: 'S3 unreachable, throttling or failing' },
  OBJECT_TOO_LARGE: { retryable: false, httpStatus: 422, exitCode: 1, summary: 'log file larger than the configured cap' },
  NOT_GZIP: { retryable: false, httpStatus: 422, exitCode: 1, summary: 'log file is not gzip-compressed' },
  GZIP_TRUNCATED: { retryable: false, httpStatus: 422, exitCode: 1, summary: 'gzip stream is truncated or corrupt' },
  INVALID_JSON: { retryable: false, httpStatus: 422, exitCode: 1, summary: 'log file is not valid JSON' },
  NO_RECORDS_ARRAY: { retryable: false, httpStatus: 422, exitCode: 1, summary: 'log file has no "Records" array' },
  RECORDS_NOT_ARRAY: { retryable: false, httpStatus: 422, exitCode: 1, summary: '"Records" is not an array' },
  EMPTY_LOG_FILE: { retryable: false, httpStatus: 422, exitCode: 1, summary: 'log file is empty' },
  RECORD_INVALID: { retryable: false, httpStatus: 422, exitCode: 1, summary: 'record is not an object or lacks a required field' },
  EVENT_ID_CONFLICT: { retryable: false, httpStatus: 409, exitCode: 1, summary: 'event id already stored with different content (kept as a conflict)' },
  OPENSEARCH_UNAVAILABLE: { retryable: true, httpStatus: 503, exitCode: 1, summary: 'OpenSearch unreachable or throttling' },
  OPENSEARCH_REJECTED: { retryable: false, httpStatus: 500, exitCode: 1, summary: 'OpenSearch rejected a request' },
  TEMPLATE_MISSING: { retryable: false, httpStatus: 503, exitCode: 78, summary: 'index template not installed (run trailscope setup)' },
  REDIS_UNAVAILABLE: { retryable: true, httpStatus: 503, exitCode: 1, summary: 'Redis unreachable' },
  PUBLIC_KEYS_UNAVAILABLE: { retryable: false, httpStatus: 502, exitCode: 1, summary: 'CloudTrail ListPublicKeys failed (validate --aws): no credentials, access denied, unreachable or failing' },
  STACK_START_FAILED: { retryable: false, httpStatus: 500, exitCode: 1, summary: 'a local stack service did not become healthy' },
  TIMEOUT: { retryable: true, httpStatus: 504, exitCode: 1, summary: 'operation timed out' },
  INTERNAL: { retryable: false, httpStatus: 500, exitCode: 1, summary: 'unexpected internal error' },
} as const satisfies Record<string, { retryable: boolean; httpStatus: number; exitCode: number; summary: string }>;

export type ErrorCode = keyof typeof ERROR_CODES;

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.prototype.hasOwnProperty.call(ERROR_CODES, value);
}
