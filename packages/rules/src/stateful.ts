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

/**
 * Correlation group of an event matched by base rule `baseIndex`: the JSON array of the first value of each group-by
 * field (null when absent). An alias in group-by reads the field the alias names for that base rule.
 */
export function correlationGroupKey(rule: CorrelationRule, record: unknown, baseIndex = 0): string {
  const fields = rule.groupFields[baseIndex] ?? rule.groupBy;
  return JSON.stringify(fields.map((f) => firstText(record, f)));
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

/** Why a streamed input was refused: it must come in (eventTime, event id) order. */
export class OutOfOrderInput extends Error {
  override readonly name = 'OutOfOrderInput';
}

function checkOrder(prev: Observation | undefined, o: Observation): void {
  if (prev !== undefined && byTime(prev, o) > 0) {
    throw new OutOfOrderInput(`event ${o.meta.eventId} (${o.meta.eventTime}) came after ${prev.meta.eventId} (${prev.meta.eventTime}): streamed input must be in eventTime, event id order`);
  }
}

/**
 * New terms over observations in (eventTime, eventId) order, one at a time: an event fires when its term was not seen
 * in the `historyMs` before it (never seen, or last seen at least that long ago). Terms last seen longer ago than
 * the history are forgotten, so the state is the distinct terms of one history span, whatever the range read.
 */
export class NewTermsStream {
  private readonly lastSeen = new Map<string, number>();
  private prev: Observation | undefined;
  private pruneAt = 1024;
  private prunedAt = -Infinity;

  constructor(private readonly rule: NewTermsRule) {}

  /** Terms held now. */
  get retained(): number {
    return this.lastSeen.size;
  }

  push(o: Observation): RuleMatch | undefined {
    checkOrder(this.prev, o);
    this.prev = o;
    const { rule } = this;
    const seen = this.lastSeen.get(o.key);
    this.lastSeen.set(o.key, o.t);
    // forget terms unseen for a whole history: once per history span, or sooner when the map doubled (amortized O(1))
    if (this.lastSeen.size >= this.pruneAt || o.t - this.prunedAt >= rule.historyMs) {
      for (const [k, t] of this.lastSeen) if (o.t - t >= rule.historyMs) this.lastSeen.delete(k);
      this.pruneAt = Math.max(1024, this.lastSeen.size * 2);
      this.prunedAt = o.t;
    }
    if (seen !== undefined && o.t - seen < rule.historyMs) return undefined;
    return { ruleId: rule.id, eventIds: [o.meta.eventId], eventTime: o.meta.eventTime, account: o.meta.account, region: o.meta.region, groupKey: o.key };
  }
}

/** New terms over observations in any order (sorted here): see NewTermsStream. */
export function newTermsMatches(rule: NewTermsRule, obs: Observation[]): RuleMatch[] {
  const stream = new NewTermsStream(rule);
  const out: RuleMatch[] = [];
  for (const o of [...obs].sort(byTime)) {
    const m = stream.push(o);
    if (m) out.push(m);
  }
  return out;
}

interface WindowGroup {
  key: string;
  /** Distinct events of the group in the window (an event matched by several base rules counts once). */
  ids: Set<string>;
  first: EventMeta;
  last: EventMeta;
  values: Set<string>;
  bases: Set<number>;
  /** temporal_ordered: how many of the rules, in their order, have matched so far. */
  step: number;
  /** temporal_ordered: the base rules matched at the latest event time (events of one time count as in order). */
  stepT: number;
  stepBases: Set<number>;
  firstIds: string[];
}

/**
 * Correlations over observations in (eventTime, eventId) order. Windows are fixed: [k·timespan, (k+1)·timespan)
 * from the Unix epoch, so a (group, window) pair and its finding id never depend on the order or the moment events
 * arrive. Each (group, window) whose count satisfies the condition gives one match, once the input moves past the
 * window; an event matched by several base rules counts once for event_count. The state is the groups of the open
 * window only, whatever the range read.
 */
export class CorrelationStream {
  private window: number | undefined;
  private readonly groups = new Map<string, WindowGroup>();
  private prev: Observation | undefined;
  private held = 0;

  constructor(private readonly rule: CorrelationRule) {}

  /** Events held now (per group of the open window). */
  get retained(): number {
    return this.held;
  }

  /** Adds one observation; returns the matches of the window it closed, if any. */
  push(o: Observation): RuleMatch[] {
    checkOrder(this.prev, o);
    this.prev = o;
    const w = Math.floor(o.t / this.rule.timespanMs);
    const closed = this.window !== undefined && w !== this.window ? this.close() : [];
    this.window = w;
    let g = this.groups.get(o.key);
    if (g === undefined) {
      g = { key: o.key, ids: new Set(), first: o.meta, last: o.meta, values: new Set(), bases: new Set(), step: 0, stepT: o.t, stepBases: new Set(), firstIds: [] };
      this.groups.set(o.key, g);
    }
    if (!g.ids.has(o.meta.eventId)) {
      g.ids.add(o.meta.eventId);
      this.held++;
      g.last = o.meta;
      if (g.firstIds.length < MAX_CORRELATION_EVENT_IDS) g.firstIds.push(o.meta.eventId);
    }
    for (const v of o.values ?? []) g.values.add(v);
    if (o.baseIndex !== undefined) {
      g.bases.add(o.baseIndex);
      if (o.t !== g.stepT) {
        g.stepT = o.t;
        g.stepBases = new Set();
      }
      g.stepBases.add(o.baseIndex);
      while (g.stepBases.has(g.step)) g.step++;
    }
    return closed;
  }

  /** The matches of the open window; call once the input ends. */
  close(): RuleMatch[] {
    const { rule } = this;
    const out: RuleMatch[] = [];
    const w = this.window ?? 0;
    const keys = [...this.groups.keys()].sort();
    for (const key of keys) {
      const g = this.groups.get(key) as WindowGroup;
      let n: number;
      if (rule.type === 'event_count') n = g.ids.size;
      else if (rule.type === 'value_count') n = g.values.size;
      else if (rule.type === 'temporal') n = g.bases.size;
      else n = g.step;
      if (!conditionHolds(rule.condition, n)) continue;
      out.push({
        ruleId: rule.id,
        eventIds: g.firstIds,
        eventTime: g.last.eventTime,
        firstEventTime: g.first.eventTime,
        account: g.first.account,
        region: g.first.region,
        groupKey: key,
        count: g.ids.size,
        windowStart: new Date(w * rule.timespanMs).toISOString(),
        windowEnd: new Date((w + 1) * rule.timespanMs).toISOString(),
      });
    }
    this.groups.clear();
    this.held = 0;
    this.window = undefined;
    return out;
  }
}

/** Correlations over observations in any order (sorted here): see CorrelationStream. */
export function correlationMatches(rule: CorrelationRule, obs: Observation[]): RuleMatch[] {
  const stream = new CorrelationStream(rule);
  const out: RuleMatch[] = [];
  for (const o of [...obs].sort(byTime)) out.push(...stream.push(o));
  out.push(...stream.close());
  return out;
}
