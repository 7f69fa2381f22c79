import type { Names } from '@trailscope/model';
import { toOpenSearchError, type OpenSearchClient } from '@trailscope/runtime';
import { EVENT_FACT_FIELDS, buildFinding, type EventFacts } from './finding-builder';
import type { FindingDoc } from './finding';

/**
 * Completes correlation and new-terms findings (built from offline-style matches, which carry only ids, times,
 * account and region) with the principal and source IP of their events, read from the index in one request per
 * 1,000 events.
 */
export async function withEventFacts(client: OpenSearchClient, names: Pick<Names, 'eventsAlias'>, findings: FindingDoc[]): Promise<FindingDoc[]> {
  const ids = [...new Set(findings.flatMap((f) => f.eventIds))];
  const facts = new Map<string, EventFacts>();
  for (let i = 0; i < ids.length; i += 1000) {
    const chunk = ids.slice(i, i + 1000);
    try {
      const res = await client.search({ index: names.eventsAlias, body: { size: chunk.length, _source: EVENT_FACT_FIELDS, query: { ids: { values: chunk } } } as never, ignore_unavailable: true, allow_no_indices: true });
      for (const h of (res.body as unknown as { hits: { hits: Array<{ _source: EventFacts }> } }).hits.hits) facts.set(h._source.id, h._source);
    } catch (err) {
      throw toOpenSearchError(err, `reading the events of findings from ${names.eventsAlias}`);
    }
  }
  return findings.map((f) => {
    const events = f.eventIds.map((id) => facts.get(id)).filter((e): e is EventFacts => e !== undefined);
    if (events.length !== f.eventIds.length) return f;
    const rebuilt = buildFinding(f.id, { kind: f.ruleKind, id: f.ruleId, title: f.ruleTitle, level: f.ruleLevel, tags: f.ruleTags, version: f.ruleVersion }, events, {
      groupKey: f.groupKey,
      windowStart: f.windowStart,
      source: f.source,
      now: new Date(f.createdAt),
      eventCount: f.eventCount,
    });
    // the window's first and last events may lie beyond the listed (capped) ids
    return { ...rebuilt, firstSeen: f.firstSeen, lastSeen: f.lastSeen, eventTime: f.eventTime };
  });
}
