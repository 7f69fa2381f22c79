/**
 * CloudTrail record paths whose value is indexed unchanged under an event-index field: a new-terms evaluation can
 * then read only the history of the terms it saw instead of every base event of the history window. A path not in
 * this table is simply not narrowed on (correct, only slower).
 */
const INDEXED_AS: Record<string, string> = {
  eventName: 'eventName',
  eventSource: 'eventSource',
  awsRegion: 'region',
  recipientAccountId: 'account',
  sourceIPAddress: 'sourceIPAddress',
  userAgent: 'userAgent',
  errorCode: 'errorCode',
  'userIdentity.type': 'userIdentity.type',
  'userIdentity.arn': 'userIdentity.arn',
  'userIdentity.principalId': 'userIdentity.principalId',
  'userIdentity.accountId': 'userIdentity.accountId',
  'userIdentity.accessKeyId': 'userIdentity.accessKeyId',
  'userIdentity.userName': 'userIdentity.userName',
  'userIdentity.sessionContext.sessionIssuer.arn': 'userIdentity.sessionIssuer.arn',
  'userIdentity.sessionContext.sessionIssuer.userName': 'userIdentity.sessionIssuer.userName',
};

/** Longest user agent the index keeps as a term (the mapping's ignore_above): longer ones cannot be filtered on. */
const MAX_TERM_CHARS = 1024;

function valuesAt(record: unknown, path: string): string[] {
  let current: unknown[] = [record];
  for (const part of path.split('.')) {
    const next: unknown[] = [];
    for (const c of current) {
      if (Array.isArray(c)) {
        for (const e of c) if (e && typeof e === 'object') next.push((e as Record<string, unknown>)[part]);
      } else if (c && typeof c === 'object') next.push((c as Record<string, unknown>)[part]);
    }
    current = next.flatMap((v) => (Array.isArray(v) ? v : [v]));
  }
  return current.filter((v) => v !== undefined && v !== null && typeof v !== 'object').map(String);
}

/**
 * Collects, from the new events, a filter that every event sharing a term tuple with one of them passes (a
 * superset), built from the terms fields the index has; memory holds distinct values, not records. IP fields
 * reduced to networks are not narrowed on.
 */
export class TermNarrowing {
  private readonly fields: Array<{ indexed: string; path: string; values: Set<string>; usable: boolean }>;

  constructor(terms: Array<{ field: string; networkBits?: number }>, private readonly maxValues = 10_000) {
    this.fields = terms.flatMap((t) => {
      const indexed = INDEXED_AS[t.field];
      return indexed && t.networkBits === undefined ? [{ indexed, path: t.field, values: new Set<string>(), usable: true }] : [];
    });
  }

  add(record: unknown): void {
    for (const f of this.fields) {
      if (!f.usable) continue;
      const vs = valuesAt(record, f.path);
      // an absent value, or one too long to be a term, could match events the terms filter would drop
      if (vs.length === 0 || vs.some((v) => v.length > MAX_TERM_CHARS)) f.usable = false;
      for (const v of vs) f.values.add(v);
      if (f.values.size > this.maxValues) f.usable = false;
      if (!f.usable) f.values.clear();
    }
  }

  filter(): object | undefined {
    const clauses = this.fields.filter((f) => f.usable && f.values.size > 0).map((f) => ({ terms: { [f.indexed]: [...f.values] } }));
    return clauses.length === 0 ? undefined : { bool: { filter: clauses } };
  }
}
