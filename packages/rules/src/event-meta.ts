/** What a match reports about one event. */
export interface EventMeta {
  eventId: string;
  eventTime: string;
  account?: string;
  region?: string;
}

function text(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}

/**
 * The event id, time, account and region of a bare CloudTrail record: eventID, eventTime, recipientAccountId (else
 * userIdentity.accountId) and awsRegion. Callers that know more (the stored document id, the account of the log
 * file's key) pass their own.
 */
export function recordMeta(record: unknown, index: number): EventMeta {
  const r = (typeof record === 'object' && record !== null ? record : {}) as Record<string, unknown>;
  const ui = (typeof r.userIdentity === 'object' && r.userIdentity !== null ? r.userIdentity : {}) as Record<string, unknown>;
  return {
    eventId: text(r.eventID) ?? `record-${index + 1}`,
    eventTime: text(r.eventTime) ?? '',
    account: text(r.recipientAccountId) ?? text(ui.accountId),
    region: text(r.awsRegion),
  };
}
