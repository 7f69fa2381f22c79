import type { z } from 'zod';
import { TrailscopeError } from '@trailscope/model';

/** The first zod issue as a VALIDATION_FAILED error whose message starts with the offending field's path. */
export function validationErrorFrom(error: z.ZodError, what: string): TrailscopeError {
  const issue = error.issues[0];
  const path = issue && issue.path.length > 0 ? issue.path.map(String).join('.') : what;
  let message = issue?.message ?? 'invalid value';
  if (issue?.code === 'unrecognized_keys') {
    const keys = (issue as { keys?: string[] }).keys ?? [];
    const field = path === what ? keys.join(', ') : `${path}.${keys.join(', ')}`;
    return new TrailscopeError('VALIDATION_FAILED', `${field}: unknown field${keys.length > 1 ? 's' : ''} in ${what}`, {
      context: { field, issues: error.issues.length },
    });
  }
  message = `${path}: ${message}`;
  return new TrailscopeError('VALIDATION_FAILED', message, { context: { field: path, issues: error.issues.length } });
}
