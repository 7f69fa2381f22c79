import { isRetryable, type Names } from '@trailscope/model';
import { toOpenSearchError, type OpenSearchClient } from '@trailscope/runtime';
import { evaluateOffline, newTermsKey, type CompiledRule, type CorrelationRule, type NewTermsRule, type RuleMatch, type SingleEventRule } from '@trailscope/rules';
import { and, streamEvents, type EventHit } from '../event-stream';
import { buildFinding, EVENT_FACT_FIELDS, type EventFacts } from '../finding-builder';
import { newTermsFindingId, singleFindingId } from '../finding-id';
import type { FindingDoc } from '../finding';
import { candidateQuery, candidateUnion, findingFromMatch, ruleFacts, STORED_RECORD_FIELDS, storedRecords } from '../backtest';
import { findSingleMatches, recordOf } from '../single-rule-matches';
import { withEventFacts } from '../event-facts';
import type { FindingWrite } from '../findings-writer';
import { addOccurrence, compareOccurrences, encodeRuns, isCovered, isNewTerm, type Occurrence, type TermRun } from './term-runs';
import { TermStoreConflict, type TermStore } from './term-store';

export interface BatchContext {
  client: OpenSearchClient;
  names: Pick<Names, 'eventsAlias' | 'findingsIndex'>;
  now: () => Date;
  pageSize?: number;
  signal?: AbortSignal;
  /** A rule OpenSearch refuses to evaluate: skipped for this batch, the others go on. */
  onRuleError?: (rule: CompiledRule, err: unknown) => void;
  /** The term stores of new-terms rules. */
  terms: TermStore;
}

const range = (fromMs: number, toMs: number) => ({ range: { eventTime: { gte: fromMs, lte: toMs, format: 'epoch_millis' } } });

interface NewEvents {
  times: number[];
}

