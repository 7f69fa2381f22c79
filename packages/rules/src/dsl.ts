import type { Predicate } from './predicate';
import { hasWildcard, luceneWildcard, type StringPattern } from './string-pattern';
import type { ValueTest } from './value-test';

/**
 * How a Sigma field path (a CloudTrail record path) is stored in the events index (packages/indexer
 * event-template.ts and the parser's normalize). Paths not listed are not indexed, or not with the value the record
 * holds, and make the DSL inexact.
 */
type Mapped = { kind: 'keyword'; field: string } | { kind: 'bool'; field: string } | { kind: 'flat'; root: string; sub?: string };

const KEYWORDS: Record<string, string> = {
  eventVersion: 'eventVersion',
  eventID: 'eventID',
  eventSource: 'eventSource',
  eventName: 'eventName',
  eventType: 'eventType',
  eventCategory: 'eventCategory',
  errorCode: 'errorCode',
  errorMessage: 'errorMessage.keyword',
  awsRegion: 'region',
  sourceIPAddress: 'sourceIPAddress',
  userAgent: 'userAgent',
  requestID: 'requestID',
  sharedEventID: 'sharedEventID',
  vpcEndpointId: 'vpcEndpointId',
  recipientAccountId: 'recipientAccountId',
  'tlsDetails.tlsVersion': 'tlsDetails.tlsVersion',
  'tlsDetails.cipherSuite': 'tlsDetails.cipherSuite',
  'tlsDetails.clientProvidedHostHeader': 'tlsDetails.clientProvidedHostHeader',
  'resources.ARN': 'resources.ARN',
  'resources.type': 'resources.type',
  'resources.accountId': 'resources.accountId',
};
for (const f of ['type', 'principalId', 'arn', 'accountId', 'accessKeyId', 'userName', 'invokedBy']) KEYWORDS[`userIdentity.${f}`] = `userIdentity.${f}`;
for (const f of ['type', 'principalId', 'arn', 'accountId', 'userName']) {
  KEYWORDS[`userIdentity.sessionContext.sessionIssuer.${f}`] = `userIdentity.sessionIssuer.${f}`;
}

const BOOLS: Record<string, string> = {
  readOnly: 'readOnly',
  managementEvent: 'managementEvent',
  'userIdentity.sessionContext.attributes.mfaAuthenticated': 'userIdentity.mfaAuthenticated',
};

const FLAT_ROOTS = new Set(['requestParameters', 'responseElements', 'additionalEventData', 'serviceEventDetails']);

function mapField(path: string): Mapped | undefined {
  const k = KEYWORDS[path];
  if (k !== undefined) return { kind: 'keyword', field: k };
  const b = BOOLS[path];
  if (b !== undefined) return { kind: 'bool', field: b };
  const dot = path.indexOf('.');
  const root = dot < 0 ? path : path.slice(0, dot);
  if (FLAT_ROOTS.has(root)) return { kind: 'flat', root, sub: dot < 0 ? undefined : path.slice(dot + 1) };
  return undefined;
}

type Q = Record<string, unknown>;
/** An exact query, or the two queries that bracket the predicate: lower ⊆ matches ⊆ upper. */
type Bound = { exact: true; q: Q } | { exact: false; upper: Q; lower: Q };

const ALL: Q = { match_all: {} };
const NONE: Q = { match_none: {} };
const isAll = (q: Q) => 'match_all' in q;
const isNone = (q: Q) => 'match_none' in q;

function and(qs: Q[]): Q {
  if (qs.some(isNone)) return NONE;
  const rest = qs.filter((q) => !isAll(q));
  if (rest.length === 0) return ALL;
  return rest.length === 1 ? (rest[0] as Q) : { bool: { filter: rest } };
}

function or(qs: Q[]): Q {
  if (qs.some(isAll)) return ALL;
  const rest = qs.filter((q) => !isNone(q));
  if (rest.length === 0) return NONE;
  return rest.length === 1 ? (rest[0] as Q) : { bool: { should: rest, minimum_should_match: 1 } };
}

function not(q: Q): Q {
  if (isAll(q)) return NONE;
  if (isNone(q)) return ALL;
  return { bool: { must_not: [q] } };
}

const exact = (q: Q): Bound => ({ exact: true, q });
const inexact = (upper: Q, lower: Q = NONE): Bound => ({ exact: false, upper, lower });
const upperOf = (b: Bound) => (b.exact ? b.q : b.upper);
const lowerOf = (b: Bound) => (b.exact ? b.q : b.lower);

