import type { Names } from '@trailscope/model';
import type { OpenSearchClient } from '@trailscope/runtime';
import { evaluateOffline, recordMeta, type CompiledRule, type EventMeta, type CorrelationRule, type NewTermsRule, type OfflineStats, type RuleMatch, type SingleEventRule } from '@trailscope/rules';
import { and, streamEvents } from './event-stream';
import { buildFinding, type EventFacts, type RuleFacts } from './finding-builder';
import type { FindingDoc } from './finding';
import { correlationFindingId, newTermsFindingId, singleFindingId } from './finding-id';
import { findSingleMatches, recordOf } from './single-rule-matches';

export interface BacktestOptions {
  pageSize?: number;
  signal?: AbortSignal;
  /** Awaited for every match, so a slow reader (a pipe) slows the backtest instead of filling memory. */
  onMatch: (match: RuleMatch, finding: FindingDoc) => Promise<void> | void;
  now?: () => Date;
  /** Filled with the most observations correlation and new-terms rules held at once (see OfflineStats). */
  stats?: OfflineStats;
}

export function ruleFacts(rule: CompiledRule): RuleFacts {
  return { kind: rule.kind, id: rule.id, title: rule.title, level: rule.level, tags: rule.tags, version: rule.version };
}

/** The events a correlation or new-terms rule reads: its base rules' candidates, or every event. */
export function candidateQuery(rule: CorrelationRule | NewTermsRule): object | undefined {
  const bases: SingleEventRule[] = rule.kind === 'correlation' ? rule.baseRules : rule.base ? [rule.base] : [];
  if (bases.length === 0) return undefined;
  const qs = bases.map((b) => b.toDsl() ?? b.candidateDsl());
  return qs.length === 1 ? qs[0] : { bool: { should: qs, minimum_should_match: 1 } };
}

/** The events any of these (one or more) rules reads, each distinct query once; undefined: every event. */
export function candidateUnion(rules: Array<CorrelationRule | NewTermsRule>): object | undefined {
  const queries = rules.map((r) => candidateQuery(r));
  if (queries.some((q) => q === undefined)) return undefined;
  const distinct = [...new Map(queries.map((q) => [JSON.stringify(q), q as object])).values()];
  return distinct.length === 1 ? distinct[0] : { bool: { should: distinct, minimum_should_match: 1 } };
}

/** What offline-style evaluation reads of each stored event: its meta and the raw record, not the indexed fields. */
export const STORED_RECORD_FIELDS = ['id', 'eventTime', 'account', 'region', 'raw'];

/**
 * The stored records matching `query`, oldest first, for offline-style evaluation, with the stored document's id,
 * account and region reported for each (the id `trailscope get` takes, the account of the log file's key when the
 * record names none).
 */
export function storedRecords(client: OpenSearchClient, names: Pick<Names, 'eventsAlias'>, query: object, options: { pageSize?: number; signal?: AbortSignal }) {
  const metas = new WeakMap<object, EventMeta>();
  async function* records(): AsyncGenerator<unknown> {
    for await (const page of streamEvents(client, names, query, { source: STORED_RECORD_FIELDS, pageSize: options.pageSize, signal: options.signal })) {
      for (const hit of page) {
        const r = recordOf(hit._source);
        if (r === undefined || r === null || typeof r !== 'object') continue;
        const s = hit._source as { id?: unknown; eventTime?: unknown; account?: unknown; region?: unknown };
        metas.set(r, {
          eventId: typeof s.id === 'string' && s.id !== '' ? s.id : hit._id,
          eventTime: String(s.eventTime),
          account: typeof s.account === 'string' ? s.account : undefined,
          region: typeof s.region === 'string' ? s.region : undefined,
        });
        yield r;
      }
    }
  }
  const eventMeta = (record: unknown, index: number): EventMeta => (record && typeof record === 'object' ? metas.get(record) : undefined) ?? recordMeta(record, index);
  return { records: records(), eventMeta };
}

/** A finding from an offline-style match (correlations, new terms): the match carries what the finding needs. */
export function findingFromMatch(rule: CorrelationRule | NewTermsRule, m: RuleMatch, source: FindingDoc['source'], now: Date): FindingDoc {
  const facts = ruleFacts(rule);
  const first = m.firstEventTime ?? m.eventTime;
  const events: EventFacts[] = m.eventIds.map((id, i) => ({ id, eventTime: i === 0 ? first : m.eventTime, account: m.account as string, region: m.region }));
  if (rule.kind === 'correlation') {
    const windowStartMs = Date.parse(m.windowStart ?? first);
    const id = correlationFindingId(rule.id, rule.version, m.groupKey ?? '', windowStartMs);
    return buildFinding(id, facts, events, { groupKey: m.groupKey, windowStart: m.windowStart, source, now, eventCount: m.count ?? m.eventIds.length });
  }
  const eventId = m.eventIds[0] ?? '';
  return buildFinding(newTermsFindingId(rule.id, rule.version, eventId), facts, events.slice(0, 1), { groupKey: m.groupKey, source, now });
}

/**
 * Runs rules over events already indexed (`filter` selects them), reporting every match without alerting. Single
 * rules are answered by their exact query, or by match() over their candidates; correlation and new-terms rules read
 * their base rules' candidates oldest first (all of them in one read) and evaluate them exactly as offline evaluation
 * does.
 */
export async function runBacktest(
  client: OpenSearchClient,
  names: Pick<Names, 'eventsAlias'>,
  rules: CompiledRule[],
  filter: object | undefined,
  options: BacktestOptions,
): Promise<{ matches: number }> {
  const now = options.now ?? (() => new Date());
  let matches = 0;
  const singles = rules.filter((r): r is SingleEventRule => r.kind === 'single' && r.standalone);
  await findSingleMatches(client, names, singles, filter, {
    pageSize: options.pageSize,
    signal: options.signal,
    onMatches: async (page) => {
      for (const { rule, event } of page) {
        matches++;
        const finding = buildFinding(singleFindingId(rule.id, rule.version, event.id), ruleFacts(rule), [event], { source: 'backtest', now: now() });
        await options.onMatch({ ruleId: rule.id, eventIds: [event.id], eventTime: event.eventTime, account: event.account, region: event.region }, finding);
      }
    },
  });
  const stateful = rules.filter((r): r is CorrelationRule | NewTermsRule => r.kind !== 'single');
  if (stateful.length === 0) return { matches };
  // one read of the events any of them considers (each rule still judges only its base rules' matches)
  const byId = new Map(stateful.map((r) => [r.id, r]));
  const stored = storedRecords(client, names, and(filter, candidateUnion(stateful)), options);
  // the index streams in (eventTime, id) order: windows and terms are judged as they pass, memory stays flat
  for await (const m of evaluateOffline(stateful, stored.records, { eventMeta: stored.eventMeta, ordered: true, stats: options.stats })) {
    const rule = byId.get(m.ruleId);
    if (!rule) continue;
    matches++;
    await options.onMatch(m, findingFromMatch(rule, m, 'backtest', now()));
  }
  return { matches };
}
