import { TrailscopeError } from '@trailscope/model';
import type { SearchFilters } from './search-filters';

/**
 * What one request may cost OpenSearch, checked before it is sent. Each limit guards a way a single small request
 * stalled a 1 GiB node: a leading wildcard scans a field's whole terms dictionary (one pass per field, from an
 * automaton of bounded size), every text term is expanded over every text field (the term count keeps the
 * expansion under the cluster's 1,024-clause limit), and aggregation buckets multiply down the tree (their
 * estimated total is bounded, histograms included, whatever time range they span).
 */
export const QUERY_LIMITS = Object.freeze({
  /**
   * Names (not ARNs) in `users` and in `resourceNames`: matched as the ARN's last segment by one regular expression
   * per field, whose automaton grows with them (and OpenSearch refuses one over 1,000 characters).
   */
  suffixValues: 10,
  /** Characters of one such name: IAM user, role, role session and S3 bucket names are at most 64. */
  suffixValueChars: 64,
  /** Characters of the `userAgent` substring (one case-insensitive wildcard, one pass over the field's terms). */
  userAgentChars: 256,
  /** Terms of `text`; each is matched against every text field. */
  textTerms: 32,
  /** Aggregations in one request, at every level. */
  aggNodes: 50,
  /** Buckets one aggregation request may make: the sum over all aggregations of the product of bucket counts on the way down. */
  aggBuckets: 10_000,
});

/** QUERY_TOO_COSTLY naming the caller's field and the limit it is over. */
export function tooCostly(field: string, limit: number, message: string): TrailscopeError {
  return new TrailscopeError('QUERY_TOO_COSTLY', `${field}: ${message}`, { context: { field, limit } });
}

/**
 * Operators of `simple_query_string` the text filter keeps: boolean operators, phrases, grouping and escapes.
 * Fuzzy (`~N`), prefix (`*`), slop and near are left out: each one multiplies into term expansions over every text
 * field (56 fuzzy terms held the node for 30 s). Their characters are then matched as written.
 */
export const TEXT_QUERY_FLAGS = 'AND|OR|NOT|PHRASE|PRECEDENCE|ESCAPE|WHITESPACE';

/** The terms of a text query as simple_query_string splits them: by whitespace and `|`, operators aside. */
export function textTerms(text: string): string[] {
  return text
    .split(/[\s|]+/)
    .map((t) => t.replace(/^[+\-|("]+|[)"]+$/g, ''))
    .filter((t) => t !== '' && t !== '|');
}

function suffixNames(values: string[] | undefined): string[] {
  return (values ?? []).filter((v) => !v.startsWith('arn:'));
}

function checkSuffixNames(field: string, values: string[] | undefined): void {
  const names = suffixNames(values);
  if (names.length > QUERY_LIMITS.suffixValues) {
    throw tooCostly(
      field,
      QUERY_LIMITS.suffixValues,
      `at most ${QUERY_LIMITS.suffixValues} names that are not ARNs (each is matched as an ARN's last segment); ${names.length} given. Pass full ARNs for more`,
    );
  }
  const long = names.find((n) => n.length > QUERY_LIMITS.suffixValueChars);
  if (long !== undefined) {
    throw tooCostly(
      field,
      QUERY_LIMITS.suffixValueChars,
      `a name that is not an ARN must be at most ${QUERY_LIMITS.suffixValueChars} characters (one has ${long.length}); pass the full ARN instead`,
    );
  }
}

/** Throws QUERY_TOO_COSTLY when the filters would make clauses over the limits above. */
export function assertFilterCost(f: SearchFilters): void {
  checkSuffixNames('users', f.users);
  checkSuffixNames('resourceNames', f.resourceNames);
  if (f.userAgent !== undefined && f.userAgent.length > QUERY_LIMITS.userAgentChars) {
    throw tooCostly('userAgent', QUERY_LIMITS.userAgentChars, `at most ${QUERY_LIMITS.userAgentChars} characters (${f.userAgent.length} given)`);
  }
  if (f.text !== undefined) {
    const n = textTerms(f.text).length;
    if (n > QUERY_LIMITS.textTerms) {
      throw tooCostly('text', QUERY_LIMITS.textTerms, `at most ${QUERY_LIMITS.textTerms} terms (${n} given)`);
    }
  }
}
