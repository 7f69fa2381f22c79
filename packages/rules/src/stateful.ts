import ipaddr from 'ipaddr.js';
import type { EventMeta } from './event-meta';
import { fieldValues } from './field-values';
import type { CorrelationCondition, CorrelationRule, NewTermsRule, RuleMatch } from './types';
import { ipOf } from './value-test';

/** Most event ids a correlation match lists; `count` has the full number. */
export const MAX_CORRELATION_EVENT_IDS = 100;

export interface Observation {
  /** Event time, epoch milliseconds. */
  t: number;
  meta: EventMeta;
  /** Correlations: which base rule (index in baseRules) matched. */
  baseIndex?: number;
  key: string;
  /** value_count: the texts of the counted field. */
  values?: string[];
}

function firstText(record: unknown, path: string): string | null {
  for (const v of fieldValues(record, path.split('.'))) if (v !== null) return v;
  return null;
}

/** Correlation group: the JSON array of the first value of each group-by field (null when absent). */
export function correlationGroupKey(rule: CorrelationRule, record: unknown): string {
  return JSON.stringify(rule.groupBy.map((f) => firstText(record, f)));
}

export function distinctValues(record: unknown, path: string): string[] {
  return [...new Set(fieldValues(record, path.split('.')).filter((v): v is string => v !== null))];
}

function network(v: string, bits: number): string | null {
  const a = ipOf(v);
  if (a === undefined) return null;
  const width = a.kind() === 'ipv4' ? 32 : 128;
  const prefix = Math.min(bits, width);
  // Zero the host bits: the network address names the term.
  const bytes = a.toByteArray().map((b, i) => {
    const keep = Math.max(0, Math.min(8, prefix - i * 8));
    return b & (0xff << (8 - keep)) & 0xff;
  });
  return `${ipaddr.fromByteArray(bytes).toString()}/${prefix}`;
}

/**
 * New-terms key: the JSON array of the first value of each field (an IP field reduced to its network), or undefined
 * when a field is absent (such an event has no term and never fires).
 */
export function newTermsKey(rule: NewTermsRule, record: unknown): string | undefined {
  const parts: string[] = [];
  for (const t of rule.terms) {
    const v = firstText(record, t.field);
    if (v === null) return undefined;
    const n = t.networkBits === undefined ? v : network(v, t.networkBits);
    if (n === null) return undefined;
    parts.push(n);
  }
  return JSON.stringify(parts);
}

export function conditionHolds(c: CorrelationCondition, n: number): boolean {
  return (
    (c.gt === undefined || n > c.gt) &&
    (c.gte === undefined || n >= c.gte) &&
    (c.lt === undefined || n < c.lt) &&
    (c.lte === undefined || n <= c.lte) &&
    (c.eq === undefined || n === c.eq)
  );
}

const byTime = (a: Observation, b: Observation) => a.t - b.t || (a.meta.eventId < b.meta.eventId ? -1 : a.meta.eventId > b.meta.eventId ? 1 : 0);

/**
 * New terms over observations in any order: sorted by (eventTime, eventId), an event fires when its term was not
 * seen in the `historyMs` before it (never seen, or last seen at least that long ago).
 */
export function newTermsMatches(rule: NewTermsRule, obs: Observation[]): RuleMatch[] {
  const lastSeen = new Map<string, number>();
  const out: RuleMatch[] = [];
  for (const o of [...obs].sort(byTime)) {
    const prev = lastSeen.get(o.key);
    if (prev === undefined || o.t - prev >= rule.historyMs) {
      out.push({ ruleId: rule.id, eventIds: [o.meta.eventId], eventTime: o.meta.eventTime, account: o.meta.account, region: o.meta.region, groupKey: o.key });
    }
    lastSeen.set(o.key, o.t);
  }
  return out;
}

/**
 * Correlations over observations in any order. Windows are fixed: [k·timespan, (k+1)·timespan) from the Unix
 * epoch, so a (group, window) pair and its finding id never depend on the order or the moment events arrive. Each
 * (group, window) whose count satisfies the condition gives one match; an event matched by several base rules
 * counts once for event_count.
 */
export function correlationMatches(rule: CorrelationRule, obs: Observation[]): RuleMatch[] {
  const buckets = new Map<string, Observation[]>();
  for (const o of obs) {
    const k = `${Math.floor(o.t / rule.timespanMs)}\u0000${o.key}`;
    let b = buckets.get(k);
    if (b === undefined) buckets.set(k, (b = []));
    b.push(o);
  }
  const out: RuleMatch[] = [];
  for (const [k, list] of buckets) {
    list.sort(byTime);
    const events = new Map<string, Observation>();
    for (const o of list) if (!events.has(o.meta.eventId)) events.set(o.meta.eventId, o);
    let n: number;
    if (rule.type === 'event_count') n = events.size;
    else if (rule.type === 'value_count') n = new Set(list.flatMap((o) => o.values ?? [])).size;
    else n = new Set(list.map((o) => o.baseIndex)).size;
    if (!conditionHolds(rule.condition, n)) continue;
    const uniq = [...events.values()];
    const first = uniq[0] as Observation;
    const last = uniq[uniq.length - 1] as Observation;
    const w = Number(k.slice(0, k.indexOf('\u0000')));
    out.push({
      ruleId: rule.id,
      eventIds: uniq.slice(0, MAX_CORRELATION_EVENT_IDS).map((o) => o.meta.eventId),
      eventTime: last.meta.eventTime,
      firstEventTime: first.meta.eventTime,
      account: first.meta.account,
      region: first.meta.region,
      groupKey: first.key,
      count: uniq.length,
      windowStart: new Date(w * rule.timespanMs).toISOString(),
      windowEnd: new Date((w + 1) * rule.timespanMs).toISOString(),
    });
  }
  return out.sort((a, b) => ((a.windowStart ?? '') < (b.windowStart ?? '') ? -1 : (a.windowStart ?? '') > (b.windowStart ?? '') ? 1 : (a.groupKey ?? '') < (b.groupKey ?? '') ? -1 : 1));
}
