import { isRetryable, type Names } from '@trailscope/model';
import type { OpenSearchClient } from '@trailscope/runtime';
import { evaluateOffline, type CompiledRule, type CorrelationRule, type NewTermsRule, type RuleMatch, type SingleEventRule } from '@trailscope/rules';
import { and, streamEvents } from '../event-stream';
import { buildFinding } from '../finding-builder';
import { singleFindingId } from '../finding-id';
import type { FindingDoc } from '../finding';
import { candidateQuery, findingFromMatch, ruleFacts, STORED_RECORD_FIELDS, storedRecords } from '../backtest';
import { findSingleMatches, recordOf } from '../single-rule-matches';
import { TermNarrowing } from './term-narrowing';
import { withEventFacts } from '../event-facts';
import type { FindingWrite } from '../findings-writer';

export interface BatchContext {
  client: OpenSearchClient;
  names: Pick<Names, 'eventsAlias' | 'findingsIndex'>;
  now: () => Date;
  pageSize?: number;
  signal?: AbortSignal;
  /** A rule OpenSearch refuses to evaluate: skipped for this batch, the others go on. */
  onRuleError?: (rule: CompiledRule, err: unknown) => void;
}

interface NewEvents {
  ids: Set<string>;
  times: number[];
  narrowing?: TermNarrowing;
  minMs: number;
  maxMs: number;
}

const range = (fromMs: number, toMs: number) => ({ range: { eventTime: { gte: fromMs, lte: toMs, format: 'epoch_millis' } } });

async function newCandidates(ctx: BatchContext, filter: object, rule: CorrelationRule | NewTermsRule): Promise<NewEvents | undefined> {
  const out: NewEvents = { ids: new Set(), times: [], minMs: Infinity, maxMs: -Infinity, narrowing: rule.kind === 'new_terms' ? new TermNarrowing(rule.terms) : undefined };
  for await (const page of streamEvents(ctx.client, ctx.names, and(filter, candidateQuery(rule)), { source: STORED_RECORD_FIELDS, pageSize: ctx.pageSize, signal: ctx.signal })) {
    for (const hit of page) {
      const t = Date.parse(String(hit._source.eventTime));
      const record = recordOf(hit._source);
      if (record === undefined || Number.isNaN(t)) continue;
      out.ids.add(typeof hit._source.id === 'string' ? hit._source.id : hit._id);
      out.narrowing?.add(record);
      out.times.push(t);
      out.minMs = Math.min(out.minMs, t);
      out.maxMs = Math.max(out.maxMs, t);
    }
  }
  return out.ids.size === 0 ? undefined : out;
}

async function offlineMatches(ctx: BatchContext, rule: CorrelationRule | NewTermsRule, query: object): Promise<RuleMatch[]> {
  const stored = storedRecords(ctx.client, ctx.names, query, ctx);
  const out: RuleMatch[] = [];
  for await (const m of evaluateOffline([rule], stored.records, { eventMeta: stored.eventMeta, ordered: true })) if (m.ruleId === rule.id) out.push(m);
  return out;
}

/**
 * Correlations over the time around the new events: every window that can hold one of them is evaluated again from
 * the index, which holds the truth whatever order events arrived in. A window's finding id comes from the rule, the
 * group and the window, so evaluating it again refreshes its counts (upsert) and never adds a second finding.
 */
async function correlationWrites(ctx: BatchContext, filter: object, rule: CorrelationRule): Promise<FindingWrite[]> {
  const fresh = await newCandidates(ctx, filter, rule);
  if (!fresh) return [];
  const span = rule.timespanMs;
  // windows are fixed ([k·timespan, (k+1)·timespan) from the epoch): read exactly the windows holding new events
  const windows = [...new Set(fresh.times.map((t) => Math.floor(t / span)))].sort((a, b) => a - b);
  const ranges: Array<{ range: object }> = [];
  for (let i = 0; i < windows.length; ) {
    let j = i;
    while (j + 1 < windows.length && (windows[j + 1] as number) === (windows[j] as number) + 1) j++;
    ranges.push({ range: { eventTime: { gte: (windows[i] as number) * span, lt: ((windows[j] as number) + 1) * span, format: 'epoch_millis' } } });
    i = j + 1;
  }
  const query = and(candidateQuery(rule), ranges.length === 1 ? ranges[0] : { bool: { should: ranges, minimum_should_match: 1 } });
  const now = ctx.now();
  const docs = await withEventFacts(ctx.client, ctx.names, (await offlineMatches(ctx, rule, query)).map((m) => findingFromMatch(rule, m, 'live', now)));
  return docs.map((doc): FindingWrite => ({ op: 'upsert', doc, refresh: { eventIds: doc.eventIds, eventCount: doc.eventCount, lastSeen: doc.lastSeen } }));
}

