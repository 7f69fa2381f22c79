import { z } from 'zod';
import { FIELDS, TrailscopeError } from '@trailscope/model';
import { AccountId, Region } from './search-filters';

/**
 * What a caller may see. An absent list means unrestricted on that dimension; a present list (even empty, which
 * matches nothing) restricts every query, whatever the request asks.
 */
export const ScopeSchema = z.strictObject({
  accounts: z.array(AccountId).optional(),
  regions: z.array(Region).optional(),
});
export type Scope = z.output<typeof ScopeSchema>;

export const UNRESTRICTED: Scope = Object.freeze({});

export function isUnrestricted(scope: Scope): boolean {
  return scope.accounts === undefined && scope.regions === undefined;
}

/** Throws FORBIDDEN when the request names an account or region outside the scope. */
export function assertWithinScope(request: { accounts?: string[]; regions?: string[] }, scope: Scope): void {
  const check = (asked: string[] | undefined, allowed: string[] | undefined, field: string) => {
    if (!asked || !allowed) return;
    const outside = asked.filter((a) => !allowed.includes(a));
    if (outside.length > 0) {
      throw new TrailscopeError('FORBIDDEN', `${field}: not allowed to read ${outside.join(', ')}`, {
        context: { field, outside },
      });
    }
  };
  check(request.accounts, scope.accounts, 'accounts');
  check(request.regions, scope.regions, 'regions');
}

/** Filter clauses that confine any query to the scope; ANDed with everything else. */
export function scopeClauses(scope: Scope): object[] {
  const clauses: object[] = [];
  if (scope.accounts) clauses.push({ terms: { [FIELDS.account]: scope.accounts } });
  if (scope.regions) clauses.push({ terms: { [FIELDS.region]: scope.regions } });
  return clauses;
}
