import { isRetryable, type Names } from '@trailscope/model';
import type { OpenSearchClient } from '@trailscope/runtime';
import type { SingleEventRule } from '@trailscope/rules';
import { EVENT_FACT_FIELDS, type EventFacts } from './finding-builder';
import { and, streamEvents } from './event-stream';

export interface SingleMatch {
  rule: SingleEventRule;
  event: EventFacts;
}

export interface MatchOptions {
  pageSize?: number;
  signal?: AbortSignal;
  /** Called with every page of matches, in order; awaited (backpressure). */
  onMatches: (matches: SingleMatch[]) => Promise<void> | void;
  /**
   * A rule whose query OpenSearch refuses (not an outage): reported here and skipped, so a broken rule never stops
   * the others. Without it the error propagates.
   */
  onRuleError?: (rule: SingleEventRule, err: unknown) => void;
}

/** Parses a stored record; undefined when `raw` is missing (a document indexed without it cannot be matched). */
export function recordOf(source: Record<string, unknown>): unknown {
  return typeof source.raw === 'string' ? JSON.parse(source.raw) : undefined;
}

function factsOf(hit: { _id: string; _source: Record<string, unknown> }): EventFacts {
  const s = hit._source as unknown as EventFacts;
  return { id: typeof s.id === 'string' && s.id !== '' ? s.id : hit._id, eventTime: s.eventTime, account: s.account, region: s.region, userIdentity: s.userIdentity, sourceIPAddress: s.sourceIPAddress };
}

/** What confirming a candidate reads: the stored record and the facts of a finding, not every indexed field. */
const CONFIRM_FIELDS = [...EVENT_FACT_FIELDS, 'raw'];

/** Exact rules answered together by one query (its clauses stay well under OpenSearch's clause limit). */
const RULES_PER_QUERY = 16;

async function oneRule(client: OpenSearchClient, names: Pick<Names, 'eventsAlias'>, rule: SingleEventRule, dsl: object, filter: object | undefined, options: MatchOptions): Promise<void> {
  try {
    for await (const page of streamEvents(client, names, and(filter, dsl), { source: EVENT_FACT_FIELDS, pageSize: options.pageSize, signal: options.signal })) {
      await options.onMatches(page.map((hit) => ({ rule, event: factsOf(hit) })));
    }
  } catch (err) {
    if (!options.onRuleError || isRetryable(err)) throw err;
    options.onRuleError(rule, err);
  }
}

/**
 * The matches of several exact rules in one pass over the events any of them selects: each rule's query is named,
 * and a hit's matched queries say which rules it matches. When OpenSearch refuses the combined query (not an
 * outage), each rule runs on its own, so a broken rule only loses its own matches.
 */
async function exactMatches(client: OpenSearchClient, names: Pick<Names, 'eventsAlias'>, group: Array<{ rule: SingleEventRule; dsl: object }>, filter: object | undefined, options: MatchOptions): Promise<void> {
  const only = group[0];
  if (group.length === 1 && only) return oneRule(client, names, only.rule, only.dsl, filter, options);
  const named = { bool: { should: group.map((g, i) => ({ bool: { filter: [g.dsl], _name: String(i) } })), minimum_should_match: 1 } };
  let delivered = false;
  try {
    for await (const page of streamEvents(client, names, and(filter, named), { source: EVENT_FACT_FIELDS, pageSize: options.pageSize, signal: options.signal })) {
      const matches: SingleMatch[] = [];
      for (const hit of page) {
        for (const name of hit.matched_queries ?? []) {
          const g = group[Number(name)];
          if (g) matches.push({ rule: g.rule, event: factsOf(hit) });
        }
      }
      delivered = true;
      if (matches.length > 0) await options.onMatches(matches);
    }
  } catch (err) {
    // once matches were delivered a retry would repeat them: only a refusal of the query itself falls back
    if (!options.onRuleError || isRetryable(err) || delivered) throw err;
    for (const g of group) await oneRule(client, names, g.rule, g.dsl, filter, options);
  }
}

/**
 * Every match of `rules` among the events selected by `filter`. A rule whose query is exact (toDsl) is answered by
 * OpenSearch alone (several such rules by one query) and only the matching events' fields are read; the other rules share one pass over the union of
 * their candidate queries, reading the stored records and confirming each with match(). Memory holds one page.
 */
export async function findSingleMatches(
  client: OpenSearchClient,
  names: Pick<Names, 'eventsAlias'>,
  rules: SingleEventRule[],
  filter: object | undefined,
  options: MatchOptions,
): Promise<void> {
  const confirm: SingleEventRule[] = [];
  const exact: Array<{ rule: SingleEventRule; dsl: object }> = [];
  for (const rule of rules) {
    const dsl = rule.toDsl();
    if (dsl === undefined) confirm.push(rule);
    else exact.push({ rule, dsl });
  }
  for (let i = 0; i < exact.length; i += RULES_PER_QUERY) await exactMatches(client, names, exact.slice(i, i + RULES_PER_QUERY), filter, options);
  if (confirm.length === 0) return;
  const candidates = confirm.length === 1 ? (confirm[0] as SingleEventRule).candidateDsl() : { bool: { should: confirm.map((r) => r.candidateDsl()), minimum_should_match: 1 } };
  for await (const page of streamEvents(client, names, and(filter, candidates), { source: CONFIRM_FIELDS, pageSize: options.pageSize, signal: options.signal })) {
    const matches: SingleMatch[] = [];
    for (const hit of page) {
      const record = recordOf(hit._source);
      if (record === undefined) continue;
      for (const rule of confirm) {
        // a rule that throws on one record is that rule's problem; the others still see it
        let matched: boolean;
        try {
          matched = rule.match(record);
        } catch {
          matched = false;
        }
        if (matched) matches.push({ rule, event: factsOf(hit) });
      }
    }
    if (matches.length > 0) await options.onMatches(matches);
  }
}
