import { recordMeta, type EventMeta } from './event-meta';
import { CorrelationStream, correlationGroupKey, correlationMatches, distinctValues, NewTermsStream, newTermsKey, newTermsMatches, type Observation } from './stateful';
import type { CompiledRule, CorrelationRule, NewTermsRule, RuleMatch, SingleEventRule } from './types';

export interface OfflineOptions {
  /** Id, time, account and region reported for a record; default recordMeta (eventID, eventTime, ...). */
  eventMeta?: (record: unknown, index: number) => EventMeta;
  /** Called when a rule throws on a record; the rule counts as not matching it and the run goes on. */
  onRuleError?: (ruleId: string, eventId: string, error: unknown) => void;
  /**
   * The records come in (eventTime, event id) order, as the index streams them: correlations and new terms are then
   * judged as records arrive, holding only the open window's groups and the terms of one history span, and a record
   * out of that order fails the run (OutOfOrderInput). Without it every observation is kept until the input ends.
   */
  ordered?: boolean;
  /** Filled as the run goes: the most observations, window events and terms held at once. */
  stats?: OfflineStats;
}

export interface OfflineStats {
  maxRetained: number;
}

function safeMatch(rule: SingleEventRule, record: unknown, meta: () => EventMeta, opts: OfflineOptions): boolean {
  try {
    return rule.match(record);
  } catch (e) {
    opts.onRuleError?.(rule.id, meta().eventId, e);
    return false;
  }
}

/**
 * Runs rules over records with no services. Single-event matches are yielded as records arrive (input order).
 * Correlations and new terms judge by eventTime, not arrival order (see stateful.ts): their matches follow once the
 * input ends, so any order of the same records gives the same matches.
 */
export async function* evaluateOffline(
  rules: CompiledRule[],
  records: AsyncIterable<unknown> | Iterable<unknown>,
  options: OfflineOptions = {},
): AsyncIterable<RuleMatch> {
  const metaOf = options.eventMeta ?? recordMeta;
  const singles = rules.filter((r): r is SingleEventRule => r.kind === 'single' && r.standalone);
  const correlations = rules.filter((r): r is CorrelationRule => r.kind === 'correlation');
  const newTerms = rules.filter((r): r is NewTermsRule => r.kind === 'new_terms');
  const ordered = options.ordered === true;
  const corrObs = correlations.map((): Observation[] => []);
  const ntObs = newTerms.map((): Observation[] => []);
  const corrStreams = correlations.map((c) => new CorrelationStream(c));
  const ntStreams = newTerms.map((n) => new NewTermsStream(n));
  let held = 0;
  const note = () => {
    if (!options.stats) return;
    const now = ordered ? corrStreams.reduce((a, c) => a + c.retained, 0) + ntStreams.reduce((a, n) => a + n.retained, 0) : held;
    if (now > options.stats.maxRetained) options.stats.maxRetained = now;
  };
  let index = 0;
  for await (const record of records) {
    const i = index++;
    let meta: EventMeta | undefined;
    const m = () => (meta ??= metaOf(record, i));
    for (const r of singles) {
      if (safeMatch(r, record, m, options)) {
        const e = m();
        yield { ruleId: r.id, eventIds: [e.eventId], eventTime: e.eventTime, account: e.account, region: e.region };
      }
    }
    if (correlations.length === 0 && newTerms.length === 0) continue;
    const t = Date.parse(m().eventTime);
    if (Number.isNaN(t)) continue;
    const baseResults = new Map<SingleEventRule, boolean>();
    const baseMatch = (b: SingleEventRule) => {
      let v = baseResults.get(b);
      if (v === undefined) baseResults.set(b, (v = safeMatch(b, record, m, options)));
      return v;
    };
    const now: RuleMatch[] = [];
    correlations.forEach((c, ci) => {
      c.baseRules.forEach((b, bi) => {
        if (!baseMatch(b)) return;
        const values = c.valueField === undefined ? undefined : distinctValues(record, c.valueField);
        const o: Observation = { t, meta: m(), baseIndex: bi, key: correlationGroupKey(c, record, bi), values };
        if (ordered) now.push(...(corrStreams[ci] as CorrelationStream).push(o));
        else {
          corrObs[ci]?.push(o);
          held++;
        }
      });
    });
    newTerms.forEach((n, ni) => {
      if (n.base !== undefined && !baseMatch(n.base)) return;
      const key = newTermsKey(n, record);
      if (key === undefined) return;
      const o: Observation = { t, meta: m(), key };
      if (!ordered) {
        ntObs[ni]?.push(o);
        held++;
        return;
      }
      const found = (ntStreams[ni] as NewTermsStream).push(o);
      if (found) now.push(found);
    });
    note();
    yield* now;
  }
  if (ordered) {
    for (const c of corrStreams) yield* c.close();
    return;
  }
  const later: RuleMatch[] = [];
  newTerms.forEach((n, ni) => later.push(...newTermsMatches(n, ntObs[ni] ?? [])));
  correlations.forEach((c, ci) => later.push(...correlationMatches(c, corrObs[ci] ?? [])));
  later.sort((a, b) => (a.eventTime < b.eventTime ? -1 : a.eventTime > b.eventTime ? 1 : 0));
  yield* later;
}