function combine(bs: Bound[], op: (qs: Q[]) => Q): Bound {
  if (bs.every((b) => b.exact)) return exact(op(bs.map((b) => (b as { q: Q }).q)));
  return inexact(op(bs.map(upperOf)), op(bs.map(lowerOf)));
}

function negate(b: Bound): Bound {
  return b.exact ? exact(not(b.q)) : inexact(not(b.lower), not(b.upper));
}

function patternQuery(field: string, p: StringPattern): Q {
  const ci = p.cased ? {} : { case_insensitive: true };
  const lits = p.tokens.filter((t) => 'lit' in t);
  if (!hasWildcard(p.tokens)) return { term: { [field]: { value: lits.map((t) => (t as { lit: string }).lit).join(''), ...ci } } };
  return { wildcard: { [field]: { value: luceneWildcard(p.tokens), ...ci } } };
}

const exists = (field: string): Q => ({ exists: { field } });

function keywordTest(field: string, t: ValueTest, path: string): Bound {
  switch (t.kind) {
    case 'str':
      return exact(or(t.patterns.map((p) => patternQuery(field, p))));
    case 'null':
      return exact(not(exists(field)));
    case 'exists':
      return exact(t.want ? exists(field) : not(exists(field)));
    case 'cidr':
      // sourceIp holds sourceIPAddress exactly when it is an IP address, and an ip field answers CIDR terms.
      if (path === 'sourceIPAddress') return exact({ term: { sourceIp: t.cidr } });
      return inexact(exists(field));
    case 're':
    case 'fieldref':
      return inexact(exists(field));
  }
}

function boolTest(field: string, t: ValueTest): Bound {
  if (t.kind === 'null') return exact(not(exists(field)));
  if (t.kind === 'exists') return exact(t.want ? exists(field) : not(exists(field)));
  if (t.kind === 'fieldref') return inexact(exists(field));
  // A boolean field holds one of two texts: decide the test on both now.
  const accepts = (v: string) => (t.kind === 'str' ? t.patterns.some((p) => p.test(v)) : t.kind === 're' ? t.re.test(v) : false);
  const yes = accepts('true');
  const no = accepts('false');
  if (yes && no) return exact(exists(field));
  if (yes) return exact({ term: { [field]: true } });
  if (no) return exact({ term: { [field]: false } });
  return exact(NONE);
}

function flatTest(root: string, sub: string | undefined, t: ValueTest): Bound {
  if (t.kind === 'str') {
    const onRoot = or(t.patterns.map((p) => patternQuery(root, p)));
    if (sub === undefined) return exact(onRoot);
    // flat_object answers a dotted path with the leaves stored exactly there; a record whose path holds an object
    // (leaves deeper down) matches in Sigma but not in that query, so it is only a lower bound. The same test on the
    // root field (any leaf) is an upper bound.
    return inexact(onRoot, or(t.patterns.map((p) => patternQuery(`${root}.${sub}`, p))));
  }
  if (t.kind === 'null') return negate(inexact(exists(root)));
  if (t.kind === 'exists') return t.want ? inexact(exists(root)) : negate(inexact(exists(root)));
  return inexact(exists(root));
}

function fieldBound(path: string, tests: ValueTest[], all: boolean): Bound {
  const m = mapField(path);
  const bs = tests.map((t): Bound => {
    if (m === undefined) return inexact(ALL);
    if (m.kind === 'keyword') return keywordTest(m.field, t, path);
    if (m.kind === 'bool') return boolTest(m.field, t);
    return flatTest(m.root, m.sub, t);
  });
  return combine(bs, all ? and : or);
}

function bound(p: Predicate): Bound {
  switch (p.t) {
    case 'and':
      return combine(p.c.map(bound), and);
    case 'or':
      return combine(p.c.map(bound), or);
    case 'not':
      return negate(bound(p.c));
    case 'const':
      return exact(p.v ? ALL : NONE);
    case 'field':
      return fieldBound(p.path, p.tests, p.all);
    case 'keyword':
      // Keywords search every leaf of the record, and the record text (`raw`) is not indexed.
      return inexact(ALL);
  }
}

/** The exact OpenSearch query of a predicate, or undefined when the index cannot answer it exactly. */
export function exactDsl(p: Predicate): object | undefined {
  const b = bound(p);
  return b.exact ? b.q : undefined;
}

/** A query whose hits include every event the predicate matches (confirm each hit with match()). */
export function candidateDsl(p: Predicate): object {
  return upperOf(bound(p));
}