async function newCandidates(ctx: BatchContext, filter: object, rule: CorrelationRule): Promise<NewEvents | undefined> {
  const out: NewEvents = { times: [] };
  for await (const page of streamEvents(ctx.client, ctx.names, and(filter, candidateQuery(rule)), { source: ['eventTime'], pageSize: ctx.pageSize, signal: ctx.signal })) {
    for (const hit of page) {
      const t = Date.parse(String(hit._source.eventTime));
      if (!Number.isNaN(t)) out.times.push(t);
    }
  }
  return out.times.length === 0 ? undefined : out;
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

export const SUPERSEDED_BY = 'trailscope';

interface FreshTerm {
  occurrence: Occurrence;
  facts: EventFacts;
}

/** `_source` of the new events a new-terms pass reads: the stored record and what a finding needs. */
const FRESH_FIELDS = [...new Set([...STORED_RECORD_FIELDS, ...EVENT_FACT_FIELDS])];

function factsOf(hit: EventHit): EventFacts {
  const s = hit._source as Partial<EventFacts>;
  return {
    id: typeof s.id === 'string' && s.id !== '' ? s.id : hit._id,
    eventTime: String(s.eventTime),
    account: s.account as string,
    region: s.region,
    userIdentity: s.userIdentity,
    sourceIPAddress: s.sourceIPAddress,
  };
}

function baseMatches(rule: NewTermsRule, record: unknown): boolean {
  if (rule.base === undefined) return true;
  try {
    return rule.base.match(record);
  } catch {
    // a rule that throws on one record counts as not matching it (as offline evaluation does)
    return false;
  }
}

/** The term and occurrence of one stored event for `rule`, or undefined when the event is not one of its events. */
function termOf(rule: NewTermsRule, hit: EventHit, record: unknown): { term: string; occurrence: Occurrence } | undefined {
  const t = Date.parse(String(hit._source.eventTime));
  if (record === undefined || Number.isNaN(t) || !baseMatches(rule, record)) return undefined;
  const term = newTermsKey(rule, record);
  if (term === undefined) return undefined;
  const id = typeof hit._source.id === 'string' && hit._source.id !== '' ? hit._source.id : hit._id;
  return { term, occurrence: { t, id } };
}

/**
 * The new events of every new-terms rule, by term, read in one pass over the files' events (the rules' base queries
 * together). Memory holds an occurrence and the finding facts per new event, not the records.
 */
async function freshTerms(ctx: BatchContext, filter: object, rules: NewTermsRule[]): Promise<Array<Map<string, FreshTerm[]>>> {
  const out = rules.map(() => new Map<string, FreshTerm[]>());
  for await (const page of streamEvents(ctx.client, ctx.names, and(filter, candidateUnion(rules)), { source: FRESH_FIELDS, pageSize: ctx.pageSize, signal: ctx.signal })) {
    for (const hit of page) {
      const record = recordOf(hit._source);
      rules.forEach((rule, i) => {
        const found = termOf(rule, hit, record);
        if (!found) return;
        const byTerm = out[i] as Map<string, FreshTerm[]>;
        let list = byTerm.get(found.term);
        if (!list) byTerm.set(found.term, (list = []));
        list.push({ occurrence: found.occurrence, facts: factsOf(hit) });
      });
    }
  }
  return out;
}

/**
 * Builds the term store of `rule` from every event the index holds (oldest first), as a rule version's first pass
 * does. Memory holds the runs of every term.
 */
async function buildTermStore(ctx: BatchContext, rule: NewTermsRule): Promise<void> {
  const terms = new Map<string, TermRun[]>();
  for await (const page of streamEvents(ctx.client, ctx.names, and(candidateQuery(rule)), { source: STORED_RECORD_FIELDS, pageSize: ctx.pageSize, signal: ctx.signal })) {
    for (const hit of page) {
      const found = termOf(rule, hit, recordOf(hit._source));
      if (!found) continue;
      const o = found.occurrence;
      const runs = terms.get(found.term);
      const last = runs?.[runs.length - 1];
      if (!runs || !last) terms.set(found.term, [{ first: o, last: o }]);
      // the index streams in (eventTime, id) order: each occurrence extends the last run or starts one
      else if (compareOccurrences(o, last.last) >= 0) {
        if (o.t - last.last.t < rule.historyMs) last.last = o;
        else runs.push({ first: o, last: o });
      } else terms.set(found.term, addOccurrence(runs, o, rule.historyMs));
    }
  }
  if (ctx.signal?.aborted) throw new Error(`building the new-terms store of rule ${rule.id} was stopped`);
  await ctx.terms.build(rule, terms);
}

interface OpenFinding {
  id: string;
  eventIds: string[];
  eventTime: string;
  groupKey?: string;
}

/** Longest groupKey the findings index keeps as a term (its keyword mapping's ignore_above). */
const MAX_INDEXED_KEY_CHARS = 1024;
const TERMS_PER_REQUEST = 1000;

/**
 * The live findings of `rule` (not yet superseded) about these terms whose event time lies in [fromMs, toMs], paged
 * by id. A term too long for the index's keyword is looked for among all of the rule's findings in that time.
 */
async function openFindingsOf(ctx: BatchContext, rule: NewTermsRule, terms: string[], fromMs: number, toMs: number): Promise<OpenFinding[]> {
  const base = [{ term: { ruleId: rule.id } }, { term: { ruleVersion: rule.version } }, { term: { source: 'live' } }, range(fromMs, toMs)];
  const short = terms.filter((t) => t.length <= MAX_INDEXED_KEY_CHARS);
  const long = new Set(terms.filter((t) => t.length > MAX_INDEXED_KEY_CHARS));
  const selections: Array<{ clause?: object; keep?: Set<string> }> = [];
  for (let i = 0; i < short.length; i += TERMS_PER_REQUEST) selections.push({ clause: { terms: { groupKey: short.slice(i, i + TERMS_PER_REQUEST) } } });
  if (long.size > 0) selections.push({ keep: long });
  const out: OpenFinding[] = [];
  for (const sel of selections) {
    let after: unknown[] | undefined;
    for (;;) {
      let hits: Array<{ _source: OpenFinding; sort?: unknown[] }>;
      try {
        const res = await ctx.client.search({
          index: ctx.names.findingsIndex,
          body: {
            size: 5000,
            _source: ['id', 'eventIds', 'eventTime', 'groupKey'],
            sort: [{ id: 'asc' }],
            ...(after ? { search_after: after } : {}),
            query: { bool: { filter: sel.clause ? [...base, sel.clause] : base, must_not: [{ term: { statusBy: SUPERSEDED_BY } }] } },
          } as never,
          ignore_unavailable: true,
          allow_no_indices: true,
        });
        hits = (res.body as unknown as { hits: { hits: Array<{ _source: OpenFinding; sort?: unknown[] }> } }).hits.hits;
      } catch (err) {
        throw toOpenSearchError(err, `reading the new-terms findings of rule ${rule.id} from ${ctx.names.findingsIndex}`);
      }
      for (const h of hits) if (!sel.keep || sel.keep.has(h._source.groupKey ?? '')) out.push(h._source);
      if (hits.length < 5000) break;
      after = hits[hits.length - 1]?.sort;
      if (!after) break;
    }
  }
  return out;
}

/**
 * New terms, from the rule's term store (term-store.ts): the new events' terms are looked up, their occurrences
 * added, and a new event fires when it is the first occurrence of a run; the answer does not depend on the order
 * events were ingested in. A finding written earlier whose event is no longer the first occurrence (history older
 * than it was ingested later) is closed as superseded: one open finding per first occurrence. The store is written
 * before the findings are: a pass repeated after a crash finds its occurrences held and decides the same.
 */
async function newTermsWrites(ctx: BatchContext, rule: NewTermsRule, fresh: Map<string, FreshTerm[]>): Promise<FindingWrite[]> {
  if (fresh.size === 0) return [];
  if (!(await ctx.terms.isBuilt(rule))) await buildTermStore(ctx, rule);
  const terms = [...fresh.keys()];
  const stored = await ctx.terms.read(rule, terms);
  const runsOf = new Map<string, TermRun[]>();
  const changes: Array<{ term: string; read: string; runs: TermRun[] }> = [];
  let minMs = Infinity;
  let maxMs = -Infinity;
  for (const [term, events] of fresh) {
    const state = stored.get(term) ?? { read: '', runs: [] };
    let runs = state.runs;
    for (const e of events) {
      runs = addOccurrence(runs, e.occurrence, rule.historyMs);
      minMs = Math.min(minMs, e.occurrence.t);
      maxMs = Math.max(maxMs, e.occurrence.t);
    }
    runsOf.set(term, runs);
    if (encodeRuns(runs) !== state.read) changes.push({ term, read: state.read, runs });
  }
  const now = ctx.now();
  const writes: FindingWrite[] = [];
  for (const [term, events] of fresh) {
    const runs = runsOf.get(term) as TermRun[];
    for (const e of events) {
      if (!isNewTerm(runs, e.occurrence)) continue;
      writes.push({ op: 'create', doc: buildFinding(newTermsFindingId(rule.id, rule.version, e.occurrence.id), ruleFacts(rule), [e.facts], { groupKey: term, source: 'live', now }) });
    }
  }
  // only a finding within a history span after a new event can lose its first place to it
  for (const f of await openFindingsOf(ctx, rule, terms, minMs, maxMs + rule.historyMs)) {
    const runs = runsOf.get(f.groupKey ?? '');
    const id = f.eventIds[0];
    const t = Date.parse(f.eventTime);
    if (!runs || id === undefined || Number.isNaN(t) || !isCovered(runs, { t, id }, rule.historyMs)) continue;
    writes.push({
      op: 'update',
      id: f.id,
      fields: { status: 'closed', statusBy: SUPERSEDED_BY, statusAt: now.toISOString(), statusReason: 'superseded: an earlier occurrence of these terms was ingested after this finding' },
    });
  }
  await ctx.terms.write(rule, changes);
  return writes;
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
  const newTerms = rules.filter((r): r is NewTermsRule => r.kind === 'new_terms');
  await ctx.terms.retainOnly(newTerms);
  let fresh: Array<Map<string, FreshTerm[]>> | undefined;
  try {
    if (newTerms.length > 1) fresh = await freshTerms(ctx, filter, newTerms);
  } catch (err) {
    // a query the cluster refuses: each rule reads its own events below, so only the broken one is skipped
    if (!ctx.onRuleError || isRetryable(err)) throw err;
  }
  for (const rule of rules) {
    try {
      if (rule.kind === 'correlation') writes.push(...(await correlationWrites(ctx, filter, rule)));
      else if (rule.kind === 'new_terms') {
        const own = fresh?.[newTerms.indexOf(rule)] ?? ((await freshTerms(ctx, filter, [rule]))[0] as Map<string, FreshTerm[]>);
        writes.push(...(await newTermsWrites(ctx, rule, own)));
      }
    } catch (err) {
      // outages and store conflicts fail the pass (the files stay pending); a rule the cluster refuses only loses
      // its own findings
      if (!ctx.onRuleError || isRetryable(err) || err instanceof TermStoreConflict) throw err;
      ctx.onRuleError(rule, err);
    }
  }
  return writes;
}
