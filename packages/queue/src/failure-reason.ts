import { errorCodeOf, errorMessageOf, isErrorCode, type ErrorCode } from '@trailscope/model';

/**
 * BullMQ keeps only a message string for a failed job, so the error code travels inside it as a `[CODE] ` prefix
 * and is parsed back by `failed` listings.
 */
export function formatFailure(err: unknown): string {
  return `[${errorCodeOf(err)}] ${errorMessageOf(err)}`;
}

export function parseFailure(reason: string | undefined): { code: ErrorCode; message: string } {
  const m = /^\[([A-Z0-9_]+)\] ([\s\S]*)$/.exec(reason ?? '');
  if (m && isErrorCode(m[1])) return { code: m[1], message: m[2] ?? '' };
  return { code: 'INTERNAL', message: reason ?? '' };
}