async function liveNewTermsFindings(ctx: BatchContext, rule: NewTermsRule, fromMs: number, toMs: number): Promise<Array<{ id: string; eventIds: string[] }>> {
  try {
    const res = await ctx.client.search({
      index: ctx.names.findingsIndex,
      body: {
        size: 10_000,
        _source: ['id', 'eventIds'],
        query: { bool: { filter: [{ term: { ruleId: rule.id } }, { term: { ruleVersion: rule.version } }, { term: { source: 'live' } }, range(fromMs, toMs)], must_not: [{ term: { statusBy: SUPERSEDED_BY } }] } },
      } as never,
      ignore_unavailable: true,
      allow_no_indices: true,
    });
    return (res.body as unknown as { hits: { hits: Array<{ _source: { id: string; eventIds: string[] } }> } }).hits.hits.map((h) => h._source);
  } catch {
    return [];
  }
}

export const SUPERSEDED_BY = 'trailscope';

/**
 * New terms: each new event is evaluated with its whole history window read from the index, so the answer does not
 * depend on the order events were ingested in. A finding written earlier whose event is no longer the first
 * occurrence (history older than it was ingested later) is closed as superseded: one open finding per first
 * occurrence.
 */
async function newTermsWrites(ctx: BatchContext, filter: object, rule: NewTermsRule): Promise<FindingWrite[]> {
  const fresh = await newCandidates(ctx, filter, rule);
  if (!fresh) return [];
  const existing = await liveNewTermsFindings(ctx, rule, fresh.minMs, fresh.maxMs + rule.historyMs);
  let latestMs = fresh.maxMs;
  // the events of existing findings are re-evaluated too; their times bound the range read
  if (existing.length > 0) latestMs = fresh.maxMs + rule.historyMs;
  const query = and(candidateQuery(rule), fresh.narrowing?.filter(), range(fresh.minMs - rule.historyMs, latestMs));
  const matches = await offlineMatches(ctx, rule, query);
  const firsts = new Set(matches.map((m) => m.eventIds[0]));
  const now = ctx.now();
  const writes: FindingWrite[] = [];
  const created = matches.filter((m) => fresh.ids.has(m.eventIds[0] ?? '')).map((m) => findingFromMatch(rule, m, 'live', now));
  for (const doc of await withEventFacts(ctx.client, ctx.names, created)) writes.push({ op: 'create', doc });
  const doubted = existing.filter((f) => f.eventIds[0] !== undefined && !firsts.has(f.eventIds[0]));
  const read = await eventsInQuery(ctx, query, doubted.map((f) => f.eventIds[0] as string));
  for (const f of doubted) {
    if (!read.has(f.eventIds[0] as string)) continue;
    writes.push({
      op: 'update',
      id: f.id,
      fields: { status: 'closed', statusBy: SUPERSEDED_BY, statusAt: now.toISOString(), statusReason: 'superseded: an earlier occurrence of these terms was ingested after this finding' },
    });
  }
  return writes;
}

const IDS_PER_REQUEST = 1000;

/**
 * Which of these events the re-evaluation above read (only for those is their absence from the matches meaningful):
 * one request per thousand ids, so a pass costs the same whatever number of findings the history holds.
 */
async function eventsInQuery(ctx: BatchContext, query: object, eventIds: string[]): Promise<Set<string>> {
  const found = new Set<string>();
  for (let i = 0; i < eventIds.length; i += IDS_PER_REQUEST) {
    const chunk = eventIds.slice(i, i + IDS_PER_REQUEST);
    const res = await ctx.client.search({
      index: ctx.names.eventsAlias,
      body: { size: chunk.length, _source: ['id'], query: and(query, { ids: { values: chunk } }) } as never,
      ignore_unavailable: true,
      allow_no_indices: true,
    });
    for (const h of (res.body as unknown as { hits: { hits: Array<{ _id: string; _source?: { id?: string } }> } }).hits.hits) found.add(h._source?.id ?? h._id);
  }
  return found;
}

/** The findings of `rules` over the events that `filter` selects (the files just indexed). */
export async function evaluateBatch(ctx: BatchContext, rules: CompiledRule[], filter: object): Promise<FindingWrite[]> {
  const writes: FindingWrite[] = [];
  const singles = rules.filter((r): r is SingleEventRule => r.kind === 'single' && r.standalone);
  await findSingleMatches(ctx.client, ctx.names, singles, filter, {
    pageSize: ctx.pageSize,
    signal: ctx.signal,
    onRuleError: ctx.onRuleError,
    onMatches: (page) => {
      const now = ctx.now();
      for (const { rule, event } of page) {
        const doc: FindingDoc = buildFinding(singleFindingId(rule.id, rule.version, event.id), ruleFacts(rule), [event], { source: 'live', now });
        writes.push({ op: 'create', doc });
      }
    },
  });
  for (const rule of rules) {
    try {
      if (rule.kind === 'correlation') writes.push(...(await correlationWrites(ctx, filter, rule)));
      else if (rule.kind === 'new_terms') writes.push(...(await newTermsWrites(ctx, filter, rule)));
    } catch (err) {
      // outages fail the pass (the files stay pending); a rule the cluster refuses only loses its own findings
      if (!ctx.onRuleError || isRetryable(err)) throw err;
      ctx.onRuleError(rule, err);
    }
  }
  return writes;
}
