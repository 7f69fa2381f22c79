export type RuleLevel = 'informational' | 'low' | 'medium' | 'high' | 'critical';
export const RULE_LEVELS: readonly RuleLevel[] = ['informational', 'low', 'medium', 'high', 'critical'];

export interface RuleBase {
  kind: 'single' | 'correlation' | 'new_terms';
  id: string;
  /** Sigma's optional `name`, by which correlations may refer to a rule. */
  name?: string;
  title: string;
  level: RuleLevel;
  tags: string[];
  /** Content hash of the rule's YAML document: changes whenever the rule text does. */
  version: string;
  file: string;
  /** 1-based line of the rule's document in its file. */
  line: number;
  status?: string;
  description?: string;
}

export interface SingleEventRule extends RuleBase {
  kind: 'single';
  /**
   * False when the rule only feeds correlations (Sigma's `generate: false`, the default): its matches are inputs of
   * the correlation, not findings of their own.
   */
  standalone: boolean;
  match(record: unknown): boolean;
  /** OpenSearch query over the events index selecting exactly what match() accepts; undefined when not expressible. */
  toDsl(): object | undefined;
  /**
   * Always defined: a query over the events index that selects at least every event match() accepts (possibly
   * more, possibly match_all). Hits must then be confirmed with match() on the stored record.
   */
  candidateDsl(): object;
}

/** Sigma correlation condition: every present bound must hold (a range is `gt` plus `lte`, for example). */
export interface CorrelationCondition {
  gt?: number;
  gte?: number;
  lt?: number;
  lte?: number;
  eq?: number;
}

export interface CorrelationRule extends RuleBase {
  kind: 'correlation';
  type: 'event_count' | 'value_count' | 'temporal' | 'temporal_ordered';
  /** The ids or names of the base rules, as written. */
  rules: string[];
  /** The base rules resolved from `rules` (same order). */
  baseRules: SingleEventRule[];
  /** group-by as written: field paths, or names of `aliases`. */
  groupBy: string[];
  /** Sigma `aliases` as written: alias name → (base rule name or id → field path). */
  aliases: Record<string, Record<string, string>>;
  /** group-by resolved per base rule (same order as baseRules): an alias becomes the field it names for that rule. */
  groupFields: string[][];
  timespanMs: number;
  condition: CorrelationCondition;
  /** value_count only: the field whose distinct values are counted. */
  valueField?: string;
  /** Sigma `generate`: when true the base rules also report their own matches. */
  generate: boolean;
}

export interface NewTermsField {
  field: string;
  /** When set, the value is an IP address reduced to its network of this many bits (e.g. 16 for a /16). */
  networkBits?: number;
}

export interface NewTermsRule extends RuleBase {
  kind: 'new_terms';
  /** The events considered; undefined = every event. */
  base?: SingleEventRule;
  fields: string[];
  terms: NewTermsField[];
  historyMs: number;
}

export type CompiledRule = SingleEventRule | CorrelationRule | NewTermsRule;

export interface RefusedRule {
  file: string;
  line?: number;
  id?: string;
  title?: string;
  reason: string;
}

/** A rule for another log source (logsource not aws/cloudtrail). */
export interface SkippedRule {
  file: string;
  line?: number;
  id?: string;
  title?: string;
  reason: string;
}

export interface RuleLoadResult {
  rules: CompiledRule[];
  refused: RefusedRule[];
  skipped: SkippedRule[];
}

export interface RuleMatch {
  ruleId: string;
  /** Event ids: one for single-event and new-terms rules; for correlations the first ones (capped), see `count`. */
  eventIds: string[];
  /** Event time of the (last) matching event. */
  eventTime: string;
  account?: string;
  region?: string;
  /** Correlations: JSON array of the group-by values; new terms: JSON array of the term values. */
  groupKey?: string;
  /** Correlations: events in the window for the group. */
  count?: number;
  /** Correlations: the window, [windowStart, windowEnd). */
  windowStart?: string;
  windowEnd?: string;
  firstEventTime?: string;
}
