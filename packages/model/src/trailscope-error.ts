import { ERROR_CODES, isErrorCode, type ErrorCode } from './error-codes';

export interface ErrorContext {
  [key: string]: unknown;
}

/**
 * The single error class. Check errors with `errorCodeOf(err)` rather than `instanceof`: errors that went through
 * Redis (BullMQ failed reasons) or a child process come back as plain objects without this prototype.
 */
export class TrailscopeError extends Error {
  override readonly name = 'TrailscopeError';
  readonly code: ErrorCode;
  readonly context: ErrorContext;

  constructor(code: ErrorCode, message: string, options: { cause?: unknown; context?: ErrorContext } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.context = options.context ?? {};
  }

  get retryable(): boolean {
    return ERROR_CODES[this.code].retryable;
  }

  get httpStatus(): number {
    return ERROR_CODES[this.code].httpStatus;
  }

  get exitCode(): number {
    return ERROR_CODES[this.code].exitCode;
  }

  toJSON(): { code: ErrorCode; message: string; context: ErrorContext } {
    return { code: this.code, message: this.message, context: this.context };
  }
}

/** The code of any error-like value; INTERNAL when it carries none of ours. */
export function errorCodeOf(err: unknown): ErrorCode {
  if (err && typeof err === 'object' && 'code' in err && isErrorCode((err as { code: unknown }).code)) {
    return (err as { code: ErrorCode }).code;
  }
  return 'INTERNAL';
}

export function isRetryable(err: unknown): boolean {
  return ERROR_CODES[errorCodeOf(err)].retryable;
}

export function errorMessageOf(err: unknown): string {
  if (err instanceof Error) return err.message;
  if (err && typeof err === 'object' && 'message' in err) return String((err as { message: unknown }).message);
  return String(err);
}
