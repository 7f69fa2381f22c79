import type { EventDoc } from '@trailscope/model';
import type { FindingDoc, RuleKind } from './finding';
import { MAX_FINDING_EVENT_IDS } from './finding';

/** The rule fields a finding copies. */
export interface RuleFacts {
  kind: RuleKind;
  id: string;
  title: string;
  level: string;
  tags: string[];
  version: string;
}

/** The indexed fields of an event a finding needs (search hits carry them without the raw record). */
export type EventFacts = Pick<EventDoc, 'id' | 'eventTime' | 'account' | 'region' | 'userIdentity' | 'sourceIPAddress'>;

/** `_source` includes that yield EventFacts. */
export const EVENT_FACT_FIELDS = ['id', 'eventTime', 'account', 'region', 'userIdentity', 'sourceIPAddress'];

export function principalOf(e: Pick<EventDoc, 'userIdentity'>): string | undefined {
  const u = e.userIdentity;
  return u?.arn || u?.sessionIssuer?.arn || u?.principalId || u?.invokedBy || undefined;
}

const only = <T>(values: Array<T | undefined>): T | undefined => {
  const set = new Set(values);
  return set.size === 1 ? values[0] : undefined;
};

/**
 * A finding about `events` (one for single-event and new-terms rules, the window's events for correlations), ordered
 * by eventTime. Account, region, principal and source IP are set when all events agree on them: a key limited to
 * some accounts sees a finding only when all of its events are in them.
 */
export function buildFinding(
  id: string,
  rule: RuleFacts,
  events: EventFacts[],
  extra: { groupKey?: string; windowStart?: string; source: FindingDoc['source']; now: Date; eventCount?: number },
): FindingDoc {
  const sorted = [...events].sort((a, b) => (a.eventTime < b.eventTime ? -1 : a.eventTime > b.eventTime ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const first = sorted[0];
  const last = sorted[sorted.length - 1];
  if (!first || !last) throw new Error(`finding ${id} of rule ${rule.id} has no event`);
  const doc: FindingDoc = {
    id,
    ruleId: rule.id,
    ruleTitle: rule.title,
    ruleLevel: rule.level,
    ruleTags: rule.tags,
    ruleVersion: rule.version,
    ruleKind: rule.kind,
    eventIds: sorted.slice(0, MAX_FINDING_EVENT_IDS).map((e) => e.id),
    eventCount: extra.eventCount ?? sorted.length,
    eventTime: first.eventTime,
    firstSeen: first.eventTime,
    lastSeen: last.eventTime,
    status: 'open',
    source: extra.source,
    createdAt: extra.now.toISOString(),
  };
  const account = only(sorted.map((e) => e.account));
  const region = only(sorted.map((e) => e.region));
  const principal = only(sorted.map(principalOf));
  const sourceIp = only(sorted.map((e) => e.sourceIPAddress));
  if (account) doc.account = account;
  if (region) doc.region = region;
  if (principal) doc.principal = principal;
  if (sourceIp) doc.sourceIp = sourceIp;
  if (extra.groupKey !== undefined) doc.groupKey = extra.groupKey;
  if (extra.windowStart !== undefined) doc.windowStart = extra.windowStart;
  return doc;
}
